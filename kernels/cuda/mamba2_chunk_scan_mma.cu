// Why: the chunked scan's three products (CB = C B^T per chunk and group, each chunk's own state,
// the outputs) are ~all of its arithmetic, and on the CUDA cores in fp32 they run at ~6 TFLOP/s,
// ~40% of a bf16 model's prefill. For models whose weights are bf16 or fp16 anyway, the tensor
// cores with TF32 operands (10 mantissa bits, fp32 accumulation) do the same products within
// ~1e-3 of the output scale, well below what the weights' rounding already moves.
// How: the same steps and scratch as mamba2_chunk_scan.cu (ScanPrecision::kTensorCore swaps in
// steps 2, 3 and 5 from here; steps 1 and 4, the double-precision cumulative sums, the fp32 decays
// and the state passing, are shared). Each product is a 64 x 64 output tile per CTA of 8 warps;
// a warp owns 16 rows x 32 columns, four mma.sync.m16n8k8 TF32 tiles. The operand loaders are
// the exact path's: they compute each element on the fly (x dt, B or C times a decay, CB times
// the segment decay exp(cum_l - cum_s) with the causal mask), so no intermediate matrix beyond CB
// is stored. A k-step of 16 goes: loader values (held in registers since the previous step) ->
// TF32 (round to nearest, ties away) -> shared memory, then the next step's loads are issued
// before the MMAs so their latency hides behind them. Shared tiles are stored along whichever
// index the loader reads contiguously (the k index or the outer one), padded so that both the
// stores and the fragment reads are free of bank conflicts.
// The outputs fold the carried-state decay into the C operand: y_l = sum_{s<=l} CB[l, s]
// exp(segment(s, l)) x~_s + sum_n (C_l[n] exp(cum_l)) S_in[p, n] + D x_l, one accumulator.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/mamba2_chunk_scan.cuh"

