// Why: the Mamba2 prefill path. The chunked SSD form turns the token-by-token recurrence into
// dense products per chunk of Q tokens, which run in parallel over heads and chunks; only the
// hand-off of the [H, P, N] state from chunk to chunk is sequential, and it is elementwise.
// How: five launches on the caller's stream, for one sequence, mirroring cpu::Mamba2ChunkScan
// (which follows Hugging Face's torch_forward), with a_l = A dt_l and x~_l = x_l dt_l:
//   1. ChunkCumsum   per (chunk, head): the running sum of a_l in double (as the CPU does; a warp
//                    prefix scan, so summed in another order, ~1e-16 apart), kept
//                    in double for the segment sums, and exp(cum_l), exp(cum_last - cum_l) with
//                    the fp32 cum_l, exactly the CPU's decays.
//   2. ChunkCb       per (chunk, group): CB[l, s] = C_l . B_s (lower triangle tiles only).
//   3. ChunkState    per (chunk, head): the chunk's own state sum_l (B_l exp(cum_last - cum_l))
//                    (x) x~_l, as a [P, Q] x [Q, N] product.
//   4. StatePass     per state entry, sequential over chunks: writes the state entering each
//                    chunk over that chunk's own state (S_in[c]) and leaves the final state in
//                    the slot: S <- exp(cum_last) S + own state.
//   5. ChunkOutput   per (chunk, head, tile of rows): y_l = sum_{s<=l} CB[l, s] exp(segment(s, l))
//                    x~_s + exp(cum_l) (C_l . S_in[c]) + D x_l, where segment(s, l) =
//                    a_{s+1} + .. + a_l = cum_l - cum_s in double (no fp32 cancellation).
// The products (2, 3, 5) use one shared-memory tiled block GEMM whose operand loaders compute
// each element on the fly (decays, masks, x dt), so the intermediate matrices are never stored
// beyond CB. Every accumulation is fp32 and runs sequentially in k, in the CPU's order for the
// intra-chunk sum and the chunk state; only the dot products C.B and C.S are summed in another
// order than the CPU's eight-lane Dot, so results agree with it to a few ulps of the output scale
// (plus expf's ulps). Scratch (floats): cum (double) [nc, H, Q]; exp(cum) and exp(cum_last - cum)
// [nc, H, Q] each; CB [nc, G, Q, Q]; chunk states [nc, H, P, N].
// ScanPrecision::kTensorCore swaps steps 2, 3 and 5 for the TF32 tensor-core kernels of
// mamba2_chunk_scan_mma.cu (same scratch, same steps 1 and 4); kExact runs the kernels below.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "base/check.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/mamba2_chunk_scan.cuh"
#include "kernels/cuda/ops.h"

