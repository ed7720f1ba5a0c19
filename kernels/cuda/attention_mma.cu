// Why: a prefill chunk's attention is bound by arithmetic (its keys are read once per tile of
// queries), and attention.cu's wide tile does it on the fp32 cores at ~24 TFLOP/s on an H200.
// When the KV cache is bf16 or fp16 anyway, the tensor cores do both products with operands in
// the cache's type and fp32 accumulation: Q is rounded to that type (the keys already are) and so
// are the softmax probabilities before P V, an error of up to 2^-8 (bf16) or 2^-11 (fp16) relative
// per operand that averages out over the keys; the softmax itself (scores, running max and sum)
// stays in fp32. Decode-only batches and fp32 caches keep attention.cu's kernels.
//
// How: the CTA tiles of attention.cu's wide tile (kM = 64 (query row, query head) pairs of ONE
// sequence and ONE kv head, GQA heads sharing every K/V load, tiles found by a prefix sum over the
// rows per sequence, the heaviest tiles launched first), in the FlashAttention-2 layout: 4 warps,
// each owning 16 query vectors whose Q fragments (rounded to the storage type) sit in registers for
// the whole key loop. Keys come in tiles of kN = 64: each row is gathered through the block table
// by cp.async straight into shared memory in the storage type (double-buffered, the next tile in
// flight while this one is computed). A warp computes its 16 x 64 scores with mma.sync m16n8k16
// (K fragments by ldmatrix), masks them causally by absolute position (only in tiles that reach
// past the CTA's first position), updates its rows' running max and sum in fp32 (exp2 of scores
// pre-multiplied by scale * log2 e), rescales its output accumulators, rounds the probabilities
// to the storage type and reuses the score accumulators as the A fragments of O += P V (V
// fragments by ldmatrix.trans). Keys past the CTA's last position are never loaded: cp.async
// fills their shared rows with zeros (a source size of 0 reads nothing), so cache rows and blocks
// that no sequence owns are never read (they may hold NaN). No split-K: the scratch of
// PagedAttention is not used on this path.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "base/check.h"
#include "kernels/cuda/attention_mma.h"
#include "kernels/cuda/attention_tiles.cuh"
#include "kernels/cuda/cuda_check.h"

namespace hybridserve::kernels::cuda {

namespace {

constexpr int kWarps = 4;
constexpr int kThreads = 32 * kWarps;
constexpr int kM = 16 * kWarps;  // query vectors per CTA
constexpr int kN = 64;           // keys per tile
constexpr float kLog2e = 1.4426950408889634f;

struct MmaParams : PagedArgs {
  int32_t heads_per_cta;    // HG = min(G, kM)
  int32_t num_head_groups;  // ceil(G / HG)
  int32_t rows_per_tile;    // R = kM / HG
  float scale_log2;         // scale * log2(e)
};

// ---- tensor-core primitives ----------------------------------------------------------------

// Two floats rounded to the storage type, packed as the low (first) and high (second) halves.
template <typename T>
__device__ __forceinline__ uint32_t Pack(float lo, float hi);
template <>
__device__ __forceinline__ uint32_t Pack<__nv_bfloat16>(float lo, float hi) {
  const __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&h);
}
template <>
__device__ __forceinline__ uint32_t Pack<__half>(float lo, float hi) {
  const __half2 h = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&h);
}

// c += a b for one m16n8k16 tile: a row-major 16 x 16, b column-major 16 x 8, fp32 accumulators.
template <typename T>
__device__ __forceinline__ void Mma(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                    uint32_t b1);
template <>
__device__ __forceinline__ void Mma<__nv_bfloat16>(float (&c)[4], const uint32_t (&a)[4],
                                                   uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
      "{%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <>
__device__ __forceinline__ void Mma<__half>(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                            uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
      "{%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Four 8 x 8 matrices of 16-bit values; lanes 8 i .. 8 i + 7 give the row addresses of matrix i,
// r[i] receives (row lane / 4, columns 2 (lane % 4), +1) of it (of its transpose with kTrans).
template <bool kTrans>
__device__ __forceinline__ void LdMatrixX4(uint32_t (&r)[4], uint32_t smem_addr) {
  if constexpr (kTrans) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_addr));
  } else {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_addr));
  }
}

// 16 bytes global -> shared, asynchronously; valid = false reads nothing and stores zeros.
__device__ __forceinline__ void CpAsync16(uint32_t smem_addr, const void* src, bool valid) {
  const int src_bytes = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr), "l"(src),
               "r"(src_bytes));
}
__device__ __forceinline__ void CpAsyncCommit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int kPending>
__device__ __forceinline__ void CpAsyncWait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}

// ---- the kernel ------------------------------------------------------------------------------

