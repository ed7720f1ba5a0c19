// RmsNorm, GatedRmsNorm (both orders, grouped and not), its split over tensor-parallel shards
// (GatedSquareSums + GatedRmsNormFromSums) and GateSilu against the CPU ops on the same values,
// at real widths, with row strides and with the output aliasing the input. Every output element
// is a product of well-conditioned factors, so each is held to 1e-5 relative.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/cpu/ops.h"
#include "kernels/cuda/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/cuda/kernels/op_test_util.h"

namespace hybridserve::kernels::cuda {
namespace {

using testing::DeviceBuffer;
using testing::Padding;
using testing::RandomFloats;

constexpr double kTolerance = 1e-5;

std::vector<float> Poisoned(size_t n) {
  std::vector<float> v(n);
  std::memset(v.data(), 0xFF, n * sizeof(float));
  return v;
}

struct RmsNormCase {
  int64_t dim;
  int64_t num_tokens;
  DType wtype;
  float eps;
  bool in_place;
};

class RmsNormTest : public ::testing::TestWithParam<RmsNormCase> {};

TEST_P(RmsNormTest, MatchesCpu) {
  const RmsNormCase& c = GetParam();
  const int64_t D = c.dim, T = c.num_tokens;
  const int64_t x_stride = D + 37;  // x is a slice of a wider buffer
  const std::vector<float> x = RandomFloats(T * x_stride, 51, -2.0f, 2.0f);
  const testing::StoredTensor weight = testing::Store(c.wtype, RandomFloats(D, 52, 0.5f, 1.5f));
  const std::vector<float> x_dense = testing::Dense(x, T, D, x_stride);
  std::vector<float> want(T * D);
  cpu::RmsNorm(x_dense.data(), weight.values.data(), T, D, c.eps, want.data(), nullptr);

  DeviceBuffer<float> x_d(x);
  if (c.in_place) {
    RmsNorm(x_d.get(), x_stride, c.wtype, weight.get(), T, D, c.eps, x_d.get(), x_stride, nullptr);
    const std::vector<float> got = x_d.Download();
    EXPECT_LE(testing::MaxElementRelError(testing::Dense(got, T, D, x_stride), want, 1e-6),
              kTolerance);
    EXPECT_TRUE(testing::SameBits(Padding(got, T, D, x_stride), Padding(x, T, D, x_stride)));
  } else {
    const int64_t out_stride = D + 5;
    DeviceBuffer<float> out_d(T * out_stride);
    RmsNorm(x_d.get(), x_stride, c.wtype, weight.get(), T, D, c.eps, out_d.get(), out_stride,
            nullptr);
    const std::vector<float> got = out_d.Download();
    EXPECT_LE(testing::MaxElementRelError(testing::Dense(got, T, D, out_stride), want, 1e-6),
              kTolerance);
    EXPECT_TRUE(testing::SameBits(Padding(got, T, D, out_stride),
                                  Padding(Poisoned(T * out_stride), T, D, out_stride)));
    EXPECT_TRUE(testing::SameBits(x_d.Download(), x));  // the input is not modified
  }
}

// Falcon-H1-1.5B (2048), Nemotron-H-8B (4096), Granite-4.0-H-Tiny (1536), Jamba-mini (4096,
// bf16 weights); one width that is not a multiple of 32.
INSTANTIATE_TEST_SUITE_P(Shapes, RmsNormTest,
                         ::testing::Values(RmsNormCase{2048, 1, DType::kF32, 1e-5f, false},
                                           RmsNormCase{2048, 300, DType::kBF16, 1e-5f, true},
                                           RmsNormCase{4096, 7, DType::kF32, 1e-5f, true},
                                           RmsNormCase{4096, 300, DType::kBF16, 1e-6f, false},
                                           RmsNormCase{1536, 300, DType::kF32, 1e-6f, false},
                                           RmsNormCase{1536, 1, DType::kF16, 1e-6f, true},
                                           RmsNormCase{4096, 1, DType::kBF16, 1e-6f, true},
                                           RmsNormCase{1001, 7, DType::kF32, 1e-5f, false}));

struct GatedNormCase {
  int64_t dim;  // I, the SSM inner width
  int64_t group_size;
  int64_t num_tokens;
  cpu::GatedNormOrder order;
  DType wtype;
  bool in_place;
};

class GatedRmsNormTest : public ::testing::TestWithParam<GatedNormCase> {};

TEST_P(GatedRmsNormTest, MatchesCpu) {
  const GatedNormCase& c = GetParam();
  const int64_t I = c.dim, T = c.num_tokens;
  // y and z are slices of the in_proj output [T, z | xBC | dt] (Mamba2 layout).
  const int64_t stride = 2 * I + 2 * 8 * 128 + 64;
  const std::vector<float> zxbcdt = RandomFloats(T * stride, 61, -3.0f, 3.0f);
  const int64_t z_offset = 0, y_offset = I + 128;
  const testing::StoredTensor weight = testing::Store(c.wtype, RandomFloats(I, 62, 0.5f, 1.5f));
  std::vector<float> y_dense(T * I), z_dense(T * I);
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t i = 0; i < I; ++i) {
      y_dense[t * I + i] = zxbcdt[t * stride + y_offset + i];
      z_dense[t * I + i] = zxbcdt[t * stride + z_offset + i];
    }
  }
  std::vector<float> want(T * I);
  cpu::GatedRmsNorm(y_dense.data(), z_dense.data(), weight.values.data(), T, I, c.group_size, 1e-5f,
                    c.order, want.data(), nullptr);

