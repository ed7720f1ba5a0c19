#include "engine/cuda/cuda_cache.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "kernels/cuda/cuda_check.h"

namespace hybridserve::engine {

namespace kc = kernels::cuda;

CudaCache::~CudaCache() {
  cudaDeviceSynchronize();
  for (void* p : allocations_) cudaFree(p);
}

absl::StatusOr<void*> CudaCache::Allocate(int64_t bytes) {
  void* p = nullptr;
  const cudaError_t error = cudaMalloc(&p, static_cast<size_t>(std::max<int64_t>(bytes, 1)));
  if (error != cudaSuccess) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot allocate ", bytes, " bytes of GPU memory for the caches: ",
                     cudaGetErrorString(error), "; lower --kv-cache-bytes / --ssm-cache-bytes"));
  }
  allocations_.push_back(p);
  HS_CUDA_CHECK(cudaMemset(p, 0, static_cast<size_t>(std::max<int64_t>(bytes, 1))));
  return p;
}

absl::StatusOr<std::unique_ptr<CudaCache>> CudaCache::Create(const ModelSpec& spec,
                                                             int64_t num_blocks,
                                                             int64_t block_size_tokens,
                                                             int64_t num_slots,
                                                             kc::DType kv_dtype) {
  HS_CHECK(num_blocks >= 0 && block_size_tokens > 0 && num_slots >= 0);
  static std::atomic<uint64_t> next_id{1};
  auto cache = std::unique_ptr<CudaCache>(new CudaCache());
  cache->id_ = next_id++;
  cache->num_blocks_ = num_blocks;
  cache->block_size_ = block_size_tokens;
  cache->num_slots_ = num_slots;
  cache->kv_dtype_ = kv_dtype;
  cache->kv_shapes_ = KvLayerShapes(spec);
  cache->ssm_shapes_ = SsmLayerShapes(spec);
  for (const KvLayerShape& kv : cache->kv_shapes_) {
    const int64_t bytes =
        num_blocks * block_size_tokens * kv.num_kv_heads * kv.head_dim * kc::DTypeBytes(kv_dtype);
    HS_ASSIGN_OR_RETURN(void* keys, cache->Allocate(bytes));
    HS_ASSIGN_OR_RETURN(void* values, cache->Allocate(bytes));
    cache->keys_.push_back(keys);
    cache->values_.push_back(values);
    cache->kv_bytes_ += 2 * bytes;
  }
  for (const SsmLayerShape& ssm : cache->ssm_shapes_) {
    const int64_t conv_bytes = num_slots * ssm.conv_channels * ssm.conv_width * 4;
    const int64_t state_bytes = num_slots * ssm.state_floats * 4;
    HS_ASSIGN_OR_RETURN(void* conv, cache->Allocate(conv_bytes));
    HS_ASSIGN_OR_RETURN(void* state, cache->Allocate(state_bytes));
    cache->conv_.push_back(static_cast<float*>(conv));
    cache->state_.push_back(static_cast<float*>(state));
    cache->ssm_bytes_ += conv_bytes + state_bytes;
  }
  return cache;
}

kc::PagedKvCache CudaCache::Kv(int kv_layer) const {
  HS_CHECK(kv_layer >= 0 && static_cast<size_t>(kv_layer) < keys_.size());
  kc::PagedKvCache kv;
  kv.keys = keys_[kv_layer];
  kv.values = values_[kv_layer];
  kv.dtype = kv_dtype_;
  kv.block_size = static_cast<int32_t>(block_size_);
  kv.num_kv_heads = static_cast<int32_t>(kv_shapes_[kv_layer].num_kv_heads);
  kv.head_dim = static_cast<int32_t>(kv_shapes_[kv_layer].head_dim);
  return kv;
}

}  // namespace hybridserve::engine