namespace hybridserve::kernels::cuda {
namespace {

// ---- the block GEMM --------------------------------------------------------------------------

constexpr int kTileM = 64;
constexpr int kTileN = 64;
constexpr int kTileK = 16;
constexpr int kGemmThreads = 256;  // 16 x 16 threads, each owning 4 x 4 outputs
constexpr int kPad = 4;

struct GemmSmem {
  float a[kTileK][kTileM + kPad];
  float b[kTileK][kTileN + kPad];
};

// Which index of an operand tile varies fastest across threads when loading it: the one along
// which the operand is contiguous in memory (coalesced loads).
enum class Fast { kOuter, kK };

// acc[i][j] += sum_{k in [k_begin, k_end)} load_a(m0 + ty + 16 i, k) * load_b(k, n0 + tx + 16 j),
// accumulated in increasing k (one multiply and one add each: the file is built --fmad=false).
// The loaders return 0 outside their operand's bounds.
template <Fast kAFast, Fast kBFast, class LoadA, class LoadB>
__device__ __forceinline__ void BlockGemm(const LoadA& load_a, const LoadB& load_b, int64_t m0,
                                          int64_t n0, int64_t k_begin, int64_t k_end,
                                          GemmSmem& smem, float (&acc)[4][4]) {
  const int tid = threadIdx.x;
  const int tx = tid % 16;
  const int ty = tid / 16;
  for (int64_t k0 = k_begin; k0 < k_end; k0 += kTileK) {
#pragma unroll
    for (int r = 0; r < kTileM * kTileK / kGemmThreads; ++r) {
      const int e = tid + kGemmThreads * r;
      const int m = kAFast == Fast::kOuter ? e % kTileM : e / kTileK;
      const int k = kAFast == Fast::kOuter ? e / kTileM : e % kTileK;
      smem.a[k][m] = k0 + k < k_end ? load_a(m0 + m, k0 + k) : 0.0f;
    }
#pragma unroll
    for (int r = 0; r < kTileN * kTileK / kGemmThreads; ++r) {
      const int e = tid + kGemmThreads * r;
      const int n = kBFast == Fast::kOuter ? e % kTileN : e / kTileK;
      const int k = kBFast == Fast::kOuter ? e / kTileN : e % kTileK;
      smem.b[k][n] = k0 + k < k_end ? load_b(k0 + k, n0 + n) : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < kTileK; ++k) {
      float a[4], b[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) a[i] = smem.a[k][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; ++j) b[j] = smem.b[k][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] += a[i] * b[j];
      }
    }
    __syncthreads();
  }
}

// ---- scratch layout --------------------------------------------------------------------------

using ssd::ScanArgs;

struct ScratchLayout {
  int64_t cum, exp_cum, decay_to_end, cb, chunk_states, total;  // offsets in floats
};

int64_t RoundUp4(int64_t n) { return (n + 3) / 4 * 4; }

ScratchLayout Layout(const cpu::SsdShape& s) {
  const int64_t q = std::min(s.chunk_size, s.num_tokens);
  const int64_t nc = (s.num_tokens + s.chunk_size - 1) / s.chunk_size;
  ScratchLayout layout;
  layout.cum = 0;
  layout.exp_cum = layout.cum + RoundUp4(2 * nc * s.num_heads * q);
  layout.decay_to_end = layout.exp_cum + RoundUp4(nc * s.num_heads * q);
  layout.cb = layout.decay_to_end + RoundUp4(nc * s.num_heads * q);
  layout.chunk_states = layout.cb + RoundUp4(nc * s.num_groups * q * q);
  layout.total = layout.chunk_states + nc * s.num_heads * s.head_dim * s.state_size;
  return layout;
}

// ---- 1. cumulative sums and decays --------------------------------------------------------------

// One warp per (chunk, head): the chunk's a_l are read 32 at a time (coalesced), summed by a warp
// prefix scan in double and carried from piece to piece; the decays follow in a second pass once
// the chunk's total is known. (A thread per (chunk, head) walking its chunk alone made strided
// stores and left the GPU idle: 0.2 ms a layer at 4096 tokens.)
constexpr int kCumsumWarps = 4;
__global__ void __launch_bounds__(kCumsumWarps * 32) ChunkCumsumKernel(ScanArgs args) {
  const int lane = threadIdx.x % 32;
  const int64_t idx = static_cast<int64_t>(blockIdx.x) * kCumsumWarps + threadIdx.x / 32;
  if (idx >= args.num_chunks * args.H) return;
  const int64_t c = idx / args.H;
  const int64_t h = idx % args.H;
  const int64_t q = args.ChunkLength(c);
  const int64_t t0 = c * args.Q;
  const int64_t base = idx * args.Q;  // (c * H + h) * Q
  const float a_head = args.A[h];
  double carry = 0.0;
  for (int64_t l0 = 0; l0 < q; l0 += 32) {
    const int64_t l = l0 + lane;
    double running =
        l < q ? static_cast<double>(a_head * args.dt[(t0 + l) * args.dt_stride + h]) : 0.0;
#pragma unroll
    for (int offset = 1; offset < 32; offset *= 2) {
      const double below = __shfl_up_sync(0xffffffffu, running, offset);
      if (lane >= offset) running += below;
    }
    running += carry;
    carry = __shfl_sync(0xffffffffu, running, 31);
    if (l < q) {
      args.cum[base + l] = running;
      const float cum = static_cast<float>(running);
      args.exp_cum[base + l] = expf(cum);
    }
  }
  const float total = static_cast<float>(carry);
  for (int64_t l = lane; l < q; l += 32) {
    args.decay_to_end[base + l] = expf(total - static_cast<float>(args.cum[base + l]));
  }
}

// ---- 2. CB = C B^T per chunk and group ---------------------------------------------------------

struct LoadChunkRow {  // rows of B or C within one chunk and group: (l, n) -> M[t0 + l, g, n]
  const float* base;
  int64_t stride, q;
  __device__ float operator()(int64_t l, int64_t n) const {
    return l < q ? base[l * stride + n] : 0.0f;
  }
};
struct LoadChunkRowT {  // the same operand addressed (n, s)
  LoadChunkRow rows;
  __device__ float operator()(int64_t n, int64_t s) const { return rows(s, n); }
};

__global__ void __launch_bounds__(kGemmThreads) ChunkCbKernel(ScanArgs args) {
  __shared__ GemmSmem smem;
  const int64_t tiles_s = (args.Q + kTileN - 1) / kTileN;
  const int64_t l0 = (blockIdx.x / tiles_s) * kTileM;
  const int64_t s0 = (blockIdx.x % tiles_s) * kTileN;
  if (s0 >= l0 + kTileM) return;  // strictly above the diagonal: never read
  const int64_t g = blockIdx.y;
  const int64_t c = blockIdx.z;
  const int64_t q = args.ChunkLength(c);
  const int64_t t0 = c * args.Q;
  const LoadChunkRow c_rows{args.C + t0 * args.c_stride + g * args.N, args.c_stride, q};
  const LoadChunkRowT b_cols{{args.B + t0 * args.b_stride + g * args.N, args.b_stride, q}};
  float acc[4][4] = {};
  BlockGemm<Fast::kK, Fast::kK>(c_rows, b_cols, l0, s0, 0, args.N, smem, acc);
  float* out = args.cb + (c * args.G + g) * args.Q * args.Q;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t l = l0 + ty + 16 * i, s = s0 + tx + 16 * j;
      if (l < q && s < q) out[l * args.Q + s] = acc[i][j];
    }
  }
}

