// A loaded model on the CPU backend: the layer list, its fp32 weights, and a forward step over a
// batch of sequence chunks (prefill chunks of any length, continuing or new, and single-token
// decode steps, mixed freely), reading and writing the paged KV store and the SSM slots.
#ifndef HYBRIDSERVE_ENGINE_MODEL_CPU_MODEL_H_
#define HYBRIDSERVE_ENGINE_MODEL_CPU_MODEL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/model/cache_store.h"
#include "engine/model/model_runner.h"
#include "engine/model/model_spec.h"
#include "engine/model/step_context.h"
#include "engine/model/weight_store.h"
#include "engine/weights/checkpoint.h"
#include "kernels/cpu/thread_pool.h"

namespace hybridserve::engine {

struct CpuModelOptions {
  int num_threads = 0;  // 0: one per hardware thread
};

class CpuModel : public ModelRunner {
 public:
  // Loads a Hugging Face checkpoint directory (config.json + safetensors).
  static absl::StatusOr<std::unique_ptr<CpuModel>> Load(const std::string& dir,
                                                        const CpuModelOptions& options = {});
  // Builds from an already-parsed spec and an open checkpoint.
  static absl::StatusOr<std::unique_ptr<CpuModel>> Create(ModelSpec spec,
                                                          const Checkpoint& checkpoint,
                                                          const CpuModelOptions& options = {});

  const ModelSpec& spec() const override { return spec_; }
  absl::StatusOr<std::unique_ptr<ModelCache>> CreateCache(int64_t num_blocks,
                                                          int64_t block_size_tokens,
                                                          int64_t num_slots) override;
  const WeightStore& weights() const { return *weights_; }

  // Runs one step. A chunk with start_position == 0 starts a new sequence: its SSM slot is
  // zeroed first. Appends to logits one row of vocab_size floats per token of a chunk with
  // all_logits, else one row (its last token) per chunk, in chunk order.
  // Returns InvalidArgument for token ids out of range, block tables too short for the
  // positions, or slots/blocks outside the cache.
  absl::Status Forward(absl::Span<const SequenceChunk> chunks, ModelCache* cache,
                       std::vector<float>* logits) override;

 private:
  CpuModel(ModelSpec spec, std::unique_ptr<WeightStore> weights, int num_threads);
  void RunLayer(const LayerSpec& layer, const StepContext& ctx, float* h, const float* e0);

  ModelSpec spec_;
  std::unique_ptr<WeightStore> weights_;
  kernels::cpu::ThreadPool pool_;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_CPU_MODEL_H_