  DeviceBuffer<float> buffer(zxbcdt);
  const float* y = buffer.get() + y_offset;
  const float* z = buffer.get() + z_offset;
  if (c.in_place) {
    float* out = buffer.get() + y_offset;
    GatedRmsNorm(y, stride, z, stride, c.wtype, weight.get(), T, I, c.group_size, 1e-5f, c.order,
                 out, stride, nullptr);
    std::vector<float> got = buffer.Download();
    std::vector<float> got_y(T * I);
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t i = 0; i < I; ++i) {
        got_y[t * I + i] = got[t * stride + y_offset + i];
        got[t * stride + y_offset + i] = zxbcdt[t * stride + y_offset + i];
      }
    }
    EXPECT_LE(testing::MaxElementRelError(got_y, want, 1e-6), kTolerance);
    EXPECT_TRUE(testing::SameBits(got, zxbcdt));  // nothing outside y changed
  } else {
    DeviceBuffer<float> out(T * I);
    GatedRmsNorm(y, stride, z, stride, c.wtype, weight.get(), T, I, c.group_size, 1e-5f, c.order,
                 out.get(), I, nullptr);
    EXPECT_LE(testing::MaxElementRelError(out.Download(), want, 1e-6), kTolerance);
  }
}

constexpr auto kGateThenNorm = cpu::GatedNormOrder::kGateThenNorm;
constexpr auto kNormThenGate = cpu::GatedNormOrder::kNormThenGate;

// Grouped (I = 8192 in 8 groups, Nemotron-H-8B style), ungrouped gate-then-norm (Bamba/Granite
// style, I = 3072), Falcon-H1's norm-before-gate (I = 3072, ungrouped and grouped), and an odd
// group width.
INSTANTIATE_TEST_SUITE_P(
    Shapes, GatedRmsNormTest,
    ::testing::Values(GatedNormCase{8192, 1024, 1, kGateThenNorm, DType::kBF16, true},
                      GatedNormCase{8192, 1024, 7, kGateThenNorm, DType::kF32, false},
                      GatedNormCase{8192, 1024, 300, kGateThenNorm, DType::kBF16, false},
                      GatedNormCase{8192, 1024, 300, kNormThenGate, DType::kF32, true},
                      GatedNormCase{3072, 3072, 300, kGateThenNorm, DType::kF32, true},
                      GatedNormCase{3072, 3072, 7, kNormThenGate, DType::kBF16, false},
                      GatedNormCase{3072, 1536, 1, kNormThenGate, DType::kF16, true},
                      GatedNormCase{3 * 333, 333, 7, kGateThenNorm, DType::kF32, false}));

// A gated norm whose groups span tensor-parallel shards: each shard's square sums (written into
// its group's column), added up over the shards on the host (the all-reduce), then each shard
// normalising its channels with them, together equal the CPU norm over the whole width.
struct SplitNormCase {
  int64_t dim, group_size, shards, num_tokens;
  cpu::GatedNormOrder order;
  DType wtype;
};