namespace hybridserve::kernels::cuda::ssd {
namespace {

// ---- the tensor-core block GEMM ----------------------------------------------------------------

constexpr int kTile = 64;   // output tile: kTile x kTile
constexpr int kTileK = 16;  // k per shared-memory step
constexpr int kThreads = 256;
constexpr int kLoadsPerThread = kTile * kTileK / kThreads;
// A tile stored k-fastest is [kTile][kTileK + 4], outer-fastest [kTileK][kTile + 8].
constexpr int kTileWords = kTile * (kTileK + 4);
static_assert(kTileWords >= kTileK * (kTile + 8));
// CTAs per SM the register budget is sized for (at most 65536 / (256 x this) registers a thread).
constexpr int kCbCtasPerSm = 4;
constexpr int kStateCtasPerSm = 4;
constexpr int kOutputCtasPerSm = 2;

// Which index of an operand the loader reads contiguously from memory; consecutive threads load
// consecutive values of that index.
enum class Fast { kOuter, kK };

// Word of (outer, k) in a shared tile. k-fastest: stride 20, so the fragment reads (8 outer x 4 k
// per warp) hit banks 20 g + t (mod 32), all distinct; outer-fastest: stride 72, banks 8 t + g.
template <Fast kFast>
__device__ __forceinline__ int TileIndex(int outer, int k) {
  return kFast == Fast::kK ? outer * (kTileK + 4) + k : k * (kTile + 8) + outer;
}

struct GemmSmem {
  uint32_t a[kTileWords];  // [m, k], TF32 bit patterns
  uint32_t b[kTileWords];  // [n, k]
};

// Accumulators of one warp: four m16n8 tiles side by side, c[j][r] at row WarpRow + AccRow(r),
// column WarpCol + 8 j + AccCol(r) (the mma.sync fragment layout).
struct Acc {
  float c[4][4] = {};
};
__device__ __forceinline__ int WarpRow() { return (threadIdx.x / 32 % 4) * 16; }
__device__ __forceinline__ int WarpCol() { return (threadIdx.x / 32 / 4) * 32; }
__device__ __forceinline__ int AccRow(int r) { return threadIdx.x % 32 / 4 + 8 * (r / 2); }
__device__ __forceinline__ int AccCol(int r) { return 2 * (threadIdx.x % 4) + r % 2; }

__device__ __forceinline__ uint32_t ToTf32(float v) {
  uint32_t bits;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(bits) : "f"(v));
  return bits;
}

// c += a b for one m16n8k8 tile: a row-major 16 x 8, b column-major 8 x 8, fp32 accumulators.
__device__ __forceinline__ void Mma(float (&c)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
      "{%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// This thread's share of one operand tile: load(outer0 + outer, k0 + k), 0 past k_end.
template <Fast kFast, class Load>
__device__ __forceinline__ void LoadTile(const Load& load, int outer0, int k0, int k_end,
                                         float (&values)[kLoadsPerThread]) {
#pragma unroll
  for (int i = 0; i < kLoadsPerThread; ++i) {
    const int e = threadIdx.x + kThreads * i;
    const int outer = kFast == Fast::kK ? e / kTileK : e % kTile;
    const int k = kFast == Fast::kK ? e % kTileK : e / kTile;
    values[i] = k0 + k < k_end ? load(outer0 + outer, k0 + k) : 0.0f;
  }
}

template <Fast kFast>
__device__ __forceinline__ void StoreTile(const float (&values)[kLoadsPerThread], uint32_t* tile) {
#pragma unroll
  for (int i = 0; i < kLoadsPerThread; ++i) {
    const int e = threadIdx.x + kThreads * i;
    const int outer = kFast == Fast::kK ? e / kTileK : e % kTile;
    const int k = kFast == Fast::kK ? e % kTileK : e / kTile;
    tile[TileIndex<kFast>(outer, k)] = ToTf32(values[i]);
  }
}

// acc += sum_{k in [k_begin, k_end)} load_a(m0 + m, k) * load_b(k, n0 + n) over the 64 x 64 tile.
// The loaders return 0 outside their operand's bounds.
template <Fast kAFast, Fast kBFast, class LoadA, class LoadB>
__device__ __forceinline__ void MmaBlockGemm(const LoadA& load_a, const LoadB& load_b, int m0,
                                             int n0, int k_begin, int k_end, GemmSmem& smem,
                                             Acc& acc) {
  const auto load_bt = [&](int n, int k) { return load_b(k, n); };
  float a_next[kLoadsPerThread], b_next[kLoadsPerThread];
  LoadTile<kAFast>(load_a, m0, k_begin, k_end, a_next);
  LoadTile<kBFast>(load_bt, n0, k_begin, k_end, b_next);
  const int lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;
  const int wm = WarpRow(), wn = WarpCol();
  for (int k0 = k_begin; k0 < k_end; k0 += kTileK) {
    StoreTile<kAFast>(a_next, smem.a);
    StoreTile<kBFast>(b_next, smem.b);
    __syncthreads();
    if (k0 + kTileK < k_end) {
      LoadTile<kAFast>(load_a, m0, k0 + kTileK, k_end, a_next);
      LoadTile<kBFast>(load_bt, n0, k0 + kTileK, k_end, b_next);
    }
#pragma unroll
    for (int ks = 0; ks < kTileK; ks += 8) {
      const uint32_t a[4] = {smem.a[TileIndex<kAFast>(wm + g, ks + t)],
                             smem.a[TileIndex<kAFast>(wm + g + 8, ks + t)],
                             smem.a[TileIndex<kAFast>(wm + g, ks + t + 4)],
                             smem.a[TileIndex<kAFast>(wm + g + 8, ks + t + 4)]};
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int n = wn + 8 * j + g;
        const uint32_t b[2] = {smem.b[TileIndex<kBFast>(n, ks + t)],
                               smem.b[TileIndex<kBFast>(n, ks + t + 4)]};
        Mma(acc.c[j], a, b);
      }
    }
    __syncthreads();
  }
}

// ---- operand loaders (as the exact path's) -----------------------------------------------------

struct LoadChunkRow {  // rows of B or C within one chunk and group: (l, n) -> M[t0 + l, g, n]
  const float* base;
  int stride, q;
  __device__ float operator()(int l, int n) const { return l < q ? base[l * stride + n] : 0.0f; }
};
struct LoadChunkRowT {  // the same operand addressed (n, s)
  LoadChunkRow rows;
  __device__ float operator()(int n, int s) const { return rows(s, n); }
};
struct LoadXdtT {  // (p, l) -> x[t0 + l, h, p] * dt[t0 + l, h]
  const float* x;
  int x_stride;
  const float* dt;
  int dt_stride, P;
  __device__ float operator()(int p, int l) const {
    return p < P ? x[l * x_stride + p] * dt[l * dt_stride] : 0.0f;
  }
};
struct LoadXdt {  // (s, p), the same values
  LoadXdtT xdt;
  __device__ float operator()(int s, int p) const { return xdt(p, s); }
};
struct LoadDecayedB {  // (l, n) -> B[t0 + l, g, n] * exp(cum_last - cum_l)
  const float* b;
  int b_stride;
  const float* decay_to_end;
  int N;
  __device__ float operator()(int l, int n) const {
    return n < N ? b[l * b_stride + n] * decay_to_end[l] : 0.0f;
  }
};
struct LoadDecayedCb {  // (l, s) -> CB[l, s] * exp(cum_l - cum_s) for s <= l < q, else 0
  const float* cb;
  int q_stride, q;
  const double* cum;
  __device__ float operator()(int l, int s) const {
    if (l >= q || s > l) return 0.0f;
    return cb[l * q_stride + s] * expf(static_cast<float>(cum[l] - cum[s]));
  }
};
struct LoadDecayedC {  // (l, n) -> C[t0 + l, g, n] * exp(cum_l)
  const float* c;
  int c_stride, q;
  const float* exp_cum;
  __device__ float operator()(int l, int n) const {
    return l < q ? c[l * c_stride + n] * exp_cum[l] : 0.0f;
  }
};
struct LoadStateT {  // (n, p) -> S_in[p, n]
  const float* s;
  int P, N;
  __device__ float operator()(int n, int p) const { return p < P ? s[p * N + n] : 0.0f; }
};

// ---- 2. CB = C B^T per chunk and group ---------------------------------------------------------

// Offsets inside one chunk (row * stride + column, tile indices) are int: the host checks that a
// chunk's rows span fewer than 2^31 floats. Offsets of a chunk's first row are int64. Several
// CTAs per SM keep one CTA's loads in flight during another's MMAs.
__global__ void __launch_bounds__(kThreads, kCbCtasPerSm) ChunkCbMmaKernel(ScanArgs args) {
  __shared__ GemmSmem smem;
  const int Q = static_cast<int>(args.Q), N = static_cast<int>(args.N);
  const int tiles_s = (Q + kTile - 1) / kTile;
  const int l0 = (blockIdx.x / tiles_s) * kTile;
  const int s0 = (blockIdx.x % tiles_s) * kTile;
  if (s0 >= l0 + kTile) return;  // strictly above the diagonal: never read
  const int64_t g = blockIdx.y;
  const int64_t c = blockIdx.z;
  const int q = static_cast<int>(args.ChunkLength(c));
  const int64_t t0 = c * args.Q;
  const LoadChunkRow c_rows{args.C + t0 * args.c_stride + g * N, static_cast<int>(args.c_stride),
                            q};
  const LoadChunkRowT b_cols{
      {args.B + t0 * args.b_stride + g * N, static_cast<int>(args.b_stride), q}};
  Acc acc;
  MmaBlockGemm<Fast::kK, Fast::kK>(c_rows, b_cols, l0, s0, 0, N, smem, acc);
  float* out = args.cb + (c * args.G + g) * Q * Q;
#pragma unroll
  for (int j = 0; j < 4; ++j) {
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int l = l0 + WarpRow() + AccRow(r), s = s0 + WarpCol() + 8 * j + AccCol(r);
      if (l < q && s < q) out[l * Q + s] = acc.c[j][r];
    }
  }
}