// ---- 3. each chunk's own state
// --------------------------------------------------------------------

struct LoadXdtT {  // (p, l) -> x[t0 + l, h, p] * dt[t0 + l, h]
  const float* x;
  int64_t x_stride;
  const float* dt;
  int64_t dt_stride, P;
  __device__ float operator()(int64_t p, int64_t l) const {
    return p < P ? x[l * x_stride + p] * dt[l * dt_stride] : 0.0f;
  }
};
struct LoadXdt {  // (s, p), the same values
  LoadXdtT xdt;
  __device__ float operator()(int64_t s, int64_t p) const { return xdt(p, s); }
};
struct LoadDecayedB {  // (l, n) -> B[t0 + l, g, n] * exp(cum_last - cum_l)
  const float* b;
  int64_t b_stride;
  const float* decay_to_end;
  int64_t N;
  __device__ float operator()(int64_t l, int64_t n) const {
    return n < N ? b[l * b_stride + n] * decay_to_end[l] : 0.0f;
  }
};

__global__ void __launch_bounds__(kGemmThreads) ChunkStateKernel(ScanArgs args) {
  __shared__ GemmSmem smem;
  const int64_t tiles_n = (args.N + kTileN - 1) / kTileN;
  const int64_t p0 = (blockIdx.x / tiles_n) * kTileM;
  const int64_t n0 = (blockIdx.x % tiles_n) * kTileN;
  const int64_t h = blockIdx.y;
  const int64_t c = blockIdx.z;
  const int64_t q = args.ChunkLength(c);
  const int64_t t0 = c * args.Q;
  const LoadXdtT xdt{args.x + t0 * args.x_stride + h * args.P, args.x_stride,
                     args.dt + t0 * args.dt_stride + h, args.dt_stride, args.P};
  const LoadDecayedB bd{args.B + t0 * args.b_stride + args.Group(h) * args.N, args.b_stride,
                        args.decay_to_end + (c * args.H + h) * args.Q, args.N};
  float acc[4][4] = {};
  BlockGemm<Fast::kOuter, Fast::kOuter>(xdt, bd, p0, n0, 0, q, smem, acc);
  float* out = args.chunk_states + (c * args.H + h) * args.P * args.N;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t p = p0 + ty + 16 * i, n = n0 + tx + 16 * j;
      if (p < args.P && n < args.N) out[p * args.N + n] = acc[i][j];
    }
  }
}

// ---- 4. state passing across chunks
// ---------------------------------------------------------------

// Each thread's chunks are sequential, so the loads of the next kStatePassAhead chunks' own
// states and decays are issued before they are needed (the store of chunk c's entering state
// would otherwise hold back every later load, one memory latency per chunk). The arithmetic is the
// same multiply and add per chunk, in chunk order.
constexpr int kStatePassAhead = 8;

