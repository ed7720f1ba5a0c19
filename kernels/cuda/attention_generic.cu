// Why: the tiled attention kernels (attention.cu) take head dims that are multiples of 32; small
// models (and the tiny reference checkpoints of every family) use 8, 12 or 16. This kernel serves
// any head_dim up to 256, correct rather than fast.
//
// How: one warp per (row, query head). Lane l holds output dims l, l + 32, ... . The warp walks
// the sequence's keys 0..position one at a time through the block table: the score is a warp sum
// of q.k, then an online softmax update (running max and sum) of the lanes' accumulators. fp32
// throughout; keys past the row's position are never read.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>

#include "base/check.h"
#include "kernels/cuda/attention_generic.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/storage_type.cuh"

namespace hybridserve::kernels::cuda {
namespace {

constexpr int kMaxDimsPerLane = 8;  // head_dim <= 256

template <typename T>
__global__ void GenericAttentionKernel(const float* __restrict__ q, int64_t q_stride,
                                       int32_t num_heads, int32_t heads_per_kv, float scale,
                                       BatchLayout batch, const T* __restrict__ keys,
                                       const T* __restrict__ values, int32_t block_size,
                                       int32_t num_kv_heads, int32_t head_dim,
                                       float* __restrict__ out, int64_t out_stride) {
  const int32_t row = blockIdx.x;
  const int32_t head = blockIdx.y;
  const int lane = threadIdx.x;
  const int32_t seq = batch.token_seq[row];
  const int32_t position = batch.seq_start_pos[seq] + (row - batch.seq_row_begin[seq]);
  const int32_t* table = batch.block_tables + static_cast<int64_t>(seq) * batch.max_blocks;
  const int32_t kv_head = head / heads_per_kv;
  const float* q_row = q + row * q_stride + static_cast<int64_t>(head) * head_dim;

  float q_reg[kMaxDimsPerLane], acc[kMaxDimsPerLane];
  for (int i = 0; i < kMaxDimsPerLane; ++i) {
    const int d = lane + 32 * i;
    q_reg[i] = d < head_dim ? q_row[d] : 0.0f;
    acc[i] = 0.0f;
  }
  float running_max = -INFINITY, running_sum = 0.0f;
  for (int32_t key = 0; key <= position; ++key) {
    const int64_t slot =
        static_cast<int64_t>(table[key / block_size]) * block_size + key % block_size;
    const int64_t base = (slot * num_kv_heads + kv_head) * head_dim;
    float partial = 0.0f;
    for (int i = 0; i < kMaxDimsPerLane; ++i) {
      const int d = lane + 32 * i;
      if (d < head_dim) partial = fmaf(q_reg[i], LoadFloat(keys, base + d), partial);
    }
    for (int offset = 16; offset > 0; offset >>= 1) {
      partial += __shfl_xor_sync(0xffffffffu, partial, offset);
    }
    const float score = partial * scale;
    const float new_max = fmaxf(running_max, score);
    const float correction = expf(running_max - new_max);
    const float weight = expf(score - new_max);
    running_sum = running_sum * correction + weight;
    for (int i = 0; i < kMaxDimsPerLane; ++i) {
      const int d = lane + 32 * i;
      if (d < head_dim) acc[i] = fmaf(weight, LoadFloat(values, base + d), acc[i] * correction);
    }
    running_max = new_max;
  }
  float* out_row = out + row * out_stride + static_cast<int64_t>(head) * head_dim;
  for (int i = 0; i < kMaxDimsPerLane; ++i) {
    const int d = lane + 32 * i;
    if (d < head_dim) out_row[d] = acc[i] / running_sum;
  }
}

}  // namespace

void PagedAttentionGeneric(const float* q, int64_t q_stride, int32_t num_heads, float scale,
                           const BatchLayout& batch, const PagedKvCache& kv, float* out,
                           int64_t out_stride, cudaStream_t stream) {
  HS_CHECK_MSG(kv.head_dim > 0 && kv.head_dim <= 32 * kMaxDimsPerLane, "head_dim must be <= 256");
  HS_CHECK(kv.num_kv_heads > 0 && num_heads % kv.num_kv_heads == 0);
  if (batch.num_tokens == 0) return;
  const dim3 grid(batch.num_tokens, num_heads);
  const int32_t heads_per_kv = num_heads / kv.num_kv_heads;
  DispatchStorage(kv.dtype, [&](auto zero) {
    using T = decltype(zero);
    GenericAttentionKernel<<<grid, 32, 0, stream>>>(q, q_stride, num_heads, heads_per_kv, scale,
                                                    batch, static_cast<const T*>(kv.keys),
                                                    static_cast<const T*>(kv.values), kv.block_size,
                                                    kv.num_kv_heads, kv.head_dim, out, out_stride);
  });
  HS_CUDA_CHECK_LAUNCH();
}

}  // namespace hybridserve::kernels::cuda
