// Internal: the head-dim-generic paged attention (see attention_generic.cu).
#ifndef HYBRIDSERVE_KERNELS_CUDA_ATTENTION_GENERIC_H_
#define HYBRIDSERVE_KERNELS_CUDA_ATTENTION_GENERIC_H_

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/ops.h"

namespace hybridserve::kernels::cuda {

// PagedAttention for any head_dim up to 256 (the tiled kernels take multiples of 32).
void PagedAttentionGeneric(const float* q, int64_t q_stride, int32_t num_heads, float scale,
                           const BatchLayout& batch, const PagedKvCache& kv, float* out,
                           int64_t out_stride, cudaStream_t stream);

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_ATTENTION_GENERIC_H_
