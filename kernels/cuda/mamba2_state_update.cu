// Why: the Mamba2 decode path. Each decode row advances its own slot's [H, P, N] state by one
// token; the op reads and writes the whole state once, so it is bound by memory bandwidth and
// must touch the state in full, coalesced lines, for every row of the batch in one launch.
// How: one warp per group of kRowsPerWarp state rows (r, h, p). The 32 lanes split a row's N
// entries as float4 vectors (lane owns vectors lane, lane + 32, ...), so each load and store of
// a warp is 512 contiguous bytes; the lanes keep their slice of B[g] and C[g] in registers for
// all of the warp's rows and load every row before computing, to keep several rows in flight.
// Per entry the arithmetic is the CPU op's (dA = exp(dt * A); S = S * dA + (dt * B) * x, with
// --fmad=false), so the new state matches it to the ulp of expf; y = sum_n S * C is a warp tree
// sum instead of a running sum (a few ulps of y's scale apart), then + D * x. State rows with
// N % 4 != 0, an unaligned state or N > 512 take a scalar lane-strided variant. The state rows
// are loaded before waiting for the kernel before (a chained launch): no other kernel of the step
// touches this layer's decode slots. With a RawDt the kernel applies DtSoftplus's transform to dt
// itself (the same function, scalar_math.cuh).
#include <cuda_runtime.h>

#include <cstdint>

#include "base/check.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/ops.h"
#include "kernels/cuda/scalar_math.cuh"

namespace hybridserve::kernels::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kRowsPerWarp = 4;
constexpr int kRowsPerBlock = kWarps * kRowsPerWarp;  // p rows of one (row, head) per block

struct UpdateArgs {
  int64_t num_heads, head_dim, num_groups, state_size;
  const float* x;
  int64_t x_stride;
  const float* dt;
  int64_t dt_stride;
  const float* A;
  const float* B;
  int64_t b_stride;
  const float* C;
  int64_t c_stride;
  const float* D;
  RawDt raw_dt;
  const int32_t* slots;
  float* state;
  float* y;
  int64_t y_stride;
};

__device__ __forceinline__ float WarpSum(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// kVecPerLane > 0: float4 path, N <= 128 * kVecPerLane, N % 4 == 0. kVecPerLane == 0: scalar.
// Row r's dt for head h, after the prior kernel.
__device__ __forceinline__ float HeadDt(const UpdateArgs& args, int64_t r, int64_t h) {
  const float dt = args.dt[r * args.dt_stride + h];
  if (args.raw_dt.bias == nullptr) return dt;
  return ClampedSoftplus(dt + args.raw_dt.bias[h], args.raw_dt.lo[r], args.raw_dt.hi[r]);
}

template <int kVecPerLane>
__global__ void __launch_bounds__(kWarps * 32) StateUpdateKernel(UpdateArgs args) {
  const int64_t P = args.head_dim;
  const int64_t N = args.state_size;
  const int64_t p_blocks = (P + kRowsPerBlock - 1) / kRowsPerBlock;
  const int64_t h = blockIdx.x / p_blocks;
  const int64_t p_begin = (blockIdx.x % p_blocks) * kRowsPerBlock +
                          static_cast<int64_t>(threadIdx.x / 32) * kRowsPerWarp;
  const int64_t r = blockIdx.y;
  const int lane = threadIdx.x % 32;
  const int64_t group = h / (args.num_heads / args.num_groups);

  const float* b = args.B + r * args.b_stride + group * N;
  const float* c = args.C + r * args.c_stride + group * N;
  const float* x = args.x + r * args.x_stride + h * P;
  float* y = args.y + r * args.y_stride + h * P;
  float* state = args.state + ((static_cast<int64_t>(args.slots[r]) * args.num_heads + h) * P) * N;

  if constexpr (kVecPerLane > 0) {
    const int64_t num_vec = N / 4;
    float4 s[kRowsPerWarp][kVecPerLane];
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      const int64_t p = p_begin + i;
      const float4* row = reinterpret_cast<const float4*>(state + p * N);
#pragma unroll
      for (int j = 0; j < kVecPerLane; ++j) {
        const int64_t v = lane + 32 * j;
        s[i][j] = (p < P && v < num_vec) ? row[v] : make_float4(0.f, 0.f, 0.f, 0.f);
      }
    }
    WaitForPriorGrid();
    AllowDependentGrids();
    const float dt_h = HeadDt(args, r, h);
    const float decay = expf(dt_h * args.A[h]);
    const float d_h = args.D != nullptr ? args.D[h] : 0.0f;
    float dtb[kVecPerLane][4], cv[kVecPerLane][4];
#pragma unroll
    for (int j = 0; j < kVecPerLane; ++j) {
      const int64_t v = lane + 32 * j;
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        dtb[j][e] = v < num_vec ? dt_h * b[4 * v + e] : 0.0f;
        cv[j][e] = v < num_vec ? c[4 * v + e] : 0.0f;
      }
    }
    float xv[kRowsPerWarp];
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      const int64_t p = p_begin + i;
      xv[i] = p < P ? x[p] : 0.0f;
    }
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      const int64_t p = p_begin + i;
      float4* row = reinterpret_cast<float4*>(state + p * N);
      float acc = 0.0f;
