// Why: the attention layers of the hybrids on the GPU, over the paged KV cache, with prefill chunks
// and decode rows of many sequences in one launch (the CUDA twin of cpu::PagedAttention, which is
// the specification; the KV writes are in kv_write.cu and rope.cu).
//
// How: PagedAttention gives each CTA one tile of query vectors: up to kM (query row, query head)
// pairs of ONE sequence and ONE kv head (GQA: the query heads of a kv head share every K/V load).
// The CTA walks the sequence's keys in tiles of kKT: it gathers the tile's K and V rows through
// the block table into shared memory (as fp32), computes the kM x kKT scores with register
// tiling, updates an online softmax per
// query vector (running max and sum, no score matrix), and accumulates P.V in registers, all in
// fp32 with explicit fmaf (the library is built with --fmad=false). Two tile shapes: a wide one
// (kM = 64 or 32) for prefill chunks and a narrow one (kM = 8, kKT = 64) for decode-only batches,
// where the work is reading K/V. Tiles are numbered per sequence: decode-only batches map CTA b
// to sequence b; otherwise warp 0 finds its tile by a prefix sum over the rows per sequence.
// With scratch, the keys are also split into partitions across blockIdx.z (flash-decoding) when
// there are too few tiles to fill the GPU; each partition leaves an unnormalized output plus its
// max and sum, and MergePartitions combines them. Keys past a CTA's range are never loaded, so
// cache rows and blocks that no sequence owns are never read (they may hold NaN).
// Over a bf16/fp16 cache with head_dim 64 or 128, batches that are not decode-only go to the
// tensor-core kernel of attention_mma.cu instead of the wide tile, and batches of one row per
// sequence to attention_decode.cu (K/V straight into registers) instead of the narrow tile; its
// partitions are merged here.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "base/check.h"
#include "kernels/cuda/attention_decode.h"
#include "kernels/cuda/attention_generic.h"
#include "kernels/cuda/attention_mma.h"
#include "kernels/cuda/attention_splits.h"
#include "kernels/cuda/attention_tiles.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/ops.h"
#include "kernels/cuda/reduce.cuh"