// ---- 3. each chunk's own state -----------------------------------------------------------------

__global__ void __launch_bounds__(kThreads, kStateCtasPerSm) ChunkStateMmaKernel(ScanArgs args) {
  __shared__ GemmSmem smem;
  const int P = static_cast<int>(args.P), N = static_cast<int>(args.N);
  const int tiles_n = (N + kTile - 1) / kTile;
  const int p0 = (blockIdx.x / tiles_n) * kTile;
  const int n0 = (blockIdx.x % tiles_n) * kTile;
  const int64_t h = blockIdx.y;
  const int64_t c = blockIdx.z;
  const int q = static_cast<int>(args.ChunkLength(c));
  const int64_t t0 = c * args.Q;
  const LoadXdtT xdt{args.x + t0 * args.x_stride + h * P, static_cast<int>(args.x_stride),
                     args.dt + t0 * args.dt_stride + h, static_cast<int>(args.dt_stride), P};
  const LoadDecayedB bd{args.B + t0 * args.b_stride + args.Group(h) * N,
                        static_cast<int>(args.b_stride),
                        args.decay_to_end + (c * args.H + h) * args.Q, N};
  Acc acc;
  MmaBlockGemm<Fast::kOuter, Fast::kOuter>(xdt, bd, p0, n0, 0, q, smem, acc);
  float* out = args.chunk_states + (c * args.H + h) * P * N;
#pragma unroll
  for (int j = 0; j < 4; ++j) {
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int p = p0 + WarpRow() + AccRow(r), n = n0 + WarpCol() + 8 * j + AccCol(r);
      if (p < P && n < N) out[p * N + n] = acc.c[j][r];
    }
  }
}

