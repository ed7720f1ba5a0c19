// Internal: prefill attention on the tensor cores for bf16/fp16 KV caches (see attention_mma.cu).
#ifndef HYBRIDSERVE_KERNELS_CUDA_ATTENTION_MMA_H_
#define HYBRIDSERVE_KERNELS_CUDA_ATTENTION_MMA_H_

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/ops.h"

namespace hybridserve::kernels::cuda {

// Whether PagedAttention takes PagedAttentionMma for this cache and batch: a bf16 or fp16 cache,
// head_dim 64 or 128, and a batch that is not decode-only (decode_only: every sequence fits the
// narrow tile of attention.cu).
bool UseAttentionMma(const PagedKvCache& kv, bool decode_only);

// PagedAttention (same arguments and semantics as in ops.h, never split across CTAs) with
// Q K^T and P V on the tensor cores in the cache's storage type, fp32 accumulation and softmax.
void PagedAttentionMma(const float* q, int64_t q_stride, int32_t num_heads, float scale,
                       const BatchLayout& batch, const PagedKvCache& kv, float* out,
                       int64_t out_stride, cudaStream_t stream);

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_ATTENTION_MMA_H_