namespace hybridserve::kernels::cuda {

namespace {

constexpr int kThreads = 128;
// The shortest key partition: one narrow tile, so that a short context still spreads over SMs.
constexpr int kMinSplitKeys = 64;

// ---- storage type conversions ------------------------------------------------------------

// Converts one 16-byte chunk of storage values (4 floats or 8 halves) to floats at dst.
template <typename T>
__device__ __forceinline__ void StoreChunkAsFloats(const uint4& raw, float* dst);
template <>
__device__ __forceinline__ void StoreChunkAsFloats<float>(const uint4& raw, float* dst) {
  *reinterpret_cast<float4*>(dst) = make_float4(__uint_as_float(raw.x), __uint_as_float(raw.y),
                                                __uint_as_float(raw.z), __uint_as_float(raw.w));
}
template <>
__device__ __forceinline__ void StoreChunkAsFloats<__nv_bfloat16>(const uint4& raw, float* dst) {
  const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&raw);
  const float2 a = __bfloat1622float2(h[0]), b = __bfloat1622float2(h[1]);
  const float2 c = __bfloat1622float2(h[2]), d = __bfloat1622float2(h[3]);
  reinterpret_cast<float4*>(dst)[0] = make_float4(a.x, a.y, b.x, b.y);
  reinterpret_cast<float4*>(dst)[1] = make_float4(c.x, c.y, d.x, d.y);
}
template <>
__device__ __forceinline__ void StoreChunkAsFloats<__half>(const uint4& raw, float* dst) {
  const __half2* h = reinterpret_cast<const __half2*>(&raw);
  const float2 a = __half22float2(h[0]), b = __half22float2(h[1]);
  const float2 c = __half22float2(h[2]), d = __half22float2(h[3]);
  reinterpret_cast<float4*>(dst)[0] = make_float4(a.x, a.y, b.x, b.y);
  reinterpret_cast<float4*>(dst)[1] = make_float4(c.x, c.y, d.x, d.y);
}

// ---- PagedAttention ----------------------------------------------------------------------

struct AttentionParams : PagedArgs {
  int32_t heads_per_cta;    // HG = min(G, kM): query heads of a kv head in one CTA
  int32_t num_head_groups;  // ceil(G / HG)
  int32_t rows_per_tile;    // R = kM / HG
  bool one_tile_per_seq;    // every sequence has <= R rows: CTA b is sequence b
  int32_t num_splits;       // key partitions (blockIdx.z); 1: no scratch, write out directly
  int32_t split_keys;       // keys per partition (a multiple of kKT when num_splits > 1)
  float* partial_out;       // [num_splits, T, nq, hd] unnormalized outputs (num_splits > 1)
  float* partial_max_sum;   // [num_splits, T, nq, 2] running max and sum (num_splits > 1)
};

// Shared memory of one CTA, in floats (the int arrays at the end count as floats).
template <int kHd, int kM, int kKT>
constexpr int SmemFloats() {
  return (kM + 2 * kKT) * (kHd + 4) + kM * (kKT + 1) + 4 * kM + 4;
}

// kM query vectors x kKT keys per tile. Score layout: kThreads = (kThreads / kTKT) x kTKT threads,
// thread (tm, tk) computes rows tm + (kThreads / kTKT) * i and keys tk + kTKT * c. P.V layout:
// thread (mo, dm) accumulates rows mo + (kThreads / kDT) * i and float4 columns dm + kDT * c.
// Chained launch: the tile search reads only the batch layout (uploaded before the step), and
// with kPrefetch the first K/V tile's keys cached before this step are loaded before waiting for
// the kernel before (the one writing this step's keys); the step's own keys of that tile, q and
// everything else after. Every path waits.
template <typename T, int kHd, int kM, int kKT, int kTKT, int kDT>
__global__ void __launch_bounds__(kThreads) AttentionKernel(const AttentionParams p) {
  constexpr int kStride = kHd + 4;  // shared row stride of Q, K, V (float4-aligned, spreads banks)
  constexpr int kSStride = kKT + 1;
  constexpr int kTMT = kThreads / kTKT;
  constexpr int kRowsS = kM / kTMT;
  constexpr int kKeysS = kKT / kTKT;
  constexpr int kMT = kThreads / kDT;
  constexpr int kRowsO = kM / kMT;
  constexpr int kColsO = kHd / 4 / kDT;
  constexpr int kChunkElems = 16 / sizeof(T);
  constexpr int kChunksPerRow = kHd / kChunkElems;
  constexpr int kLoadIters = kKT * kChunksPerRow / kThreads;
  static_assert(kThreads % kTKT == 0 && kM % kTMT == 0 && kKT % kTKT == 0, "score layout");
  static_assert(kThreads % kDT == 0 && kM % kMT == 0 && (kHd / 4) % kDT == 0, "P.V layout");
  static_assert(kKT * kChunksPerRow % kThreads == 0, "K/V tile load layout");
  static_assert(kThreads % kM == 0 && kThreads / kM <= 32, "softmax layout");

  extern __shared__ float4 smem4[];
  float* sq = reinterpret_cast<float*>(smem4);        // [kM][kStride]
  float* sk = sq + kM * kStride;                      // [kKT][kStride]
  float* sv = sk + kKT * kStride;                     // [kKT][kStride]
  float* ss = sv + kKT * kStride;                     // [kM][kSStride] scores, then probabilities
  float* s_max = ss + kM * kSStride;                  // [kM] running max
  float* s_sum = s_max + kM;                          // [kM] running sum
  float* s_alpha = s_sum + kM;                        // [kM] rescale of this tile
  int* s_pos = reinterpret_cast<int*>(s_alpha + kM);  // [kM] position of each query vector
  int* s_info = s_pos + kM;                           // seq, first row, rows

  const int tid = threadIdx.x;

  // Which tile: sequence, first row (global), number of rows.
  int seq, row0, num_rows;
  if (p.one_tile_per_seq) {
    seq = blockIdx.x;
    row0 = p.seq_row_begin[seq];
    num_rows = p.seq_row_begin[seq + 1] - row0;
  } else {
    if (tid < 32) FindTile(p.num_seqs, p.seq_row_begin, p.rows_per_tile, blockIdx.x, s_info);
    __syncthreads();
    seq = s_info[0];
    row0 = seq < 0 ? 0 : s_info[1];
    num_rows = seq < 0 ? 0 : s_info[2];
  }
  if (num_rows <= 0) {
    WaitForPriorGrid();
    AllowDependentGrids();
    return;
  }

  const int kv_head = blockIdx.y / p.num_head_groups;
  const int head0 = kv_head * p.heads_per_kv + (blockIdx.y % p.num_head_groups) * p.heads_per_cta;
  const int num_tile_heads =
      min(p.heads_per_cta, p.heads_per_kv - (blockIdx.y % p.num_head_groups) * p.heads_per_cta);
  const int num_m = num_rows * num_tile_heads;  // valid query vectors: m = row * heads + head
  const int seq_begin = p.seq_row_begin[seq];
  const int first_pos = p.seq_start_pos[seq] + (row0 - seq_begin);
  const int last_pos = first_pos + num_rows - 1;
  const int key_begin = blockIdx.z * p.split_keys;
  const int key_end = min(key_begin + p.split_keys, last_pos + 1);
  const int cached_end = p.seq_start_pos[seq];  // keys before it were written by earlier steps

  const T* keys = static_cast<const T*>(p.keys);
  const T* values = static_cast<const T*>(p.values);
  const int32_t* block_table = p.block_tables + static_cast<int64_t>(seq) * p.max_blocks;
  const int64_t row_elements = static_cast<int64_t>(p.num_kv_heads) * kHd;

  // K/V chunks of one tile in registers: all loads are issued before any is used. When they fit,
  // the next tile's loads are issued before computing the current one (software pipelining).
  // load_keys loads the tile's keys in [lo, hi), leaves zeros past key_end (never a NaN from a
  // row no sequence owns) and the other chunks as they were.
  constexpr bool kPrefetch = kLoadIters <= 8;
  uint4 k_raw[kLoadIters], v_raw[kLoadIters];
  auto load_keys = [&](int tile_begin, int lo, int hi) {
#pragma unroll
    for (int it = 0; it < kLoadIters; ++it) {
      const int idx = tid + it * kThreads;
      const int j = idx / kChunksPerRow, chunk = idx % kChunksPerRow;
      const int key = tile_begin + j;
      if (key >= key_end) {
        k_raw[it] = make_uint4(0, 0, 0, 0);
        v_raw[it] = make_uint4(0, 0, 0, 0);
      } else if (key >= lo && key < hi) {
        const int64_t offset =
            KeyCacheRow(key, block_table, p.block_size, p.block_shift) * row_elements +
            static_cast<int64_t>(kv_head) * kHd + chunk * kChunkElems;
        k_raw[it] = __ldg(reinterpret_cast<const uint4*>(keys + offset));
        v_raw[it] = __ldg(reinterpret_cast<const uint4*>(values + offset));
      }
    }
  };
  auto load_tile = [&](int tile_begin) { load_keys(tile_begin, tile_begin, key_end); };
  if constexpr (kPrefetch) {
    // The first tile's earlier keys now; its keys of this step once they are written.
    load_keys(key_begin, key_begin, min(key_end, cached_end));
  }
  WaitForPriorGrid();
  AllowDependentGrids();
  if (key_begin > last_pos) return;  // an empty partition: MergePartitions skips it
  if constexpr (kPrefetch) {
    if (cached_end < min(key_end, key_begin + kKT)) {
      load_keys(key_begin, max(key_begin, cached_end), key_end);
    }
  }

  // Query vectors into shared memory (zeros past num_m), positions, softmax state.
  for (int i = tid; i < kM * kHd; i += kThreads) {
    const int m = i / kHd, d = i % kHd;
    float x = 0.0f;
    if (m < num_m) {
      const int row = row0 + m / num_tile_heads;
      const int head = head0 + m % num_tile_heads;
      x = p.q[row * p.q_stride + static_cast<int64_t>(head) * kHd + d];
    }
    sq[m * kStride + d] = x;
  }
  for (int m = tid; m < kM; m += kThreads) {
    s_pos[m] = m < num_m ? first_pos + m / num_tile_heads : -1;
    s_max[m] = -INFINITY;
    s_sum[m] = 0.0f;
  }
  __syncthreads();

  const int tk = tid % kTKT, tm = tid / kTKT;
  int pos_s[kRowsS];
#pragma unroll
  for (int i = 0; i < kRowsS; ++i) pos_s[i] = s_pos[tm + kTMT * i];
  // Rows tm + kTMT * i of this thread that hold a query vector: i < live_rows_s.
  const int live_rows_s = tm < num_m ? (num_m - tm + kTMT - 1) / kTMT : 0;
  const int dm = tid % kDT, mo = tid / kDT;
  float4 acc[kRowsO][kColsO];
#pragma unroll
  for (int i = 0; i < kRowsO; ++i) {
#pragma unroll
    for (int c = 0; c < kColsO; ++c) acc[i][c] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  }

  for (int tile_begin = key_begin; tile_begin < key_end; tile_begin += kKT) {
    // 1. The tile's K and V rows into shared memory as floats.
    if constexpr (!kPrefetch) load_tile(tile_begin);
    __syncthreads();  // the previous tile's sk, sv, ss are no longer read
#pragma unroll
    for (int it = 0; it < kLoadIters; ++it) {
      const int idx = tid + it * kThreads;
      const int j = idx / kChunksPerRow, chunk = idx % kChunksPerRow;
      StoreChunkAsFloats<T>(k_raw[it], sk + j * kStride + chunk * kChunkElems);
      StoreChunkAsFloats<T>(v_raw[it], sv + j * kStride + chunk * kChunkElems);
    }
    __syncthreads();
    if constexpr (kPrefetch) {
      if (tile_begin + kKT < key_end) load_tile(tile_begin + kKT);
    }

    // 2. Scores q.k * scale; -inf where masked (causal, past the range, or no query vector).
    float score[kRowsS][kKeysS];
#pragma unroll
    for (int i = 0; i < kRowsS; ++i) {
#pragma unroll
      for (int c = 0; c < kKeysS; ++c) score[i][c] = 0.0f;
    }
#pragma unroll 4
    for (int d = 0; d < kHd; d += 4) {
      float4 qv[kRowsS], kv[kKeysS];
#pragma unroll
      for (int c = 0; c < kKeysS; ++c) {
        kv[c] = *reinterpret_cast<const float4*>(sk + (tk + kTKT * c) * kStride + d);
      }
#pragma unroll
      for (int i = 0; i < kRowsS; ++i) {
        if (i >= live_rows_s) break;  // no query vector (decode: most of the narrow tile)
        qv[i] = *reinterpret_cast<const float4*>(sq + (tm + kTMT * i) * kStride + d);
#pragma unroll
        for (int c = 0; c < kKeysS; ++c) {
          float s = score[i][c];
          s = fmaf(qv[i].x, kv[c].x, s);
          s = fmaf(qv[i].y, kv[c].y, s);
          s = fmaf(qv[i].z, kv[c].z, s);
          s = fmaf(qv[i].w, kv[c].w, s);
          score[i][c] = s;
        }
      }
    }
#pragma unroll
    for (int i = 0; i < kRowsS; ++i) {
#pragma unroll
      for (int c = 0; c < kKeysS; ++c) {
        const int key = tile_begin + tk + kTKT * c;
        const bool valid = key < key_end && key <= pos_s[i];  // pos_s = -1 for no query
        ss[(tm + kTMT * i) * kSStride + tk + kTKT * c] = valid ? score[i][c] * p.scale : -INFINITY;
      }
    }
    __syncthreads();

    // 3. Online softmax: kThreads / kM adjacent lanes per query vector.
    {
      constexpr int kLanesPerRow = kThreads / kM;
      const int m = tid / kLanesPerRow, part = tid % kLanesPerRow;
      float* row = ss + m * kSStride;
      const float old_max = s_max[m];
      float tile_max = -INFINITY;
      for (int j = part; j < kKT; j += kLanesPerRow) tile_max = fmaxf(tile_max, row[j]);
#pragma unroll
      for (int offset = kLanesPerRow / 2; offset > 0; offset >>= 1) {
        tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, offset));
      }
      const float new_max = fmaxf(old_max, tile_max);
      float sum = 0.0f;
      for (int j = part; j < kKT; j += kLanesPerRow) {
        const float s = row[j];
        const float e = s == -INFINITY ? 0.0f : expf(s - new_max);
        row[j] = e;
        sum += e;
      }
#pragma unroll
      for (int offset = kLanesPerRow / 2; offset > 0; offset >>= 1) {
        sum += __shfl_xor_sync(0xffffffffu, sum, offset);
      }
      if (part == 0) {
        // old_max = -inf: nothing accumulated yet (and new_max may still be -inf).
        const float alpha = old_max == -INFINITY ? 0.0f : expf(old_max - new_max);
        s_alpha[m] = alpha;
        s_max[m] = new_max;
        s_sum[m] = s_sum[m] * alpha + sum;
      }
    }
    __syncthreads();