template <int kHd>
constexpr int SmemBytes() {
  return 2 * 2 * kN * (kHd + 8) * 2;  // K and V, two stages, 16-bit values
}

// Fragment layouts (g = lane / 4, t = lane % 4): an A fragment a[0..3] holds (row g, columns 2t,
// 2t+1), (g + 8, 2t..), (g, 2t + 8..), (g + 8, 2t + 8..); a B fragment b0, b1 holds (k rows 2t,
// 2t+1, column g) and (2t + 8, 2t + 9, g); an accumulator c[0..3] holds (row g, columns 2t, 2t+1)
// and (g + 8, 2t, 2t+1).
template <typename T, int kHd>
__global__ void __launch_bounds__(kThreads) AttentionMmaKernel(const MmaParams p) {
  constexpr int kStride = kHd + 8;  // 16-bit values per shared row (rows 16 bytes apart mod 128)
  constexpr int kChunksPerRow = kHd / 8;
  constexpr int kLoadIters = kN * kChunksPerRow / kThreads;
  constexpr int kQSteps = kHd / 16;   // k-steps of S = Q K^T
  constexpr int kKeyTiles = kN / 8;   // n-tiles of S
  constexpr int kKeySteps = kN / 16;  // k-steps of O += P V
  constexpr int kDimTiles = kHd / 8;  // n-tiles of O
  static_assert(kN * kChunksPerRow % kThreads == 0, "K/V tile load layout");

  extern __shared__ uint4 smem_mma[];
  T* sk = reinterpret_cast<T*>(smem_mma);  // [2][kN][kStride]
  T* sv = sk + 2 * kN * kStride;           // [2][kN][kStride]
  __shared__ int s_info[3];

  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
  const int g = lane / 4, t4 = lane % 4;

  // The heaviest tiles (last rows of a sequence: most keys) first.
  if (tid < 32)
    FindTile(p.num_seqs, p.seq_row_begin, p.rows_per_tile, gridDim.x - 1 - blockIdx.x, s_info);
  __syncthreads();
  const int seq = s_info[0];
  if (seq < 0) return;
  const int row0 = s_info[1];
  const int num_rows = s_info[2];
  if (num_rows <= 0) return;

  const int kv_head = blockIdx.y / p.num_head_groups;
  const int group = blockIdx.y % p.num_head_groups;
  const int head0 = kv_head * p.heads_per_kv + group * p.heads_per_cta;
  const int num_tile_heads = min(p.heads_per_cta, p.heads_per_kv - group * p.heads_per_cta);
  const int num_m = num_rows * num_tile_heads;  // valid query vectors: m = row * heads + head
  const int first_pos = p.seq_start_pos[seq] + (row0 - p.seq_row_begin[seq]);
  const int key_end = first_pos + num_rows;  // last position + 1

  // This thread's rows g and g + 8 of the warp: positions (-1: no query vector) and Q fragments.
  int pos[2];
  uint32_t qf[kQSteps][4];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int m = warp * 16 + g + 8 * h;
    const float* q_row = nullptr;
    pos[h] = -1;
    if (m < num_m) {
      const int r = m / num_tile_heads;
      const int head = head0 + m % num_tile_heads;
      q_row = p.q + (row0 + r) * p.q_stride + static_cast<int64_t>(head) * kHd;
      pos[h] = first_pos + r;
    }
#pragma unroll
    for (int kk = 0; kk < kQSteps; ++kk) {
#pragma unroll
      for (int c = 0; c < 2; ++c) {
        const int d = 16 * kk + 8 * c + 2 * t4;
        const float x0 = q_row != nullptr ? q_row[d] : 0.0f;
        const float x1 = q_row != nullptr ? q_row[d + 1] : 0.0f;
        qf[kk][h + 2 * c] = Pack<T>(x0, x1);
      }
    }
  }

  const T* keys = static_cast<const T*>(p.keys);
  const T* values = static_cast<const T*>(p.values);
  const int32_t* block_table = p.block_tables + static_cast<int64_t>(seq) * p.max_blocks;
  const int64_t row_elements = static_cast<int64_t>(p.num_kv_heads) * kHd;
  const uint32_t sk_addr = static_cast<uint32_t>(__cvta_generic_to_shared(sk));
  const uint32_t sv_addr = static_cast<uint32_t>(__cvta_generic_to_shared(sv));
  constexpr uint32_t kStageBytes = kN * kStride * sizeof(T);

  // Issues the cp.async of keys [tile_begin, tile_begin + kN) into stage; zeros past key_end.
  auto load_tile = [&](int tile_begin, int stage) {
#pragma unroll
    for (int it = 0; it < kLoadIters; ++it) {
      const int idx = tid + it * kThreads;
      const int j = idx / kChunksPerRow, chunk = idx % kChunksPerRow;
      const int key = tile_begin + j;
      const bool valid = key < key_end;
      int64_t offset = 0;
      if (valid) {
        offset = KeyCacheRow(key, block_table, p.block_size, p.block_shift) * row_elements +
                 static_cast<int64_t>(kv_head) * kHd + chunk * 8;
      }
      const uint32_t dst = stage * kStageBytes + (j * kStride + chunk * 8) * sizeof(T);
      CpAsync16(sk_addr + dst, keys + offset, valid);
      CpAsync16(sv_addr + dst, values + offset, valid);
    }
    CpAsyncCommit();
  };

  float o[kDimTiles][4];
