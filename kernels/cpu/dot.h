// Internal to kernels/cpu: the fp32 dot product used by the ops' inner loops. It keeps eight
// independent partial sums, so the compiler can vectorise it without reassociating floating
// point on its own (a plain running sum cannot be vectorised without -ffast-math); the partial
// sums also make it slightly more accurate than one running sum.
#ifndef HYBRIDSERVE_KERNELS_CPU_DOT_H_
#define HYBRIDSERVE_KERNELS_CPU_DOT_H_

#include <cstdint>

namespace hybridserve::kernels::cpu {

inline float Dot(const float* a, const float* b, int64_t n) {
  constexpr int kLanes = 8;
  float partial[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) partial[j] += a[i + j] * b[i + j];
  }
  float sum = 0.0f;
  for (; i < n; ++i) sum += a[i] * b[i];
  for (int j = 0; j < kLanes; ++j) sum += partial[j];
  return sum;
}

}  // namespace hybridserve::kernels::cpu

#endif  // HYBRIDSERVE_KERNELS_CPU_DOT_H_
