// Internal to kernels/cuda: how the decode kernels of attention.cu and attention_decode.cu split
// long contexts into key partitions (flash-decoding), and where the partitions' partial results
// lie in the caller's scratch for attention.cu's merge.
#ifndef HYBRIDSERVE_KERNELS_CUDA_ATTENTION_SPLITS_H_
#define HYBRIDSERVE_KERNELS_CUDA_ATTENTION_SPLITS_H_

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/ops.h"

namespace hybridserve::kernels::cuda {

// Flash-decoding limits: at most kMaxSplits partitions per row, and at most kMaxRowSplits
// (row, partition) pairs, which bounds the scratch for any batch
// (PagedAttentionScratchBytes). The split count aims at kTargetCtasPerSm CTAs per SM.
inline constexpr int kMaxSplits = 128;
inline constexpr int64_t kMaxRowSplits = 1024;
inline constexpr int kTargetCtasPerSm = 4;

inline int SmCount() {
  int device = 0, sms = 0;
  HS_CUDA_CHECK(cudaGetDevice(&device));
  HS_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  return sms;
}

// How a launch of `ctas` CTAs (before splitting) splits the keys of batch.max_context: into
// num_splits partitions of split_keys keys (a multiple of key_multiple), each at least min_keys
// long. num_splits = 1 (split_keys unbounded) when splitting does not pay.
struct KeySplits {
  int32_t num_splits = 1;
  int32_t split_keys = 1 << 30;
};
inline KeySplits PlanKeySplits(int64_t ctas, const BatchLayout& batch, int32_t key_multiple,
                               int32_t min_keys) {
  KeySplits plan;
  const int64_t target = static_cast<int64_t>(kTargetCtasPerSm) * SmCount();
  int64_t splits = (target + ctas - 1) / ctas;
  splits = std::min<int64_t>(splits, kMaxSplits);
  splits = std::min<int64_t>(splits, batch.max_context / std::max(min_keys, 1));
  splits = std::min<int64_t>(splits, kMaxRowSplits / batch.num_tokens);
  if (splits > 1) {
    const int per_split = static_cast<int>((batch.max_context + splits - 1) / splits);
    plan.split_keys = (per_split + key_multiple - 1) / key_multiple * key_multiple;
    plan.num_splits = (batch.max_context + plan.split_keys - 1) / plan.split_keys;
  }
  return plan;
}

// Where a split launch leaves its partitions' results in scratch for the merge: out [num_splits,
// T, nq, hd] unnormalized outputs, then max_sum [num_splits, T, nq, 2] running max and sum.
struct PartialOutputs {
  float* out = nullptr;
  float* max_sum = nullptr;
};
inline PartialOutputs PartialOutputsIn(void* scratch, int32_t num_splits, int32_t num_tokens,
                                       int32_t num_heads, int32_t head_dim) {
  PartialOutputs partial;
  partial.out = static_cast<float*>(scratch);
  partial.max_sum =
      partial.out + static_cast<int64_t>(num_splits) * num_tokens * num_heads * head_dim;
  return partial;
}

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_ATTENTION_SPLITS_H_
