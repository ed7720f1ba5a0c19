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

double SiluRef(double z) { return z / (1.0 + std::exp(-z)); }

std::vector<double> RmsNormRef(const std::vector<float>& x, const std::vector<float>& w,
                               int64_t num_tokens, int64_t dim, double eps) {
  std::vector<double> out(x.size());
  for (int64_t t = 0; t < num_tokens; ++t) {
    double sum = 0.0;
    for (int64_t i = 0; i < dim; ++i) sum += double{x[t * dim + i]} * x[t * dim + i];
    const double r = 1.0 / std::sqrt(sum / dim + eps);
    for (int64_t i = 0; i < dim; ++i) out[t * dim + i] = w[i] * x[t * dim + i] * r;
  }
  return out;
}

std::vector<double> GatedRef(const std::vector<float>& y, const std::vector<float>& z,
                             const std::vector<float>& w, int64_t num_tokens, int64_t dim,
                             int64_t group_size, double eps, GatedNormOrder order) {
  std::vector<double> out(y.size());
  for (int64_t t = 0; t < num_tokens; ++t) {
    for (int64_t g0 = 0; g0 < dim; g0 += group_size) {
      std::vector<double> h(group_size);
      for (int64_t i = 0; i < group_size; ++i) {
        const int64_t idx = t * dim + g0 + i;
        h[i] = order == GatedNormOrder::kGateThenNorm ? y[idx] * SiluRef(z[idx]) : y[idx];
      }
      double sum = 0.0;
      for (double v : h) sum += v * v;
      const double r = 1.0 / std::sqrt(sum / group_size + eps);
      for (int64_t i = 0; i < group_size; ++i) {
        const int64_t idx = t * dim + g0 + i;
        double v = w[g0 + i] * h[i] * r;
        if (order == GatedNormOrder::kNormThenGate) v *= SiluRef(z[idx]);
        out[idx] = v;
      }
    }
  }
  return out;
}

TEST(RmsNormTest, MatchesReference) {
  std::mt19937 rng(1);
  ThreadPool pool(3);
  for (int64_t num_tokens : {1, 5, 33}) {
    for (int64_t dim : {1, 7, 64, 1000}) {
      const auto x = RandomVector(num_tokens * dim, rng, -3.0f, 3.0f);
      const auto w = RandomVector(dim, rng, 0.5f, 1.5f);
      const auto expected = RmsNormRef(x, w, num_tokens, dim, 1e-5);
      for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
        std::vector<float> out(x.size());
        RmsNorm(x.data(), w.data(), num_tokens, dim, 1e-5f, out.data(), p);
        EXPECT_TRUE(AllClose(out, expected, 2e-6)) << num_tokens << "x" << dim;
      }
      // In place.
      std::vector<float> inplace = x;
      RmsNorm(inplace.data(), w.data(), num_tokens, dim, 1e-5f, inplace.data(), &pool);
      EXPECT_TRUE(AllClose(inplace, expected, 2e-6));
    }
  }
}

TEST(RmsNormTest, EpsilonDominatesForTinyInputs) {
  const std::vector<float> x = {1e-6f, -1e-6f};
  const std::vector<float> w = {1.0f, 2.0f};
  std::vector<float> out(2);
  RmsNorm(x.data(), w.data(), 1, 2, 1e-2f, out.data(), nullptr);
  EXPECT_NEAR(out[0], 1e-6 / std::sqrt(1e-2), 1e-10);
  EXPECT_NEAR(out[1], -2e-6 / std::sqrt(1e-2), 1e-10);
}

TEST(GatedRmsNormTest, BothOrdersGroupedAndUngrouped) {
  std::mt19937 rng(2);
  ThreadPool pool(2);
  const int64_t dim = 96;
  for (GatedNormOrder order : {GatedNormOrder::kGateThenNorm, GatedNormOrder::kNormThenGate}) {
    for (int64_t group_size : {96, 48, 32, 8}) {
      for (int64_t num_tokens : {1, 9}) {
        const auto y = RandomVector(num_tokens * dim, rng, -2.0f, 2.0f);
        const auto z = RandomVector(num_tokens * dim, rng, -4.0f, 4.0f);
        const auto w = RandomVector(dim, rng, 0.5f, 1.5f);
        const auto expected = GatedRef(y, z, w, num_tokens, dim, group_size, 1e-6, order);
        std::vector<float> out(y.size());
        GatedRmsNorm(y.data(), z.data(), w.data(), num_tokens, dim, group_size, 1e-6f, order,
                     out.data(), &pool);
        EXPECT_TRUE(AllClose(out, expected, 3e-6)) << "group " << group_size;
        std::vector<float> inplace = y;
        GatedRmsNorm(inplace.data(), z.data(), w.data(), num_tokens, dim, group_size, 1e-6f, order,
                     inplace.data(), nullptr);
        EXPECT_TRUE(AllClose(inplace, expected, 3e-6)) << "in place, group " << group_size;
      }
    }
  }
}

TEST(GatedRmsNormTest, OrdersDiffer) {
  // Guards against the two orders collapsing into one implementation.
  std::mt19937 rng(3);
  const int64_t dim = 16;
  const auto y = RandomVector(dim, rng);
  const auto z = RandomVector(dim, rng, -3.0f, 3.0f);
  const std::vector<float> w(dim, 1.0f);
  std::vector<float> a(dim), b(dim);
  GatedRmsNorm(y.data(), z.data(), w.data(), 1, dim, dim, 1e-6f, GatedNormOrder::kGateThenNorm,
               a.data(), nullptr);
  GatedRmsNorm(y.data(), z.data(), w.data(), 1, dim, dim, 1e-6f, GatedNormOrder::kNormThenGate,
               b.data(), nullptr);
  double max_diff = 0.0;
  for (int64_t i = 0; i < dim; ++i) max_diff = std::max(max_diff, double{std::abs(a[i] - b[i])});
  EXPECT_GT(max_diff, 1e-3);
}

TEST(GateSiluTest, StridedRows) {
  std::mt19937 rng(4);
  ThreadPool pool(4);
  const int64_t num_tokens = 7, dim = 50, y_stride = 64, z_stride = 120;
  auto y = RandomVector(num_tokens * y_stride, rng);
  const auto z = RandomVector(num_tokens * z_stride, rng, -5.0f, 5.0f);
  std::vector<double> expected(y.begin(), y.end());
  for (int64_t t = 0; t < num_tokens; ++t) {
    for (int64_t i = 0; i < dim; ++i) {
      expected[t * y_stride + i] = y[t * y_stride + i] * SiluRef(z[t * z_stride + i]);
    }
  }
  GateSilu(y.data(), y_stride, z.data(), z_stride, num_tokens, dim, &pool);
  EXPECT_TRUE(AllClose(y, expected, 2e-6));  // padding columns stay untouched too
}

}  // namespace
}  // namespace hybridserve::kernels::cpu