    // 4. acc = acc * alpha + P.V over the tile's keys.
    // (A thread without any query vector skips the keys: its probabilities are all 0.)
    const int tile_keys = mo < num_m ? min(kKT, key_end - tile_begin) : 0;
#pragma unroll
    for (int i = 0; i < kRowsO; ++i) {
      const float alpha = s_alpha[mo + kMT * i];
#pragma unroll
      for (int c = 0; c < kColsO; ++c) {
        acc[i][c].x *= alpha;
        acc[i][c].y *= alpha;
        acc[i][c].z *= alpha;
        acc[i][c].w *= alpha;
      }
    }
    for (int j = 0; j < tile_keys; ++j) {
      float4 vv[kColsO];
#pragma unroll
      for (int c = 0; c < kColsO; ++c) {
        vv[c] = *reinterpret_cast<const float4*>(sv + j * kStride + 4 * (dm + kDT * c));
      }
#pragma unroll
      for (int i = 0; i < kRowsO; ++i) {
        const float pj = ss[(mo + kMT * i) * kSStride + j];
#pragma unroll
        for (int c = 0; c < kColsO; ++c) {
          acc[i][c].x = fmaf(pj, vv[c].x, acc[i][c].x);
          acc[i][c].y = fmaf(pj, vv[c].y, acc[i][c].y);
          acc[i][c].z = fmaf(pj, vv[c].z, acc[i][c].z);
          acc[i][c].w = fmaf(pj, vv[c].w, acc[i][c].w);
        }
      }
    }
  }
  // s_max / s_sum were last written before the final __syncthreads of the loop.

  // 5. Output: normalized, or this partition's unnormalized sum with its max and sum.