// ---- 5. outputs --------------------------------------------------------------------------------

__global__ void __launch_bounds__(kThreads, kOutputCtasPerSm) ChunkOutputMmaKernel(ScanArgs args) {
  __shared__ GemmSmem smem;
  const int Q = static_cast<int>(args.Q), P = static_cast<int>(args.P);
  const int N = static_cast<int>(args.N);
  const int tiles_p = (P + kTile - 1) / kTile;
  const int l0 = (blockIdx.x / tiles_p) * kTile;
  const int p0 = (blockIdx.x % tiles_p) * kTile;
  const int64_t h = blockIdx.y;
  const int64_t c = blockIdx.z;
  const int q = static_cast<int>(args.ChunkLength(c));
  if (l0 >= q) return;  // a short last chunk
  const int64_t t0 = c * args.Q;
  const int64_t g = args.Group(h);
  const int64_t hq = (c * args.H + h) * args.Q;
  const int x_stride = static_cast<int>(args.x_stride);

  // Intra-chunk: sum_{s <= l} CB[l, s] exp(segment(s, l)) x~_s.
  const LoadDecayedCb w{args.cb + (c * args.G + g) * Q * Q, Q, q, args.cum + hq};
  const LoadXdt xdt{{args.x + t0 * args.x_stride + h * P, x_stride,
                     args.dt + t0 * args.dt_stride + h, static_cast<int>(args.dt_stride), P}};
  Acc acc;
  MmaBlockGemm<Fast::kK, Fast::kOuter>(w, xdt, l0, p0, 0, min(q, l0 + kTile), smem, acc);

  // The carried state, into the same accumulators: (C_l exp(cum_l)) . S_in[c][p, :].
  const LoadDecayedC c_rows{args.C + t0 * args.c_stride + g * N, static_cast<int>(args.c_stride), q,
                            args.exp_cum + hq};
  const LoadStateT s_in{args.chunk_states + (c * args.H + h) * P * N, P, N};
  MmaBlockGemm<Fast::kK, Fast::kK>(c_rows, s_in, l0, p0, 0, N, smem, acc);

  const float d_h = args.D != nullptr ? args.D[h] : 0.0f;
  const float* x = args.x + t0 * args.x_stride + h * P;
  float* y = args.y + t0 * args.y_stride + h * P;
  const int y_stride = static_cast<int>(args.y_stride);
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    const int l = l0 + WarpRow() + AccRow(r);
    if (l >= q) continue;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int p = p0 + WarpCol() + 8 * j + AccCol(r);
      if (p < P) y[l * y_stride + p] = acc.c[j][r] + d_h * x[l * x_stride + p];
    }
  }
}

unsigned Tiles(int64_t n) { return static_cast<unsigned>((n + kTile - 1) / kTile); }

}  // namespace

void LaunchChunkCbMma(const ScanArgs& args, cudaStream_t stream) {
  const dim3 grid(Tiles(args.Q) * Tiles(args.Q), static_cast<unsigned>(args.G),
                  static_cast<unsigned>(args.num_chunks));
  ChunkCbMmaKernel<<<grid, kThreads, 0, stream>>>(args);
  HS_CUDA_CHECK_LAUNCH();
}

void LaunchChunkStateMma(const ScanArgs& args, cudaStream_t stream) {
  const dim3 grid(Tiles(args.P) * Tiles(args.N), static_cast<unsigned>(args.H),
                  static_cast<unsigned>(args.num_chunks));
  ChunkStateMmaKernel<<<grid, kThreads, 0, stream>>>(args);
  HS_CUDA_CHECK_LAUNCH();
}

void LaunchChunkOutputMma(const ScanArgs& args, cudaStream_t stream) {
  const dim3 grid(Tiles(args.Q) * Tiles(args.P), static_cast<unsigned>(args.H),
                  static_cast<unsigned>(args.num_chunks));
  ChunkOutputMmaKernel<<<grid, kThreads, 0, stream>>>(args);
  HS_CUDA_CHECK_LAUNCH();
}

}  // namespace hybridserve::kernels::cuda::ssd
