// The interface the batching engine drives: one forward step over a batch of sequence chunks
// (prefill chunks and decode steps mixed) against a CacheStore, plus the model's spec. The CPU
// model implements it now; another backend plugs in by implementing the same two calls.
#ifndef HYBRIDSERVE_ENGINE_MODEL_MODEL_RUNNER_H_
#define HYBRIDSERVE_ENGINE_MODEL_MODEL_RUNNER_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "engine/model/cache_store.h"
#include "engine/model/model_spec.h"
#include "engine/model/step_context.h"

namespace hybridserve::engine {

class ModelRunner {
 public:
  virtual ~ModelRunner() = default;

  virtual const ModelSpec& spec() const = 0;

  // Runs one step. A chunk with start_position == 0 starts a new sequence (its SSM slot is
  // zeroed first). Appends one row of vocab_size floats per chunk (its last token), or one per
  // token for chunks with all_logits, in chunk order.
  virtual absl::Status Forward(absl::Span<const SequenceChunk> chunks, CacheStore* cache,
                               std::vector<float>* logits) = 0;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_MODEL_RUNNER_H_