#pragma unroll
  for (int i = 0; i < kRowsO; ++i) {
    const int m = mo + kMT * i;
    if (m >= num_m) continue;
    const int row = row0 + m / num_tile_heads;
    const int head = head0 + m % num_tile_heads;
    if (p.num_splits == 1) {
      const float sum = s_sum[m];
      float* dst = p.out + row * p.out_stride + static_cast<int64_t>(head) * kHd;
#pragma unroll
      for (int c = 0; c < kColsO; ++c) {
        const int d = 4 * (dm + kDT * c);
        dst[d + 0] = acc[i][c].x / sum;
        dst[d + 1] = acc[i][c].y / sum;
        dst[d + 2] = acc[i][c].z / sum;
        dst[d + 3] = acc[i][c].w / sum;
      }
    } else {
      const int64_t slot =
          (static_cast<int64_t>(blockIdx.z) * p.num_tokens + row) * p.num_heads + head;
      float4* dst = reinterpret_cast<float4*>(p.partial_out + slot * kHd);
#pragma unroll
      for (int c = 0; c < kColsO; ++c) dst[dm + kDT * c] = acc[i][c];
      if (dm == 0) {
        reinterpret_cast<float2*>(p.partial_max_sum)[slot] = make_float2(s_max[m], s_sum[m]);
      }
    }
  }
}