#pragma unroll
      for (int j = 0; j < kVecPerLane; ++j) {
        float4 sv = s[i][j];
        sv.x = sv.x * decay + dtb[j][0] * xv[i];
        sv.y = sv.y * decay + dtb[j][1] * xv[i];
        sv.z = sv.z * decay + dtb[j][2] * xv[i];
        sv.w = sv.w * decay + dtb[j][3] * xv[i];
        acc += sv.x * cv[j][0];
        acc += sv.y * cv[j][1];
        acc += sv.z * cv[j][2];
        acc += sv.w * cv[j][3];
        const int64_t v = lane + 32 * j;
        if (p < P && v < num_vec) row[v] = sv;
      }
      acc = WarpSum(acc);
      if (lane == 0 && p < P) y[p] = acc + xv[i] * d_h;
    }
  } else {
    WaitForPriorGrid();
    AllowDependentGrids();
    const float dt_h = HeadDt(args, r, h);
    const float decay = expf(dt_h * args.A[h]);
    const float d_h = args.D != nullptr ? args.D[h] : 0.0f;
    for (int i = 0; i < kRowsPerWarp; ++i) {
      const int64_t p = p_begin + i;
      if (p >= P) break;  // warp-uniform
      const float xp = x[p];
      float* row = state + p * N;
      float acc = 0.0f;
      for (int64_t n = lane; n < N; n += 32) {
        const float sv = row[n] * decay + (dt_h * b[n]) * xp;
        row[n] = sv;
        acc += sv * c[n];
      }
      acc = WarpSum(acc);
      if (lane == 0) y[p] = acc + xp * d_h;
    }
  }
}

}  // namespace

void Mamba2StateUpdate(int64_t num_rows, int64_t num_heads, int64_t head_dim, int64_t num_groups,
                       int64_t state_size, const float* x, int64_t x_stride, const float* dt,
                       int64_t dt_stride, const float* A, const float* B, int64_t b_stride,
                       const float* C, int64_t c_stride, const float* D, const int32_t* slots,
                       float* state, float* y, int64_t y_stride, cudaStream_t stream,
                       const RawDt& raw_dt) {
  HS_CHECK(num_groups > 0 && num_heads % num_groups == 0);
  HS_CHECK(num_rows <= 65535);
  if (num_rows <= 0 || num_heads <= 0 || head_dim <= 0 || state_size <= 0) return;
  HS_CHECK(raw_dt.bias == nullptr || (raw_dt.lo != nullptr && raw_dt.hi != nullptr));
  const UpdateArgs args{num_heads, head_dim, num_groups, state_size, x,       x_stride, dt,
                        dt_stride, A,        B,          b_stride,   C,       c_stride, D,
                        raw_dt,    slots,    state,      y,          y_stride};
  const int64_t p_blocks = (head_dim + kRowsPerBlock - 1) / kRowsPerBlock;
  const dim3 grid(static_cast<unsigned>(num_heads * p_blocks), static_cast<unsigned>(num_rows));
  const bool vec = state_size % 4 == 0 && reinterpret_cast<uintptr_t>(state) % 16 == 0;
  if (vec && state_size <= 128) {
    LaunchChained(StateUpdateKernel<1>, dim3(grid), dim3(kWarps * 32), 0, stream, args);
  } else if (vec && state_size <= 256) {
    LaunchChained(StateUpdateKernel<2>, dim3(grid), dim3(kWarps * 32), 0, stream, args);
  } else if (vec && state_size <= 512) {
    LaunchChained(StateUpdateKernel<4>, dim3(grid), dim3(kWarps * 32), 0, stream, args);
  } else {
    LaunchChained(StateUpdateKernel<0>, dim3(grid), dim3(kWarps * 32), 0, stream, args);
  }
  HS_CUDA_CHECK_LAUNCH();
}

}  // namespace hybridserve::kernels::cuda
