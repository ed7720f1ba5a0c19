// Internal to kernels/cpu: the scalar activation functions, written as PyTorch's CPU kernels
// evaluate them in fp32 (same operations in the same order), shared by the ops that fuse them.
#ifndef HYBRIDSERVE_KERNELS_CPU_SCALAR_MATH_H_
#define HYBRIDSERVE_KERNELS_CPU_SCALAR_MATH_H_

#include <cmath>

namespace hybridserve::kernels::cpu {

// silu(x) = x / (1 + exp(-x)).
inline float Silu(float x) { return x / (1.0f + std::exp(-x)); }

// sigmoid(x) = 1 / (1 + exp(-x)).
inline float Sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// Exact GELU: x * 0.5 * (1 + erf(x / sqrt(2))).
inline float GeluErf(float x) {
  constexpr float kInvSqrt2 = 0.70710678118654752440f;
  return x * 0.5f * (1.0f + std::erf(x * kInvSqrt2));
}

// relu(x)^2.
inline float Relu2(float x) {
  const float r = x > 0.0f ? x : 0.0f;
  return r * r;
}

// PyTorch softplus with beta = 1, threshold = 20.
inline float Softplus(float x) { return x > 20.0f ? x : std::log1p(std::exp(x)); }

}  // namespace hybridserve::kernels::cpu

#endif  // HYBRIDSERVE_KERNELS_CPU_SCALAR_MATH_H_