// One CTA per (row, head): out = sum_s exp(max_s - M) * out_s / sum_s exp(max_s - M) * sum_s
// over the partitions s that hold keys of the row (s * split_keys <= position), M = max_s max_s.
// Thread s reads partition s's (max, sum); M and the denominator are block reductions. Warp w then
// sums partitions w, w + kMergeWarps, ... of the head's output (lane: 4-float chunks), several
// loads in flight, and the warps' sums are added in shared memory: at 128 partitions (a long
// context at batch 1) no thread walks more than 16 of them.
constexpr int kMergeThreads = 256;
constexpr int kMergeWarps = kMergeThreads / 32;
constexpr int kMaxMergeChunks = 256 / 4;  // head_dim <= 256
static_assert(kMaxSplits <= kMergeThreads, "one partition per thread");
__global__ void __launch_bounds__(kMergeThreads)
    MergePartitions(const AttentionParams p, const int32_t* __restrict__ token_seq, int head_dim) {
  AllowDependentGrids();  // the next kernel (the output projection) loads its weights meanwhile
  WaitForPriorGrid();
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int64_t pair = blockIdx.x;
  const int t = static_cast<int>(pair / p.num_heads);
  const int head = static_cast<int>(pair % p.num_heads);
  const int seq = token_seq[t];
  const int position = p.seq_start_pos[seq] + (t - p.seq_row_begin[seq]);
  const int num_parts = min(p.num_splits, position / p.split_keys + 1);
  const int64_t split_stride = static_cast<int64_t>(p.num_tokens) * p.num_heads;
  __shared__ float weight[kMaxSplits];
  __shared__ float4 warp_out[kMergeWarps][kMaxMergeChunks];
  const int s_own = threadIdx.x;
  float2 ms = make_float2(-INFINITY, 0.0f);
  if (s_own < num_parts) {
    ms = reinterpret_cast<const float2*>(p.partial_max_sum)[s_own * split_stride + pair];
  }
  const float global_max = BlockMax(ms.x);
  const float w_own = ms.x == -INFINITY ? 0.0f : expf(ms.x - global_max);
  if (s_own < num_parts) weight[s_own] = w_own;
  const float sum = BlockSum(w_own * ms.y);  // also orders the weight writes before the reads
  const int chunks_per_head = head_dim / 4;
  for (int chunk = lane; chunk < chunks_per_head; chunk += 32) {
    float4 o = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    const float4* part = reinterpret_cast<const float4*>(p.partial_out + pair * head_dim) + chunk;
#pragma unroll 8
    for (int s = warp; s < num_parts; s += kMergeWarps) {
      const float w = weight[s];
      const float4 v = part[s * split_stride * chunks_per_head];
      o.x = fmaf(w, v.x, o.x);
      o.y = fmaf(w, v.y, o.y);
      o.z = fmaf(w, v.z, o.z);
      o.w = fmaf(w, v.w, o.w);
    }
    warp_out[warp][chunk] = o;
  }
  __syncthreads();
  for (int chunk = threadIdx.x; chunk < chunks_per_head; chunk += kMergeThreads) {
    float4 o = warp_out[0][chunk];
    for (int w = 1; w < kMergeWarps; ++w) {
      const float4 v = warp_out[w][chunk];
      o.x += v.x;
      o.y += v.y;
      o.z += v.z;
      o.w += v.w;
    }
    float* dst = p.out + t * p.out_stride + static_cast<int64_t>(head) * head_dim + 4 * chunk;
    dst[0] = o.x / sum;
    dst[1] = o.y / sum;
    dst[2] = o.z / sum;
    dst[3] = o.w / sum;
  }
}