__global__ void StatePassKernel(ScanArgs args) {
  const int64_t per_chunk = args.H * args.P * args.N;
  const int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= per_chunk) return;
  const int64_t h = e / (args.P * args.N);
  const int64_t nc = args.num_chunks;
  // own[i], decay[i]: the own state and exp(cum_last) of chunk c with c % kStatePassAhead == i.
  float own[kStatePassAhead], decay[kStatePassAhead];
#pragma unroll
  for (int i = 0; i < kStatePassAhead; ++i) {
    if (i < nc) {
      own[i] = args.chunk_states[i * per_chunk + e];
      decay[i] = args.exp_cum[(i * args.H + h) * args.Q + args.ChunkLength(i) - 1];
    }
  }
  float s = args.state[e];
  for (int64_t c0 = 0; c0 < nc; c0 += kStatePassAhead) {
#pragma unroll
    for (int i = 0; i < kStatePassAhead; ++i) {
      const int64_t c = c0 + i;
      if (c >= nc) break;
      args.chunk_states[c * per_chunk + e] = s;  // the state entering chunk c
      s = decay[i] * s + own[i];
      const int64_t next = c + kStatePassAhead;
      if (next < nc) {
        own[i] = args.chunk_states[next * per_chunk + e];
        decay[i] = args.exp_cum[(next * args.H + h) * args.Q + args.ChunkLength(next) - 1];
      }
    }
  }
  args.state[e] = s;
}

// ---- 5. outputs
// -----------------------------------------------------------------------------------

struct LoadDecayedCb {  // (l, s) -> CB[l, s] * exp(cum_l - cum_s) for s <= l < q, else 0
  const float* cb;
  int64_t q_stride, q;
  const double* cum;
  __device__ float operator()(int64_t l, int64_t s) const {
    if (l >= q || s > l) return 0.0f;
    return cb[l * q_stride + s] * expf(static_cast<float>(cum[l] - cum[s]));
  }
};
struct LoadStateT {  // (n, p) -> S_in[p, n]
  const float* s;
  int64_t P, N;
  __device__ float operator()(int64_t n, int64_t p) const { return p < P ? s[p * N + n] : 0.0f; }
};

__global__ void __launch_bounds__(kGemmThreads) ChunkOutputKernel(ScanArgs args) {
  __shared__ GemmSmem smem;
  const int64_t tiles_p = (args.P + kTileN - 1) / kTileN;
  const int64_t l0 = (blockIdx.x / tiles_p) * kTileM;
  const int64_t p0 = (blockIdx.x % tiles_p) * kTileN;
  const int64_t h = blockIdx.y;
  const int64_t c = blockIdx.z;
  const int64_t q = args.ChunkLength(c);
  if (l0 >= q) return;  // a short last chunk
  const int64_t t0 = c * args.Q;
  const int64_t g = args.Group(h);
  const int64_t hq = (c * args.H + h) * args.Q;

  // Intra-chunk: sum_{s <= l} CB[l, s] exp(segment(s, l)) x~_s, in increasing s.
  const LoadDecayedCb w{args.cb + (c * args.G + g) * args.Q * args.Q, args.Q, q, args.cum + hq};
  const LoadXdt xdt{{args.x + t0 * args.x_stride + h * args.P, args.x_stride,
                     args.dt + t0 * args.dt_stride + h, args.dt_stride, args.P}};
  float intra[4][4] = {};
  BlockGemm<Fast::kK, Fast::kOuter>(w, xdt, l0, p0, 0, min(q, l0 + kTileM), smem, intra);

  // The carried state: C_l . S_in[c][p, :].
  const LoadChunkRow c_rows{args.C + t0 * args.c_stride + g * args.N, args.c_stride, q};
  const LoadStateT s_in{args.chunk_states + (c * args.H + h) * args.P * args.N, args.P, args.N};
  float carried[4][4] = {};
  BlockGemm<Fast::kK, Fast::kK>(c_rows, s_in, l0, p0, 0, args.N, smem, carried);

  const float d_h = args.D != nullptr ? args.D[h] : 0.0f;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int64_t l = l0 + ty + 16 * i;
    if (l >= q) continue;
    const float state_decay = args.exp_cum[hq + l];
    const float* x_row = args.x + (t0 + l) * args.x_stride + h * args.P;
    float* y_row = args.y + (t0 + l) * args.y_stride + h * args.P;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t p = p0 + tx + 16 * j;
      if (p < args.P) y_row[p] = (intra[i][j] + carried[i][j] * state_decay) + d_h * x_row[p];
    }
  }
}

