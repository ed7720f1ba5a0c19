#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/ops.h"
#include "tests/kernels/cpu/test_tensors.h"

namespace hybridserve::kernels::cpu {
namespace {

using testing::AllClose;
using testing::RandomVector;

struct LinearCase {
  int64_t num_tokens, in_dim, out_dim, x_pad, out_pad;
  bool bias, accumulate;
};

TEST(LinearTest, MatchesNaiveProduct) {
  std::mt19937 rng(7);
  const LinearCase cases[] = {
      {1, 1, 1, 0, 0, false, false},     {1, 64, 48, 0, 0, true, false},
      {1, 300, 17, 5, 3, true, true},    {3, 33, 65, 0, 0, false, true},
      {16, 128, 96, 7, 9, true, false},  {40, 257, 130, 0, 4, true, true},
      {64, 96, 200, 0, 0, false, false},
  };
  for (const LinearCase& c : cases) {
    const int64_t x_stride = c.in_dim + c.x_pad;
    const int64_t out_stride = c.out_dim + c.out_pad;
    const auto x = RandomVector(c.num_tokens * x_stride, rng);
    const auto w = RandomVector(c.out_dim * c.in_dim, rng);
    const auto b = RandomVector(c.out_dim, rng);
    auto out = RandomVector(c.num_tokens * out_stride, rng);
    std::vector<double> expected(out.begin(), out.end());
    for (int64_t t = 0; t < c.num_tokens; ++t) {
      for (int64_t n = 0; n < c.out_dim; ++n) {
        double acc = c.bias ? b[n] : 0.0;
        for (int64_t k = 0; k < c.in_dim; ++k)
          acc += double{x[t * x_stride + k]} * w[n * c.in_dim + k];
        double& e = expected[t * out_stride + n];
        e = c.accumulate ? e + acc : acc;
      }
    }
    Linear(x.data(), x_stride, w.data(), c.bias ? b.data() : nullptr, c.num_tokens, c.in_dim,
           c.out_dim, out.data(), out_stride, c.accumulate);
    EXPECT_TRUE(AllClose(out, expected, 1e-5))
        << c.num_tokens << "x" << c.in_dim << "x" << c.out_dim << " bias " << c.bias
        << " accumulate " << c.accumulate;
  }
}

TEST(LinearTest, ZeroTokensTouchesNothing) {
  const std::vector<float> w(12, 1.0f);
  std::vector<float> out = {5.0f};
  Linear(nullptr, 4, w.data(), nullptr, 0, 4, 3, out.data(), 3);
  EXPECT_EQ(out[0], 5.0f);
}

}  // namespace
}  // namespace hybridserve::kernels::cpu
