// The interface the batching engine drives: the model's spec, its caches, and one forward step
// over a batch of sequence chunks (prefill chunks and decode steps mixed) against them. The CPU
// model (CpuModel) and the CUDA model (engine/cuda CudaModel) implement it.
#ifndef HYBRIDSERVE_ENGINE_MODEL_MODEL_RUNNER_H_
#define HYBRIDSERVE_ENGINE_MODEL_MODEL_RUNNER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/model/model_cache.h"
#include "engine/model/model_spec.h"
#include "engine/model/step_context.h"

namespace hybridserve::engine {

class ModelRunner {
 public:
  virtual ~ModelRunner() = default;

  virtual const ModelSpec& spec() const = 0;
  // Bytes of one K or V element in this runner's caches (the cache planner sizes blocks by it).
  virtual int64_t kv_element_bytes() const { return 4; }

  // Caches of this backend's kind for num_blocks KV blocks and num_slots SSM slots, zeroed.
  // ResourceExhausted when the memory is not there.
  virtual absl::StatusOr<std::unique_ptr<ModelCache>> CreateCache(int64_t num_blocks,
                                                                  int64_t block_size_tokens,
                                                                  int64_t num_slots) = 0;

  // Runs one step. A chunk with start_position == 0 starts a new sequence (its SSM slot is
  // zeroed first). Appends one row of vocab_size floats per chunk (its last token), or one per
  // token for chunks with all_logits, in chunk order.
  // The cache must come from this runner's CreateCache.
  virtual absl::Status Forward(absl::Span<const SequenceChunk> chunks, ModelCache* cache,
                               std::vector<float>* logits) = 0;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_MODEL_RUNNER_H_
