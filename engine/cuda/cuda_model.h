// A loaded model on the CUDA backend: the same layer list as the CPU model (engine/model), its
// weights on the GPU in the storage type (fp32, bf16 or fp16), and a forward step over a batch of
// sequence chunks (prefill and decode mixed) against a CudaCache. Activations are fp32, GEMMs
// accumulate in fp32, SSM states are fp32. Logits are copied back to the host.
#ifndef HYBRIDSERVE_ENGINE_CUDA_CUDA_MODEL_H_
#define HYBRIDSERVE_ENGINE_CUDA_CUDA_MODEL_H_

#include <cuda_runtime.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/cuda/communicator.h"
#include "engine/cuda/cuda_step.h"
#include "engine/cuda/device_arena.h"
#include "engine/cuda/device_weights.h"
#include "engine/model/model_runner.h"
#include "engine/model/model_spec.h"
#include "engine/weights/checkpoint.h"
#include "kernels/cuda/blas.h"

namespace hybridserve::engine {

// "auto": the checkpoint's type when it is bf16 or fp16, else fp32.
enum class CudaDType { kAuto, kF32, kBF16, kF16 };
absl::StatusOr<CudaDType> ParseCudaDType(std::string_view name);  // auto|f32|bf16|f16

// The storage type a request resolves to for a checkpoint ("auto": bf16 or fp16 when the
// checkpoint has them, else fp32).
kernels::cuda::DType ResolveCudaDType(CudaDType requested, const Checkpoint& checkpoint);

struct CudaModelOptions {
  int device = 0;
  CudaDType dtype = CudaDType::kAuto;     // weights
  CudaDType kv_dtype = CudaDType::kAuto;  // KV cache; auto: the weights' type
};

class CudaModel : public ModelRunner {
 public:
  static absl::StatusOr<std::unique_ptr<CudaModel>> Load(const std::string& dir,
                                                         const CudaModelOptions& options = {});
  static absl::StatusOr<std::unique_ptr<CudaModel>> Create(ModelSpec spec,
                                                           const Checkpoint& checkpoint,
                                                           const CudaModelOptions& options = {});
  // From fp32 host weights (a whole model's or a tensor-parallel shard's) on `device`.
  static absl::StatusOr<std::unique_ptr<CudaModel>> Create(ModelSpec spec, const HostWeights& host,
                                                           kernels::cuda::DType dtype,
                                                           kernels::cuda::DType kv_dtype,
                                                           int device);
  // A model of the spec's shapes with seeded random weights made on the GPU (benchmarks).
  static absl::StatusOr<std::unique_ptr<CudaModel>> CreateRandom(ModelSpec spec,
                                                                 kernels::cuda::DType dtype,
                                                                 uint64_t seed, int device = 0);
  ~CudaModel() override;

  // Makes this model one shard of a tensor-parallel model (engine/parallel): block outputs are
  // all-reduced through comm, and only rank 0 computes logits (the others append none).
  void set_communicator(Communicator* comm) { comm_ = comm; }

  // Decode steps as CUDA graphs (default on): a batch of decode steps only (one token per
  // sequence) of a model without MoE layers is captured the second time its shape (batch size,
  // block-table width rounded up to a power of two, cache) is seen and replayed after that, one
  // launch for the whole step. Off: every step launches its kernels one by one.
  void set_decode_graphs(bool on) { decode_graphs_ = on; }
  int64_t graph_launches() const { return graph_launches_; }

  const ModelSpec& spec() const override { return spec_; }
  kernels::cuda::DType dtype() const { return weights_->dtype(); }
  kernels::cuda::DType kv_dtype() const { return kv_dtype_; }
  int64_t weight_bytes() const { return weights_->bytes(); }
  int64_t kv_element_bytes() const override { return kernels::cuda::DTypeBytes(kv_dtype_); }
  absl::StatusOr<std::unique_ptr<ModelCache>> CreateCache(int64_t num_blocks,
                                                          int64_t block_size_tokens,
                                                          int64_t num_slots) override;
  absl::Status Forward(absl::Span<const SequenceChunk> chunks, ModelCache* cache,
                       std::vector<float>* logits) override;

 private:
  CudaModel(ModelSpec spec, cudaStream_t stream);
  static absl::StatusOr<std::unique_ptr<CudaModel>> Finish(std::unique_ptr<CudaModel> model);
  struct LayerParams {
    float* a = nullptr;  // -exp(A_log): [H] (Mamba2) or [I, N] (Mamba1), fp32
  };

  // (batch size, block-table width, cache id, arena generation, cuBLAS scratch generation)
  using GraphKey = std::tuple<int32_t, int32_t, uint64_t, int64_t, int64_t>;
  static constexpr size_t kMaxGraphs = 256;
  static constexpr int64_t kStagedLogitsBytes = int64_t{4} << 20;
  // Embedding, layers and the logits GEMM of a step whose layout is on the device.
  void RunLayers(CudaStep& step, const int32_t* device_tokens, const int32_t* device_wanted,
                 int64_t num_rows, float* logits_out);
  absl::Status RunAsGraph(const GraphKey& key, const std::function<void()>& layers);
  // The attention and Mamba2 branches of a parallel layer (Falcon-H1) in a decode step, on two
  // streams; both add to h.
  void RunParallelBranches(CudaStep& step, const LayerSpec& layer, const float* a,
                           const float* normed, float* h);
  void DropGraphs();
  // Page-locked host memory for the step's copies, at least `bytes` (grown as needed): copies
  // from and to pageable memory are staged by the driver (a 256 KB logits row: ~0.2 ms).
  absl::StatusOr<void*> Staging(int64_t bytes);

  ModelSpec spec_;
  cudaStream_t stream_;
  std::unique_ptr<DeviceWeights> weights_;
  kernels::cuda::DType kv_dtype_ = kernels::cuda::DType::kF32;
  std::unique_ptr<kernels::cuda::Blas> blas_;
  cudaStream_t side_stream_ = nullptr;
  std::unique_ptr<kernels::cuda::Blas> side_blas_;
  cudaEvent_t fork_event_ = nullptr, join_event_ = nullptr;
  std::unique_ptr<DeviceArena> arena_;
  std::vector<LayerParams> layer_params_;
  std::vector<void*> param_allocations_;
  Communicator* comm_ = nullptr;
  void* staging_ = nullptr;  // page-locked (cudaMallocHost)
  int64_t staging_bytes_ = 0;
  bool has_moe_ = false;
  bool decode_graphs_ = true;
  std::map<GraphKey, cudaGraphExec_t> graphs_;
  std::map<GraphKey, int64_t> graph_candidates_;  // arena bytes the eager run needed
  int64_t graph_arena_generation_ = -1;
  int64_t graph_blas_generation_ = -1;
  int64_t graph_launches_ = 0;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_CUDA_CUDA_MODEL_H_
