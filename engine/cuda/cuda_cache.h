// The CUDA backend's caches in GPU memory: per attention layer a paged KV store
// [num_blocks, block_size, num_kv_heads, head_dim] for keys and for values, in the KV storage
// type; per SSM layer a conv window store [num_slots, C, K] and a state store
// [num_slots, state_floats], fp32. Everything is zeroed at creation.
#ifndef HYBRIDSERVE_ENGINE_CUDA_CUDA_CACHE_H_
#define HYBRIDSERVE_ENGINE_CUDA_CUDA_CACHE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/cache_store.h"
#include "engine/model/model_cache.h"
#include "engine/model/model_spec.h"
#include "kernels/cuda/ops.h"

namespace hybridserve::engine {

class CudaCache : public ModelCache {
 public:
  static absl::StatusOr<std::unique_ptr<CudaCache>> Create(const ModelSpec& spec,
                                                           int64_t num_blocks,
                                                           int64_t block_size_tokens,
                                                           int64_t num_slots,
                                                           kernels::cuda::DType kv_dtype);
  ~CudaCache() override;
  CudaCache(const CudaCache&) = delete;
  CudaCache& operator=(const CudaCache&) = delete;

  int64_t num_blocks() const override { return num_blocks_; }
  int64_t block_size_tokens() const override { return block_size_; }
  int64_t num_slots() const override { return num_slots_; }
  int64_t kv_bytes() const override { return kv_bytes_; }
  int64_t ssm_bytes() const override { return ssm_bytes_; }
  // Unique per cache made in this process (keys the CUDA graphs that captured its addresses).
  uint64_t id() const { return id_; }

  kernels::cuda::PagedKvCache Kv(int kv_layer) const;
  float* ConvStates(int ssm_layer) const { return conv_[ssm_layer]; }  // [num_slots, C, K]
  float* SsmStates(int ssm_layer) const { return state_[ssm_layer]; }  // [num_slots, floats]
  const SsmLayerShape& ssm_shape(int ssm_layer) const { return ssm_shapes_[ssm_layer]; }
  int num_ssm_layers() const { return static_cast<int>(ssm_shapes_.size()); }

 private:
  CudaCache() = default;
  absl::StatusOr<void*> Allocate(int64_t bytes);

  int64_t num_blocks_ = 0;
  int64_t block_size_ = 0;
  int64_t num_slots_ = 0;
  kernels::cuda::DType kv_dtype_ = kernels::cuda::DType::kF32;
  std::vector<KvLayerShape> kv_shapes_;
  std::vector<SsmLayerShape> ssm_shapes_;
  std::vector<void*> keys_, values_;
  std::vector<float*> conv_, state_;
  std::vector<void*> allocations_;
  int64_t kv_bytes_ = 0;
  int64_t ssm_bytes_ = 0;
  uint64_t id_ = 0;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_CUDA_CUDA_CACHE_H_
