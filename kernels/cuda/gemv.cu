// Why: a decode step multiplies a handful of activation rows by every weight matrix, and its cost
// is reading the weights once. The GEMM path first converts the fp32 rows to the weight type in a
// launch of its own and then calls cuBLAS; at ~1,000 such products per step of a small model,
// those extra launches are a large part of the step.
// How: one warp per output feature n: each lane streams 16-byte chunks (8 weights) of row n of W,
// eight chunks in flight at a time (a 2048-wide row in one round), reads the matching 8
// activations of each of the T rows (fp32, float4 loads, cached: every warp reads the same rows),
// rounds them to the weight type (the values the GEMM path multiplies), and accumulates in fp32;
// a warp shuffle reduction then gives
// the T sums, which lane 0 scales, adds to out (accumulate) and adds the bias to. T is a template
// parameter (1..8) so the sums live in registers.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "base/check.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gemv.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/storage_type.cuh"

namespace hybridserve::kernels::cuda {
namespace {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;

__device__ __forceinline__ void Unpack(const uint4& raw, float (&w)[8], const __nv_bfloat16*) {
  const __nv_bfloat16* h = reinterpret_cast<const __nv_bfloat16*>(&raw);
#pragma unroll
  for (int i = 0; i < 8; ++i) w[i] = __bfloat162float(h[i]);
}
__device__ __forceinline__ void Unpack(const uint4& raw, float (&w)[8], const __half*) {
  const __half* h = reinterpret_cast<const __half*>(&raw);
#pragma unroll
  for (int i = 0; i < 8; ++i) w[i] = __half2float(h[i]);
}
__device__ __forceinline__ float Round(float v, const __nv_bfloat16*) {
  return __bfloat162float(__float2bfloat16_rn(v));
}
__device__ __forceinline__ float Round(float v, const __half*) {
  return __half2float(__float2half_rn(v));
}

template <typename W, int kRows>
__global__ void __launch_bounds__(kThreads)
    GemvKernel(const float* __restrict__ x, int64_t x_stride, const W* __restrict__ weight,
               const W* __restrict__ bias, int64_t in_dim, int64_t out_dim, float* out,
               int64_t out_stride, bool accumulate, float scale) {
  const int lane = threadIdx.x % 32;
  const int64_t n = static_cast<int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32;
  const bool live = n < out_dim;
  const W* row = weight + (live ? n : 0) * in_dim;
  // kUnroll chunks of the row per lane in flight before any is used: one 16-byte load at a time
  // per lane would leave the memory system mostly idle.
  constexpr int kUnroll = 4;
  constexpr int64_t kStep = 32 * 8;
  uint4 raw[kUnroll];
  auto load = [&](int64_t k0) {
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t k = k0 + u * kStep;
      raw[u] = live && k < in_dim ? __ldg(reinterpret_cast<const uint4*>(row + k))
                                  : make_uint4(0, 0, 0, 0);
    }
  };
  // The weights do not depend on the kernel before this one: their first loads are issued
  // before waiting for it (a chained launch, launch.cuh), the activations after.
  load(lane * 8);
  WaitForPriorGrid();
  AllowDependentGrids();
  if (!live) return;
  float acc[kRows];
#pragma unroll
  for (int t = 0; t < kRows; ++t) acc[t] = 0.0f;
  for (int64_t k0 = lane * 8; k0 < in_dim; k0 += kUnroll * kStep) {
    if (k0 != lane * 8) load(k0);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t k = k0 + u * kStep;
      if (k >= in_dim) break;
      float w[8];
      Unpack(raw[u], w, weight);
#pragma unroll
      for (int t = 0; t < kRows; ++t) {
        const float4* xs = reinterpret_cast<const float4*>(x + t * x_stride + k);
        const float4 a = __ldg(xs), b = __ldg(xs + 1);
        const float v[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};
#pragma unroll
        for (int i = 0; i < 8; ++i) acc[t] = __fmaf_rn(w[i], Round(v[i], weight), acc[t]);
      }
    }
  }
#pragma unroll
  for (int t = 0; t < kRows; ++t) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) {
      acc[t] += __shfl_xor_sync(0xffffffffu, acc[t], offset);
    }
  }
  if (lane != 0) return;
#pragma unroll
  for (int t = 0; t < kRows; ++t) {
    float v = scale * acc[t];
    if (accumulate) v += out[t * out_stride + n];
    if (bias != nullptr) v += LoadFloat(bias, n);
    out[t * out_stride + n] = v;
  }
}

template <typename W, int kRows>
void Launch(const float* x, int64_t x_stride, const void* weight, const void* bias, int64_t K,
            int64_t N, float* out, int64_t out_stride, bool accumulate, float scale,
            cudaStream_t stream) {
  const unsigned blocks = static_cast<unsigned>((N + kWarps - 1) / kWarps);
  LaunchChained(GemvKernel<W, kRows>, dim3(blocks), dim3(kThreads), 0, stream, x, x_stride,
                static_cast<const W*>(weight), static_cast<const W*>(bias), K, N, out, out_stride,
                accumulate, scale);
}

template <typename W>
void LaunchRows(int64_t T, const float* x, int64_t x_stride, const void* weight, const void* bias,
                int64_t K, int64_t N, float* out, int64_t out_stride, bool accumulate, float scale,
                cudaStream_t stream) {
  switch (T) {
#define HS_GEMV_ROWS(R)                                                                        \
  case R:                                                                                      \
    Launch<W, R>(x, x_stride, weight, bias, K, N, out, out_stride, accumulate, scale, stream); \
    return;
    HS_GEMV_ROWS(1)
    HS_GEMV_ROWS(2)
    HS_GEMV_ROWS(3)
    HS_GEMV_ROWS(4)
    HS_GEMV_ROWS(5)
    HS_GEMV_ROWS(6)
    HS_GEMV_ROWS(7)
    HS_GEMV_ROWS(8)
#undef HS_GEMV_ROWS
  }
  HS_CHECK_MSG(false, "Gemv takes 1 to 8 rows");
}

bool Aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

bool GemvApplies(DType wtype, int64_t num_tokens, int64_t in_dim, const void* weight,
                 const float* x, int64_t x_stride) {
  return wtype != DType::kF32 && num_tokens >= 1 && num_tokens <= kMaxGemvRows && in_dim % 8 == 0 &&
         x_stride % 4 == 0 && Aligned16(weight) && Aligned16(x);
}

void Gemv(const float* x, int64_t x_stride, DType wtype, const void* weight, const void* bias,
          int64_t num_tokens, int64_t in_dim, int64_t out_dim, float* out, int64_t out_stride,
          bool accumulate, float scale, cudaStream_t stream) {
  HS_CHECK(GemvApplies(wtype, num_tokens, in_dim, weight, x, x_stride));
  if (wtype == DType::kBF16) {
    LaunchRows<__nv_bfloat16>(num_tokens, x, x_stride, weight, bias, in_dim, out_dim, out,
                              out_stride, accumulate, scale, stream);
  } else {
    LaunchRows<__half>(num_tokens, x, x_stride, weight, bias, in_dim, out_dim, out, out_stride,
                       accumulate, scale, stream);
  }
}

}  // namespace hybridserve::kernels::cuda