#pragma unroll
  for (int dt = 0; dt < kDimTiles; ++dt) {
#pragma unroll
    for (int r = 0; r < 4; ++r) o[dt][r] = 0.0f;
  }
  float row_max[2] = {-INFINITY, -INFINITY};  // in log2 units (scores * scale * log2 e)
  float row_sum[2] = {0.0f, 0.0f};            // this thread's share of its rows' sums

  // ldmatrix row addresses of this lane within a tile (bytes): K as B of Q K^T (matrices: keys
  // +0 / +8 by lane / 16, dims +0 / +8 by lane / 8 % 2), V as B of P V (keys +0 / +8 by lane / 8 %
  // 2, dims +0 / +8 by lane / 16).
  const uint32_t k_lane = ((lane % 8 + 8 * (lane / 16)) * kStride + 8 * (lane / 8 % 2)) * sizeof(T);
  const uint32_t v_lane = ((lane % 8 + 8 * (lane / 8 % 2)) * kStride + 8 * (lane / 16)) * sizeof(T);

  const int num_key_tiles = (key_end + kN - 1) / kN;
  load_tile(0, 0);
  for (int tile = 0; tile < num_key_tiles; ++tile) {
    const int stage = tile & 1;
    const int tile_begin = tile * kN;
    if (tile + 1 < num_key_tiles) {
      load_tile(tile_begin + kN, stage ^ 1);
      CpAsyncWait<1>();
    } else {
      CpAsyncWait<0>();
    }
    __syncthreads();  // this stage's K/V are in shared memory for every warp

    // S = Q K^T: 16 x 64 per warp.
    float s[kKeyTiles][4];
#pragma unroll
    for (int nt = 0; nt < kKeyTiles; ++nt) {
#pragma unroll
      for (int r = 0; r < 4; ++r) s[nt][r] = 0.0f;
    }
    const uint32_t k_base = sk_addr + stage * kStageBytes + k_lane;
#pragma unroll
    for (int kk = 0; kk < kQSteps; ++kk) {
#pragma unroll
      for (int np = 0; np < kKeyTiles / 2; ++np) {
        uint32_t b[4];
        LdMatrixX4<false>(b, k_base + (16 * np * kStride + 16 * kk) * sizeof(T));
        Mma<T>(s[2 * np], qf[kk], b[0], b[1]);
        Mma<T>(s[2 * np + 1], qf[kk], b[2], b[3]);
      }
    }

    // Scores in log2 units; -inf where the key is past the row's position (also past key_end,
    // and everywhere for rows without a query vector).
    const bool needs_mask = tile_begin + kN - 1 > first_pos;
#pragma unroll
    for (int nt = 0; nt < kKeyTiles; ++nt) {
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        const int key = tile_begin + 8 * nt + 2 * t4 + r % 2;
        const float x = s[nt][r] * p.scale_log2;
        s[nt][r] = needs_mask && key > pos[r / 2] ? -INFINITY : x;
      }
    }

    // Online softmax of rows g (h = 0) and g + 8 (h = 1); the 4 lanes of a quad share a row.
    float base[2];
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      float tile_max = -INFINITY;
#pragma unroll
      for (int nt = 0; nt < kKeyTiles; ++nt) {
        tile_max = fmaxf(tile_max, fmaxf(s[nt][2 * h], s[nt][2 * h + 1]));
      }
      tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
      tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));
      const float new_max = fmaxf(row_max[h], tile_max);
      // Nothing unmasked yet: any finite base (exp2(-inf - 0) = 0, never -inf - -inf).
      base[h] = new_max == -INFINITY ? 0.0f : new_max;
      const float alpha = exp2f(row_max[h] - base[h]);  // 0 while row_max is -inf
      row_max[h] = new_max;
      row_sum[h] *= alpha;
#pragma unroll
      for (int dt = 0; dt < kDimTiles; ++dt) {
        o[dt][2 * h] *= alpha;
        o[dt][2 * h + 1] *= alpha;
      }
    }