class GatedNormSplitTest : public ::testing::TestWithParam<SplitNormCase> {};

TEST_P(GatedNormSplitTest, ShardsTogetherMatchTheWholeNorm) {
  const SplitNormCase& c = GetParam();
  const int64_t I = c.dim, T = c.num_tokens, local = I / c.shards, groups = I / c.group_size;
  ASSERT_EQ(c.group_size % local, 0);
  const std::vector<float> y = RandomFloats(T * I, 81, -3.0f, 3.0f);
  const std::vector<float> z = RandomFloats(T * I, 82, -3.0f, 3.0f);
  const testing::StoredTensor weight = testing::Store(c.wtype, RandomFloats(I, 83, 0.5f, 1.5f));
  std::vector<float> want(T * I);
  cpu::GatedRmsNorm(y.data(), z.data(), weight.values.data(), T, I, c.group_size, 1e-5f, c.order,
                    want.data(), nullptr);

  DeviceBuffer<float> y_d(y), z_d(z);
  std::vector<float> sums(T * groups, 0.0f);
  for (int64_t r = 0; r < c.shards; ++r) {
    const int64_t group = r * local / c.group_size;
    DeviceBuffer<float> part(Poisoned(T * groups));
    GatedSquareSums(y_d.get() + r * local, I, z_d.get() + r * local, I, T, local, c.order,
                    part.get() + group, groups, nullptr);
    const std::vector<float> got = part.Download();
    for (int64_t t = 0; t < T; ++t) sums[t * groups + group] += got[t * groups + group];
  }
  DeviceBuffer<float> sums_d(sums);
  DeviceBuffer<float> out(Poisoned(T * I));
  for (int64_t r = 0; r < c.shards; ++r) {
    const int64_t group = r * local / c.group_size;
    const void* w = static_cast<const char*>(weight.get()) + r * local * DTypeBytes(c.wtype);
    GatedRmsNormFromSums(y_d.get() + r * local, I, z_d.get() + r * local, I, c.wtype, w, T, local,
                         sums_d.get() + group, groups, c.group_size, 1e-5f, c.order,
                         out.get() + r * local, I, nullptr);
  }
  EXPECT_LE(testing::MaxElementRelError(out.Download(), want, 1e-6), kTolerance);
}

// Bamba/Granite-style ungrouped norms over 2 and 4 shards, Falcon-H1's norm-before-gate, and two
// groups over four shards (each group on two).
INSTANTIATE_TEST_SUITE_P(
    Shapes, GatedNormSplitTest,
    ::testing::Values(SplitNormCase{3072, 3072, 2, 7, kGateThenNorm, DType::kF32},
                      SplitNormCase{3072, 3072, 4, 300, kGateThenNorm, DType::kBF16},
                      SplitNormCase{3072, 3072, 2, 1, kNormThenGate, DType::kF32},
                      SplitNormCase{8192, 4096, 4, 7, kGateThenNorm, DType::kF32}));

TEST(GateSiluTest, MatchesCpuWithStrides) {
  for (int64_t T : {1, 7, 300}) {
    const int64_t dim = 8192, y_stride = dim + 3, z_stride = 2 * dim + 256;
    const std::vector<float> y = RandomFloats(T * y_stride, 71, -4.0f, 4.0f);
    const std::vector<float> z = RandomFloats(T * z_stride, 72, -8.0f, 8.0f);
    std::vector<float> want = y;
    cpu::GateSilu(want.data(), y_stride, z.data(), z_stride, T, dim, nullptr);
    DeviceBuffer<float> y_d(y);
    DeviceBuffer<float> z_d(z);
    GateSilu(y_d.get(), y_stride, z_d.get(), z_stride, T, dim, nullptr);
    const std::vector<float> got = y_d.Download();
    EXPECT_LE(testing::MaxElementRelError(testing::Dense(got, T, dim, y_stride),
                                          testing::Dense(want, T, dim, y_stride), 1e-6),
              kTolerance)
        << "T=" << T;
    EXPECT_TRUE(testing::SameBits(Padding(got, T, dim, y_stride), Padding(y, T, dim, y_stride)));
  }
}

}  // namespace
}  // namespace hybridserve::kernels::cuda
