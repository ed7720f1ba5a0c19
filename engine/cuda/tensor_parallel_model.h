// A model split over several GPUs (tensor parallelism): one CudaModel shard per rank, made from
// the shard specs of engine/parallel, each run by its own thread on its own GPU (RankThreads);
// block outputs are summed over the ranks with NCCL all-reduces. The engine sees one
// ModelRunner with one cache (a cache per rank underneath: each GPU holds the KV of its heads and
// the SSM states of its heads), so the scheduler, pools and preemption are unchanged. Rank 0
// returns the logits.
//
// `simulate` runs every rank on one GPU with the local all-reduce (communicator.h): the same
// sharded arithmetic, testable on a machine with one GPU.
#ifndef HYBRIDSERVE_ENGINE_CUDA_TENSOR_PARALLEL_MODEL_H_
#define HYBRIDSERVE_ENGINE_CUDA_TENSOR_PARALLEL_MODEL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/cuda/communicator.h"
#include "engine/cuda/cuda_model.h"
#include "engine/cuda/rank_threads.h"
#include "engine/model/model_runner.h"

namespace hybridserve::engine {

struct TensorParallelOptions {
  int world = 2;
  std::vector<int> devices;  // rank r on devices[r]; empty: 0 .. world-1
  bool simulate = false;     // every rank on device 0 (or devices[0]), local all-reduce
  CudaDType dtype = CudaDType::kAuto;
  CudaDType kv_dtype = CudaDType::kAuto;
};

class TensorParallelModel : public ModelRunner {
 public:
  static absl::StatusOr<std::unique_ptr<TensorParallelModel>> Load(
      const std::string& dir, const TensorParallelOptions& options);
  static absl::StatusOr<std::unique_ptr<TensorParallelModel>> Create(
      ModelSpec spec, const Checkpoint& checkpoint, const TensorParallelOptions& options);
  // Seeded random weights per shard (benchmarks; shard r's values do not match a whole model's).
  static absl::StatusOr<std::unique_ptr<TensorParallelModel>> CreateRandom(
      ModelSpec spec, kernels::cuda::DType dtype, uint64_t seed,
      const TensorParallelOptions& options);
  ~TensorParallelModel() override;

  const ModelSpec& spec() const override { return spec_; }
  int64_t kv_element_bytes() const override { return shards_[0]->kv_element_bytes(); }
  int world() const { return threads_->world(); }
  const CudaModel& shard(int rank) const { return *shards_[rank]; }
  void set_decode_graphs(bool on) {
    for (auto& shard : shards_) shard->set_decode_graphs(on);
  }
  absl::StatusOr<std::unique_ptr<ModelCache>> CreateCache(int64_t num_blocks,
                                                          int64_t block_size_tokens,
                                                          int64_t num_slots) override;
  absl::Status Forward(absl::Span<const SequenceChunk> chunks, ModelCache* cache,
                       std::vector<float>* logits) override;

 private:
  TensorParallelModel(ModelSpec spec, std::unique_ptr<RankThreads> threads)
      : spec_(std::move(spec)), threads_(std::move(threads)) {}
  static absl::StatusOr<std::unique_ptr<TensorParallelModel>> Start(
      const ModelSpec& spec, const TensorParallelOptions& options);
  absl::Status Connect(const TensorParallelOptions& options);

  ModelSpec spec_;
  std::unique_ptr<RankThreads> threads_;
  std::vector<std::unique_ptr<Communicator>> comms_;
  std::vector<std::unique_ptr<CudaModel>> shards_;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_CUDA_TENSOR_PARALLEL_MODEL_H_