// Merges p.num_splits partitions (p.partial_out, p.partial_max_sum) into p.out.
void LaunchMerge(const AttentionParams& p, const BatchLayout& batch, int head_dim,
                 cudaStream_t stream) {
  const int64_t pairs = static_cast<int64_t>(batch.num_tokens) * p.num_heads;
  LaunchChained(MergePartitions, dim3(static_cast<unsigned>(pairs)), dim3(kMergeThreads), 0, stream,
                p, batch.token_seq, head_dim);
  HS_CUDA_CHECK_LAUNCH();
}

// The tile shape of a launch: kM query vectors, kKT keys, and the two thread layouts.
template <int kM, int kKT, int kTKT, int kDT>
struct TileShape {
  static constexpr int M = kM, KT = kKT, TKT = kTKT, DT = kDT;
};
// Prefill: 64 query vectors (32 for head_dim > 128, to bound shared memory) x 32 keys.
template <int kHd>
using WideTile = TileShape<(kHd <= 128 ? 64 : 32), 32, 8, 8>;
// Decode: 8 query vectors x 64 keys (head_dim 64 and 128).
using NarrowTile = TileShape<8, 64, 32, 16>;

// Plans and launches one tile shape: tile counts, GQA head groups, key partitions.
template <typename T, int kHd, typename Tile>
void LaunchAttention(AttentionParams p, const BatchLayout& batch, void* scratch,
                     cudaStream_t stream) {
  p.heads_per_cta = std::min(p.heads_per_kv, Tile::M);
  p.num_head_groups = (p.heads_per_kv + p.heads_per_cta - 1) / p.heads_per_cta;
  p.rows_per_tile = Tile::M / p.heads_per_cta;
  p.one_tile_per_seq = batch.max_seq_tokens <= p.rows_per_tile;
  // Tiles never straddle sequences, so there are fewer than T / R + S of them.
  const int64_t num_tiles =
      p.one_tile_per_seq
          ? batch.num_seqs
          : (batch.num_tokens + p.rows_per_tile - 1) / p.rows_per_tile + batch.num_seqs;
  const int64_t ctas = num_tiles * p.num_kv_heads * p.num_head_groups;

  p.num_splits = 1;
  p.split_keys = 1 << 30;
  if (scratch != nullptr) {
    const KeySplits plan = PlanKeySplits(ctas, batch, Tile::KT, kMinSplitKeys);
    p.num_splits = plan.num_splits;
    p.split_keys = plan.split_keys;
    const PartialOutputs partial =
        PartialOutputsIn(scratch, p.num_splits, batch.num_tokens, p.num_heads, kHd);
    p.partial_out = partial.out;
    p.partial_max_sum = partial.max_sum;
  }

  auto kernel = AttentionKernel<T, kHd, Tile::M, Tile::KT, Tile::TKT, Tile::DT>;
  constexpr int kSmemBytes = SmemFloats<kHd, Tile::M, Tile::KT>() * sizeof(float);
  HS_CUDA_CHECK(
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes));
  const dim3 grid(static_cast<unsigned>(num_tiles),
                  static_cast<unsigned>(p.num_kv_heads * p.num_head_groups),
                  static_cast<unsigned>(p.num_splits));
  LaunchChained(kernel, dim3(grid), dim3(kThreads), kSmemBytes, stream, p);
  HS_CUDA_CHECK_LAUNCH();
  if (p.num_splits > 1) LaunchMerge(p, batch, kHd, stream);
}

