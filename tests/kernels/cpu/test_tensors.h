// Test helpers for the CPU ops: seeded random tensors and an element-wise closeness check of an
// fp32 result against a (usually double precision) naive reference.
#ifndef HYBRIDSERVE_TESTS_KERNELS_CPU_TEST_TENSORS_H_
#define HYBRIDSERVE_TESTS_KERNELS_CPU_TEST_TENSORS_H_

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace hybridserve::kernels::cpu::testing {

inline std::vector<float> RandomVector(int64_t n, std::mt19937& rng, float lo = -1.0f,
                                       float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

inline double RootMeanSquare(const std::vector<double>& v) {
  if (v.empty()) return 0.0;
  double sum = 0.0;
  for (double x : v) sum += x * x;
  return std::sqrt(sum / static_cast<double>(v.size()));
}

// Checks |actual - expected| <= rtol * (|expected| + rms(expected)) element-wise: relative for
// large values, and relative to the tensor's scale for values that cancel to near zero.
inline ::testing::AssertionResult AllClose(const std::vector<float>& actual,
                                           const std::vector<double>& expected, double rtol) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "size " << actual.size() << " != expected size " << expected.size();
  }
  const double scale = RootMeanSquare(expected);
  int64_t num_bad = 0;
  std::string first;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double diff = std::abs(static_cast<double>(actual[i]) - expected[i]);
    if (!(diff <= rtol * (std::abs(expected[i]) + scale))) {
      if (num_bad++ == 0) {
        first = "index " + std::to_string(i) + ": actual " + std::to_string(actual[i]) +
                ", expected " + std::to_string(expected[i]);
      }
    }
  }
  if (num_bad > 0) {
    return ::testing::AssertionFailure()
           << num_bad << " of " << actual.size() << " elements differ; first at " << first;
  }
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult AllClose(const std::vector<float>& actual,
                                           const std::vector<float>& expected, double rtol) {
  return AllClose(actual, std::vector<double>(expected.begin(), expected.end()), rtol);
}

}  // namespace hybridserve::kernels::cpu::testing

#endif  // HYBRIDSERVE_TESTS_KERNELS_CPU_TEST_TENSORS_H_