unsigned Blocks(int64_t n, int64_t per_block) {
  return static_cast<unsigned>((n + per_block - 1) / per_block);
}

}  // namespace

int64_t Mamba2ChunkScanScratchFloats(const cpu::SsdShape& shape) {
  if (shape.num_tokens <= 0) return 0;
  HS_CHECK(shape.chunk_size > 0);
  return Layout(shape).total;
}

void Mamba2ChunkScan(const cpu::SsdShape& shape, const float* x, int64_t x_stride, const float* dt,
                     int64_t dt_stride, const float* A, const float* B, int64_t b_stride,
                     const float* C, int64_t c_stride, const float* D, float* state, float* y,
                     int64_t y_stride, float* scratch, cudaStream_t stream,
                     ScanPrecision precision) {
  HS_CHECK(shape.chunk_size > 0 && shape.num_groups > 0);
  HS_CHECK(shape.num_heads % shape.num_groups == 0);
  if (shape.num_tokens <= 0) return;
  HS_CHECK(reinterpret_cast<uintptr_t>(scratch) % 16 == 0);
  const ScratchLayout layout = Layout(shape);
  ScanArgs args;
  args.T = shape.num_tokens;
  args.H = shape.num_heads;
  args.P = shape.head_dim;
  args.N = shape.state_size;
  args.G = shape.num_groups;
  args.Q = std::min(shape.chunk_size, shape.num_tokens);
  args.num_chunks = (shape.num_tokens + shape.chunk_size - 1) / shape.chunk_size;
  args.x = x;
  args.x_stride = x_stride;
  args.dt = dt;
  args.dt_stride = dt_stride;
  args.A = A;
  args.B = B;
  args.b_stride = b_stride;
  args.C = C;
  args.c_stride = c_stride;
  args.D = D;
  args.state = state;
  args.y = y;
  args.y_stride = y_stride;
  args.cum = reinterpret_cast<double*>(scratch + layout.cum);
  args.exp_cum = scratch + layout.exp_cum;
  args.decay_to_end = scratch + layout.decay_to_end;
  args.cb = scratch + layout.cb;
  args.chunk_states = scratch + layout.chunk_states;
  HS_CHECK(args.num_chunks <= 65535 && args.H <= 65535);

  const unsigned nc = static_cast<unsigned>(args.num_chunks);
  ChunkCumsumKernel<<<Blocks(args.num_chunks * args.H, kCumsumWarps), kCumsumWarps * 32, 0,
                      stream>>>(args);
  HS_CUDA_CHECK_LAUNCH();

  if (precision == ScanPrecision::kTensorCore) {
    // The tensor-core kernels address within a chunk with int offsets.
    const int64_t widest = std::max({x_stride, dt_stride, b_stride, c_stride, y_stride, args.Q});
    HS_CHECK(args.Q * widest < (int64_t{1} << 31) && args.P * args.N < (int64_t{1} << 31));
    ssd::LaunchChunkCbMma(args, stream);
    ssd::LaunchChunkStateMma(args, stream);
    StatePassKernel<<<Blocks(args.H * args.P * args.N, 256), 256, 0, stream>>>(args);
    HS_CUDA_CHECK_LAUNCH();
    ssd::LaunchChunkOutputMma(args, stream);
    return;
  }

  const unsigned q_tiles = Blocks(args.Q, kTileM);
  ChunkCbKernel<<<dim3(q_tiles * Blocks(args.Q, kTileN), static_cast<unsigned>(args.G), nc),
                  kGemmThreads, 0, stream>>>(args);
  HS_CUDA_CHECK_LAUNCH();

  const unsigned h = static_cast<unsigned>(args.H);
  ChunkStateKernel<<<dim3(Blocks(args.P, kTileM) * Blocks(args.N, kTileN), h, nc), kGemmThreads, 0,
                     stream>>>(args);
  HS_CUDA_CHECK_LAUNCH();

  StatePassKernel<<<Blocks(args.H * args.P * args.N, 256), 256, 0, stream>>>(args);
  HS_CUDA_CHECK_LAUNCH();

  ChunkOutputKernel<<<dim3(q_tiles * Blocks(args.P, kTileN), h, nc), kGemmThreads, 0, stream>>>(
      args);
  HS_CUDA_CHECK_LAUNCH();
}

}  // namespace hybridserve::kernels::cuda