// Decode-only batches: every sequence fits one narrow tile (head_dim 64 and 128 take it).
bool DecodeOnly(const BatchLayout& batch, int heads_per_kv) {
  const int heads_per_cta = std::min(heads_per_kv, NarrowTile::M);
  return batch.max_seq_tokens <= NarrowTile::M / heads_per_cta;
}

template <typename T, int kHd>
void AttentionForHeadDim(const AttentionParams& p, const BatchLayout& batch, void* scratch,
                         cudaStream_t stream) {
  if constexpr (kHd == 64 || kHd == 128) {
    if (DecodeOnly(batch, p.heads_per_kv)) {
      LaunchAttention<T, kHd, NarrowTile>(p, batch, scratch, stream);
      return;
    }
  }
  LaunchAttention<T, kHd, WideTile<kHd>>(p, batch, scratch, stream);
}

template <typename T>
void AttentionForType(const AttentionParams& p, const BatchLayout& batch, int head_dim,
                      void* scratch, cudaStream_t stream) {
  switch (head_dim) {
    case 32:
      return AttentionForHeadDim<T, 32>(p, batch, scratch, stream);
    case 64:
      return AttentionForHeadDim<T, 64>(p, batch, scratch, stream);
    case 96:
      return AttentionForHeadDim<T, 96>(p, batch, scratch, stream);
    case 128:
      return AttentionForHeadDim<T, 128>(p, batch, scratch, stream);
    case 160:
      return AttentionForHeadDim<T, 160>(p, batch, scratch, stream);
    case 192:
      return AttentionForHeadDim<T, 192>(p, batch, scratch, stream);
    case 224:
      return AttentionForHeadDim<T, 224>(p, batch, scratch, stream);
    case 256:
      return AttentionForHeadDim<T, 256>(p, batch, scratch, stream);
    default:
      HS_CHECK_MSG(false, "head_dim must be a multiple of 32 up to 256");
  }
}

}  // namespace

