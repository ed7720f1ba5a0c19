#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/ops.h"
#include "tests/kernels/cpu/test_tensors.h"

namespace hybridserve::kernels::cpu {
namespace {

using testing::AllClose;
using testing::RandomVector;

// Rotation of one head with the given per-pair angles, in double.
void RotateRef(const float* in, double* out, int64_t head_dim, int64_t rotary_dim,
               const std::vector<double>& angles) {
  const int64_t half = rotary_dim / 2;
  for (int64_t i = 0; i < head_dim; ++i) out[i] = in[i];
  for (int64_t i = 0; i < half; ++i) {
    const double c = std::cos(angles[i]), s = std::sin(angles[i]);
    out[i] = in[i] * c - in[i + half] * s;
    out[i + half] = in[i + half] * c + in[i] * s;
  }
}

// Angles as the spec defines them (fp32 inv_freq and product, as Hugging Face computes them).
std::vector<double> Fp32Angles(int64_t position, int64_t rotary_dim, double theta) {
  std::vector<double> angles(rotary_dim / 2);
  for (int64_t i = 0; i < rotary_dim / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(rotary_dim);
    const float inv_freq = 1.0f / std::pow(static_cast<float>(theta), exponent);
    angles[i] = static_cast<float>(position) * inv_freq;
  }
  return angles;
}

std::vector<double> Reference(const std::vector<float>& x, int64_t x_stride,
                              const std::vector<int64_t>& positions, int64_t num_heads,
                              int64_t head_dim, int64_t rotary_dim, double theta, bool fp32) {
  std::vector<double> out(x.begin(), x.end());
  for (size_t t = 0; t < positions.size(); ++t) {
    std::vector<double> angles(rotary_dim / 2);
    if (fp32) {
      angles = Fp32Angles(positions[t], rotary_dim, theta);
    } else {
      for (int64_t i = 0; i < rotary_dim / 2; ++i) {
        angles[i] = positions[t] / std::pow(theta, 2.0 * i / rotary_dim);
      }
    }
    for (int64_t h = 0; h < num_heads; ++h) {
      const int64_t offset = t * x_stride + h * head_dim;
      RotateRef(x.data() + offset, out.data() + offset, head_dim, rotary_dim, angles);
    }
  }
  return out;
}

TEST(RopeTest, MatchesExactRotationAtSmallPositions) {
  std::mt19937 rng(8);
  const int64_t num_heads = 3, head_dim = 64, x_stride = num_heads * head_dim + 10;
  const std::vector<int64_t> positions = {0, 1, 2, 7, 31, 5};
  for (int64_t rotary_dim : {64, 32, 16}) {
    auto x = RandomVector(positions.size() * x_stride, rng);
    const auto expected =
        Reference(x, x_stride, positions, num_heads, head_dim, rotary_dim, 10000.0, false);
    ApplyRope(x.data(), x_stride, positions.data(), positions.size(), num_heads, head_dim,
              rotary_dim, 10000.0);
    EXPECT_TRUE(AllClose(x, expected, 2e-6)) << "rotary_dim " << rotary_dim;
  }
}

TEST(RopeTest, UsesFp32AnglesAtLargePositions) {
  // At position 1e5 the fp32 angle differs from the exact one by up to ~4e-3 rad; matching
  // Hugging Face needs the fp32 angle, so the reference uses it (with exact cos/sin).
  std::mt19937 rng(9);
  const int64_t num_heads = 2, head_dim = 128;
  const std::vector<int64_t> positions = {99999, 123457, 262143};
  for (double theta : {10000.0, 1e6, 1e11}) {
    auto x = RandomVector(positions.size() * num_heads * head_dim, rng);
    const auto expected =
        Reference(x, num_heads * head_dim, positions, num_heads, head_dim, head_dim, theta, true);
    ApplyRope(x.data(), num_heads * head_dim, positions.data(), positions.size(), num_heads,
              head_dim, head_dim, theta);
    EXPECT_TRUE(AllClose(x, expected, 2e-6)) << "theta " << theta;
  }
}

TEST(RopeTest, PartialRotationEqualsFullRotationOfTheSlice) {
  std::mt19937 rng(10);
  const int64_t num_heads = 4, head_dim = 64, rotary_dim = 32;
  const std::vector<int64_t> positions = {3, 100, 4095};
  const auto x = RandomVector(positions.size() * num_heads * head_dim, rng);

  std::vector<float> partial = x;
  ApplyRope(partial.data(), num_heads * head_dim, positions.data(), positions.size(), num_heads,
            head_dim, rotary_dim, 10000.0);

  // The same heads cut to their first rotary_dim channels, fully rotated.
  std::vector<float> slice(positions.size() * num_heads * rotary_dim);
  for (size_t t = 0; t < positions.size(); ++t) {
    for (int64_t h = 0; h < num_heads; ++h) {
      for (int64_t i = 0; i < rotary_dim; ++i) {
        slice[(t * num_heads + h) * rotary_dim + i] = x[(t * num_heads + h) * head_dim + i];
      }
    }
  }
  ApplyRope(slice.data(), num_heads * rotary_dim, positions.data(), positions.size(), num_heads,
            rotary_dim, rotary_dim, 10000.0);

  for (size_t t = 0; t < positions.size(); ++t) {
    for (int64_t h = 0; h < num_heads; ++h) {
      for (int64_t i = 0; i < head_dim; ++i) {
        const float got = partial[(t * num_heads + h) * head_dim + i];
        const float want = i < rotary_dim ? slice[(t * num_heads + h) * rotary_dim + i]
                                          : x[(t * num_heads + h) * head_dim + i];
        ASSERT_EQ(got, want) << "t " << t << " h " << h << " i " << i;
      }
    }
  }
}

TEST(RopeTest, PositionZeroIsIdentity) {
  std::mt19937 rng(11);
  auto x = RandomVector(2 * 32, rng);
  const auto original = x;
  const std::vector<int64_t> positions = {0};
  ApplyRope(x.data(), 64, positions.data(), 1, 2, 32, 32, 10000.0);
  EXPECT_EQ(x, original);
}

}  // namespace
}  // namespace hybridserve::kernels::cpu
