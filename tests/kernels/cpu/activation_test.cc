#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/thread_pool.h"
#include "tests/kernels/cpu/test_tensors.h"

namespace hybridserve::kernels::cpu {
namespace {

using testing::AllClose;
using testing::RandomVector;

double Reference(Activation act, double x) {
  switch (act) {
    case Activation::kSilu:
      return x / (1.0 + std::exp(-x));
    case Activation::kGelu:
      return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    case Activation::kRelu2:
      return x > 0 ? x * x : 0.0;
  }
  return 0.0;
}

TEST(ActivateTest, MatchesReference) {
  std::mt19937 rng(5);
  ThreadPool pool(3);
  for (Activation act : {Activation::kSilu, Activation::kGelu, Activation::kRelu2}) {
    for (int64_t n : {1, 17, 100000}) {
      auto x = RandomVector(n, rng, -8.0f, 8.0f);
      std::vector<double> expected(n);
      for (int64_t i = 0; i < n; ++i) expected[i] = Reference(act, x[i]);
      Activate(x.data(), n, act, n > 1000 ? &pool : nullptr);
      EXPECT_TRUE(AllClose(x, expected, 1e-6)) << static_cast<int>(act) << " n " << n;
    }
  }
}

TEST(ActivateTest, KnownPoints) {
  std::vector<float> x = {0.0f, -1.0f, 2.0f};
  Activate(x.data(), 3, Activation::kRelu2, nullptr);
  EXPECT_EQ(x, (std::vector<float>{0.0f, 0.0f, 4.0f}));
  std::vector<float> g = {0.0f, 1.0f};
  Activate(g.data(), 2, Activation::kGelu, nullptr);
  EXPECT_EQ(g[0], 0.0f);
  EXPECT_NEAR(g[1], 0.8413447460685429, 1e-6);  // Phi(1), erf form (tanh form gives 0.84119)
}

TEST(SoftplusClampTest, MatchesTorchSoftplusWithThreshold) {
  std::mt19937 rng(6);
  auto x = RandomVector(1000, rng, -30.0f, 30.0f);
  x.push_back(20.0f);
  x.push_back(20.5f);
  std::vector<double> expected(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    expected[i] = x[i] > 20.0f ? x[i] : std::log1p(std::exp(double{x[i]}));
  }
  std::vector<float> out = x;
  SoftplusClamp(out.data(), static_cast<int64_t>(out.size()), 0.0f, INFINITY);
  EXPECT_TRUE(AllClose(out, expected, 1e-6));
  EXPECT_EQ(out.back(), 20.5f);  // above the threshold the input passes through exactly
}

TEST(SoftplusClampTest, Clamps) {
  std::vector<float> x = {-10.0f, 0.0f, 3.0f, 50.0f};
  SoftplusClamp(x.data(), 4, 0.001f, 2.0f);
  EXPECT_FLOAT_EQ(x[0], 0.001f);  // softplus(-10) = 4.5e-5 < 0.001
  EXPECT_NEAR(x[1], std::log(2.0), 1e-7);
  EXPECT_FLOAT_EQ(x[2], 2.0f);
  EXPECT_FLOAT_EQ(x[3], 2.0f);
}

}  // namespace
}  // namespace hybridserve::kernels::cpu
