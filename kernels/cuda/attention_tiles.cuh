// Internal to kernels/cuda: what the paged-attention kernels (attention.cu, attention_mma.cu,
// attention_decode.cu) and the KV writes (kv_write.cu, rope.cu) share: how a CTA finds its tile
// of query rows (tiles never straddle sequences) and where a key's or a batch row's entry lies in
// the paged cache.
#ifndef HYBRIDSERVE_KERNELS_CUDA_ATTENTION_TILES_CUH_
#define HYBRIDSERVE_KERNELS_CUDA_ATTENTION_TILES_CUH_

#include <cstdint>

#include "kernels/cuda/ops.h"

namespace hybridserve::kernels::cuda {

// log2(block_size) when it is a power of two (keys then map to blocks by shifts), else -1.
inline int32_t BlockShift(int32_t block_size) {
  return (block_size & (block_size - 1)) == 0 ? __builtin_ctz(block_size) : -1;
}

// What every paged-attention launch reads: the arguments of PagedAttention, flattened for the
// kernels (each kernel's parameters extend it with their own plan).
struct PagedArgs {
  const float* q;  // [T, nq, hd], row stride q_stride
  int64_t q_stride;
  float* out;  // [T, nq * hd], row stride out_stride
  int64_t out_stride;
  const void* keys;  // [num_blocks, block_size, nkv, hd] (storage type)
  const void* values;
  const int32_t* seq_row_begin;  // [S + 1]
  const int32_t* seq_start_pos;  // [S]
  const int32_t* block_tables;   // [S, max_blocks]
  int32_t num_seqs;
  int32_t num_tokens;
  int32_t max_blocks;
  int32_t block_size;
  int32_t block_shift;  // log2(block_size) when it is a power of two, else -1
  int32_t num_heads;
  int32_t num_kv_heads;
  int32_t heads_per_kv;  // G = nq / nkv
  float scale;
};

inline PagedArgs PagedArgsFor(const float* q, int64_t q_stride, int32_t num_heads, float scale,
                              const BatchLayout& batch, const PagedKvCache& kv, float* out,
                              int64_t out_stride) {
  PagedArgs a{};
  a.q = q;
  a.q_stride = q_stride;
  a.out = out;
  a.out_stride = out_stride;
  a.keys = kv.keys;
  a.values = kv.values;
  a.seq_row_begin = batch.seq_row_begin;
  a.seq_start_pos = batch.seq_start_pos;
  a.block_tables = batch.block_tables;
  a.num_seqs = batch.num_seqs;
  a.num_tokens = batch.num_tokens;
  a.max_blocks = batch.max_blocks;
  a.block_size = kv.block_size;
  a.block_shift = BlockShift(kv.block_size);
  a.num_heads = num_heads;
  a.num_kv_heads = kv.num_kv_heads;
  a.heads_per_kv = num_heads / kv.num_kv_heads;
  a.scale = scale;
  return a;
}

// Finds tile b's sequence, first row and row count in info[0..2] (info[0] = -1: no such tile),
// the tiles of a sequence being ceil(rows / rows_per_tile) runs of rows_per_tile rows, numbered
// in sequence order. Called by warp 0 only: it walks the sequences 32 at a time with a prefix sum
// of their tile counts.
__device__ inline void FindTile(int32_t num_seqs, const int32_t* seq_row_begin,
                                int32_t rows_per_tile, int b, int* info) {
  const int lane = threadIdx.x;
  int base = 0;  // tiles of the sequences before this group of 32
  bool found = false;
  int seq = -1, row0 = 0, rows = 0;
  for (int s0 = 0; s0 < num_seqs && base <= b; s0 += 32) {
    const int s = s0 + lane;
    int row_begin = 0, n = 0;
    if (s < num_seqs) {
      row_begin = seq_row_begin[s];
      n = seq_row_begin[s + 1] - row_begin;
    }
    const int count = (n + rows_per_tile - 1) / rows_per_tile;
    int inclusive = count;
#pragma unroll
    for (int offset = 1; offset < 32; offset <<= 1) {
      const int y = __shfl_up_sync(0xffffffffu, inclusive, offset);
      if (lane >= offset) inclusive += y;
    }
    const int exclusive = inclusive - count;
    if (b >= base + exclusive && b < base + inclusive) {
      const int tile = b - base - exclusive;
      found = true;
      seq = s;
      row0 = row_begin + tile * rows_per_tile;
      rows = min(rows_per_tile, n - tile * rows_per_tile);
    }
    base += __shfl_sync(0xffffffffu, inclusive, 31);
  }
  const unsigned found_mask = __ballot_sync(0xffffffffu, found);
  if (found_mask == 0) {
    if (lane == 0) info[0] = -1;
  } else if (found) {
    info[0] = seq;
    info[1] = row0;
    info[2] = rows;
  }
}

// The row of the paged cache ([num_blocks * block_size, ...]) holding key `key` of a sequence
// whose block table is block_table.
__device__ __forceinline__ int64_t KeyCacheRow(int key, const int32_t* block_table,
                                               int32_t block_size, int32_t block_shift) {
  int block_index, block_row;
  if (block_shift >= 0) {
    block_index = key >> block_shift;
    block_row = key & (block_size - 1);
  } else {
    block_index = key / block_size;
    block_row = key % block_size;
  }
  return static_cast<int64_t>(block_table[block_index]) * block_size + block_row;
}

// The row of the paged cache that batch row t's k and v go to: its position is its sequence's
// cached length plus its offset among the sequence's rows of the step (the batch layout's arrays).
__device__ __forceinline__ int64_t TokenCacheRow(int t, const int32_t* token_seq,
                                                 const int32_t* seq_row_begin,
                                                 const int32_t* seq_start_pos,
                                                 const int32_t* block_tables, int32_t max_blocks,
                                                 int32_t block_size) {
  const int seq = token_seq[t];
  const int position = seq_start_pos[seq] + (t - seq_row_begin[seq]);
  const int64_t block =
      block_tables[static_cast<int64_t>(seq) * max_blocks + position / block_size];
  return block * block_size + position % block_size;
}

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_ATTENTION_TILES_CUH_