int64_t PagedAttentionScratchBytes(int32_t num_heads, int32_t head_dim) {
  return kMaxRowSplits * num_heads * (static_cast<int64_t>(head_dim) + 2) *
         static_cast<int64_t>(sizeof(float));
}

void PagedAttention(const float* q, int64_t q_stride, int32_t num_heads, float scale,
                    const BatchLayout& batch, const PagedKvCache& kv, float* out,
                    int64_t out_stride, void* scratch, cudaStream_t stream) {
  HS_CHECK(kv.num_kv_heads > 0 && num_heads % kv.num_kv_heads == 0);
  HS_CHECK(kv.block_size > 0);
  if (kv.head_dim % 32 != 0) {
    // Small or odd head dims: the generic warp-per-row kernel.
    PagedAttentionGeneric(q, q_stride, num_heads, scale, batch, kv, out, out_stride, stream);
    return;
  }
  HS_CHECK_MSG(kv.head_dim >= 32 && kv.head_dim <= 256, "head_dim must be at most 256");
  HS_CHECK(reinterpret_cast<uintptr_t>(kv.keys) % 16 == 0 &&
           reinterpret_cast<uintptr_t>(kv.values) % 16 == 0);
  HS_CHECK(reinterpret_cast<uintptr_t>(scratch) % 16 == 0);
  if (batch.num_tokens == 0 || batch.num_seqs == 0) return;
  if (UseAttentionMma(kv, DecodeOnly(batch, num_heads / kv.num_kv_heads))) {
    PagedAttentionMma(q, q_stride, num_heads, scale, batch, kv, out, out_stride, stream);
    return;
  }
  AttentionParams p{PagedArgsFor(q, q_stride, num_heads, scale, batch, kv, out, out_stride)};
  if (UseAttentionDecode(kv, batch)) {
    const KeySplits plan = PagedAttentionDecode(q, q_stride, num_heads, scale, batch, kv, out,
                                                out_stride, scratch, stream);
    if (plan.num_splits > 1) {
      p.num_splits = plan.num_splits;
      p.split_keys = plan.split_keys;
      const PartialOutputs partial =
          PartialOutputsIn(scratch, plan.num_splits, batch.num_tokens, num_heads, kv.head_dim);
      p.partial_out = partial.out;
      p.partial_max_sum = partial.max_sum;
      LaunchMerge(p, batch, kv.head_dim, stream);
    }
    return;
  }
  switch (kv.dtype) {
    case DType::kF32:
      return AttentionForType<float>(p, batch, kv.head_dim, scratch, stream);
    case DType::kBF16:
      return AttentionForType<__nv_bfloat16>(p, batch, kv.head_dim, scratch, stream);
    case DType::kF16:
      return AttentionForType<__half>(p, batch, kv.head_dim, scratch, stream);
  }
}

void PagedAttention(const float* q, int64_t q_stride, int32_t num_heads, float scale,
                    const BatchLayout& batch, const PagedKvCache& kv, float* out,
                    int64_t out_stride, cudaStream_t stream) {
  PagedAttention(q, q_stride, num_heads, scale, batch, kv, out, out_stride, nullptr, stream);
}

}  // namespace hybridserve::kernels::cuda