#pragma unroll
    for (int nt = 0; nt < kKeyTiles; ++nt) {
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        const float e = exp2f(s[nt][r] - base[r / 2]);
        s[nt][r] = e;
        row_sum[r / 2] += e;
      }
    }

    // O += P V: the score accumulators of key tiles 2 ks and 2 ks + 1 are the A fragment of k-step
    // ks.
    const uint32_t v_base = sv_addr + stage * kStageBytes + v_lane;
#pragma unroll
    for (int ks = 0; ks < kKeySteps; ++ks) {
      const uint32_t a[4] = {
          Pack<T>(s[2 * ks][0], s[2 * ks][1]), Pack<T>(s[2 * ks][2], s[2 * ks][3]),
          Pack<T>(s[2 * ks + 1][0], s[2 * ks + 1][1]), Pack<T>(s[2 * ks + 1][2], s[2 * ks + 1][3])};
#pragma unroll
      for (int dp = 0; dp < kDimTiles / 2; ++dp) {
        uint32_t b[4];
        LdMatrixX4<true>(b, v_base + (16 * ks * kStride + 16 * dp) * sizeof(T));
        Mma<T>(o[2 * dp], a, b[0], b[1]);
        Mma<T>(o[2 * dp + 1], a, b[2], b[3]);
      }
    }
    __syncthreads();  // every warp is done with this stage before it is loaded again
  }

  // Output: o / sum for the rows that hold a query vector.
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    float sum = row_sum[h];
    sum += __shfl_xor_sync(0xffffffffu, sum, 1);
    sum += __shfl_xor_sync(0xffffffffu, sum, 2);
    const int m = warp * 16 + g + 8 * h;
    if (m >= num_m) continue;
    const int row = row0 + m / num_tile_heads;
    const int head = head0 + m % num_tile_heads;
    float* dst = p.out + row * p.out_stride + static_cast<int64_t>(head) * kHd;
#pragma unroll
    for (int dt = 0; dt < kDimTiles; ++dt) {
      dst[8 * dt + 2 * t4] = o[dt][2 * h] / sum;
      dst[8 * dt + 2 * t4 + 1] = o[dt][2 * h + 1] / sum;
    }
  }
}

template <typename T, int kHd>
void Launch(MmaParams p, const BatchLayout& batch, cudaStream_t stream) {
  // Tiles never straddle sequences, so there are fewer than T / R + S of them.
  const int64_t num_tiles =
      (batch.num_tokens + p.rows_per_tile - 1) / p.rows_per_tile + batch.num_seqs;
  auto kernel = AttentionMmaKernel<T, kHd>;
  constexpr int kSmem = SmemBytes<kHd>();
  HS_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmem));
  const dim3 grid(static_cast<unsigned>(num_tiles),
                  static_cast<unsigned>(p.num_kv_heads * p.num_head_groups));
  kernel<<<grid, kThreads, kSmem, stream>>>(p);
  HS_CUDA_CHECK_LAUNCH();
}

template <typename T>
void LaunchForType(const MmaParams& p, const BatchLayout& batch, int head_dim,
                   cudaStream_t stream) {
  if (head_dim == 64) return Launch<T, 64>(p, batch, stream);
  HS_CHECK(head_dim == 128);
  Launch<T, 128>(p, batch, stream);
}

}  // namespace

bool UseAttentionMma(const PagedKvCache& kv, bool decode_only) {
  return !decode_only && kv.dtype != DType::kF32 && (kv.head_dim == 64 || kv.head_dim == 128);
}

void PagedAttentionMma(const float* q, int64_t q_stride, int32_t num_heads, float scale,
                       const BatchLayout& batch, const PagedKvCache& kv, float* out,
                       int64_t out_stride, cudaStream_t stream) {
  HS_CHECK(kv.num_kv_heads > 0 && num_heads % kv.num_kv_heads == 0);
  HS_CHECK(kv.block_size > 0);
  HS_CHECK(UseAttentionMma(kv, /*decode_only=*/false));
  HS_CHECK(reinterpret_cast<uintptr_t>(kv.keys) % 16 == 0 &&
           reinterpret_cast<uintptr_t>(kv.values) % 16 == 0);
  if (batch.num_tokens == 0 || batch.num_seqs == 0) return;
  MmaParams p{PagedArgsFor(q, q_stride, num_heads, scale, batch, kv, out, out_stride)};
  p.heads_per_cta = std::min(p.heads_per_kv, kM);
  p.num_head_groups = (p.heads_per_kv + p.heads_per_cta - 1) / p.heads_per_cta;
  p.rows_per_tile = kM / p.heads_per_cta;
  p.scale_log2 = scale * kLog2e;
  if (kv.dtype == DType::kBF16) {
    LaunchForType<__nv_bfloat16>(p, batch, kv.head_dim, stream);
  } else {
    LaunchForType<__half>(p, batch, kv.head_dim, stream);
  }
}

}  // namespace hybridserve::kernels::cuda
