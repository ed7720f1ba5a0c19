// Internal to kernels/cuda: the device twins of kernels/cpu/scalar_math.h, the same operations in
// the same order (the library is built with --fmad=false, so products and sums round separately
// as on the CPU). expf/erff/log1pf are CUDA's full-precision versions (a few ulp from glibc).
#ifndef HYBRIDSERVE_KERNELS_CUDA_SCALAR_MATH_CUH_
#define HYBRIDSERVE_KERNELS_CUDA_SCALAR_MATH_CUH_

#include <type_traits>

#include "base/check.h"
#include "kernels/cpu/ops.h"

namespace hybridserve::kernels::cuda {

// silu(x) = x / (1 + exp(-x)).
__device__ __forceinline__ float Silu(float x) { return x / (1.0f + expf(-x)); }

// sigmoid(x) = 1 / (1 + exp(-x)).
__device__ __forceinline__ float Sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

// Exact GELU: x * 0.5 * (1 + erf(x / sqrt(2))).
__device__ __forceinline__ float GeluErf(float x) {
  constexpr float kInvSqrt2 = 0.70710678118654752440f;
  return x * 0.5f * (1.0f + erff(x * kInvSqrt2));
}

// relu(x)^2.
__device__ __forceinline__ float Relu2(float x) {
  const float r = x > 0.0f ? x : 0.0f;
  return r * r;
}

// PyTorch softplus with beta = 1, threshold = 20.
__device__ __forceinline__ float Softplus(float x) { return x > 20.0f ? x : log1pf(expf(x)); }

// Mamba2's dt: min(max(softplus(v), low), high) in std::max / std::min's order (v = dt + bias).
__device__ __forceinline__ float ClampedSoftplus(float v, float low, float high) {
  const float s = Softplus(v);
  const float clamped_low = s < low ? low : s;     // std::max(s, low)
  return high < clamped_low ? high : clamped_low;  // std::min(.., high)
}

template <cpu::Activation kAct>
__device__ __forceinline__ float ApplyActivation(float x) {
  if constexpr (kAct == cpu::Activation::kSilu) {
    return Silu(x);
  } else if constexpr (kAct == cpu::Activation::kGelu) {
    return GeluErf(x);
  } else {
    return Relu2(x);
  }
}

// Calls fn(std::integral_constant<cpu::Activation, act>{}) (host code: the dispatch of the
// activation template argument).
template <typename Fn>
void DispatchActivation(cpu::Activation act, Fn&& fn) {
  switch (act) {
    case cpu::Activation::kSilu:
      fn(std::integral_constant<cpu::Activation, cpu::Activation::kSilu>{});
      return;
    case cpu::Activation::kGelu:
      fn(std::integral_constant<cpu::Activation, cpu::Activation::kGelu>{});
      return;
    case cpu::Activation::kRelu2:
      fn(std::integral_constant<cpu::Activation, cpu::Activation::kRelu2>{});
      return;
  }
  HS_CHECK_MSG(false, "unknown activation");
}

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_SCALAR_MATH_CUH_
