// Internal to kernels/cuda: decode attention with K and V streamed straight into registers (see
// attention_decode.cu), for steps whose sequences have one row each over a bf16/fp16 cache.
#ifndef HYBRIDSERVE_KERNELS_CUDA_ATTENTION_DECODE_H_
#define HYBRIDSERVE_KERNELS_CUDA_ATTENTION_DECODE_H_

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/attention_splits.h"
#include "kernels/cuda/ops.h"

namespace hybridserve::kernels::cuda {

// Whether PagedAttention takes PagedAttentionDecode: a bf16 or fp16 cache, head_dim 64 or 128,
// and at most one row per sequence.
bool UseAttentionDecode(const PagedKvCache& kv, const BatchLayout& batch);

// PagedAttention (same arguments and semantics as in ops.h) for such a batch. Without scratch it
// writes out; with scratch it may split the keys into partitions and leave their partial softmaxes
// in scratch (PartialOutputs' layout) for the caller to merge, returning the split. fp32 arithmetic
// on the stored K/V, in another summation order than the tiled kernel (same precision class).
KeySplits PagedAttentionDecode(const float* q, int64_t q_stride, int32_t num_heads, float scale,
                               const BatchLayout& batch, const PagedKvCache& kv, float* out,
                               int64_t out_stride, void* scratch, cudaStream_t stream);

// The shortest key partition of the split (64 by default; partitions are whole chunks of 16 or
// 32 keys). For benchmarks that compare partition lengths; not thread-safe against launches.
void SetDecodeAttentionMinSplitKeys(int32_t keys);

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_ATTENTION_DECODE_H_
