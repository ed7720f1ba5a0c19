// Why: attention reads K and V from the paged cache, so every step first stores its rows' k and v
// there (the CUDA twin of cpu::WriteKv, the specification). Decode steps with RoPE store them in
// the rotation's launch instead (ApplyRopeQkWriteKv, rope.cu).
//
// How: one CTA per batch row t: its k and v ([nkv * hd] floats each) are rounded to the cache's
// storage type (StoreFloat) and stored at row (p % block_size) of block block_table[p /
// block_size], p being the row's position (TokenCacheRow). Chained launch: it waits for the kernel
// before (which writes k and v) before reading anything.
#include <cuda_runtime.h>

#include <cstdint>

#include "base/check.h"
#include "kernels/cuda/attention_tiles.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/ops.h"
#include "kernels/cuda/storage_type.cuh"

namespace hybridserve::kernels::cuda {

namespace {

constexpr int kThreads = 128;

template <typename T>
__global__ void __launch_bounds__(kThreads)
    WriteKvKernel(const float* __restrict__ k, int64_t k_stride, const float* __restrict__ v,
                  int64_t v_stride, const int32_t* __restrict__ token_seq,
                  const int32_t* __restrict__ seq_row_begin,
                  const int32_t* __restrict__ seq_start_pos,
                  const int32_t* __restrict__ block_tables, int32_t max_blocks, int32_t block_size,
                  int32_t row_elements, T* __restrict__ keys, T* __restrict__ values) {
  WaitForPriorGrid();
  AllowDependentGrids();
  const int t = blockIdx.x;
  const int64_t offset = TokenCacheRow(t, token_seq, seq_row_begin, seq_start_pos, block_tables,
                                       max_blocks, block_size) *
                         row_elements;
  const float* k_row = k + t * k_stride;
  const float* v_row = v + t * v_stride;
  for (int i = threadIdx.x; i < row_elements; i += kThreads) {
    StoreFloat(k_row[i], keys, offset + i);
    StoreFloat(v_row[i], values, offset + i);
  }
}

}  // namespace

void WriteKv(const float* k, int64_t k_stride, const float* v, int64_t v_stride,
             const BatchLayout& batch, const PagedKvCache& kv, cudaStream_t stream) {
  HS_CHECK(kv.block_size > 0 && kv.num_kv_heads > 0 && kv.head_dim > 0);
  if (batch.num_tokens == 0) return;
  const int32_t row_elements = kv.num_kv_heads * kv.head_dim;
  DispatchStorage(kv.dtype, [&](auto tag) {
    using T = decltype(tag);
    LaunchChained(WriteKvKernel<T>, dim3(batch.num_tokens), dim3(kThreads), 0, stream, k, k_stride,
                  v, v_stride, batch.token_seq, batch.seq_row_begin, batch.seq_start_pos,
                  batch.block_tables, batch.max_blocks, kv.block_size, row_elements,
                  static_cast<T*>(kv.keys), static_cast<T*>(kv.values));
  });
  HS_CUDA_CHECK_LAUNCH();
}

}  // namespace hybridserve::kernels::cuda
