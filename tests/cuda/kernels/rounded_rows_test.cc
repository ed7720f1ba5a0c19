// The ops that leave their result rounded for the next GEMM (RoundedRows: RmsNorm, GateSiluRounded,
// GatedActivateRounded) write exactly the bf16/fp16 rounding of their fp32 result, and
// Blas::LinearRounded on such rows gives bit for bit what Blas::Linear gives on the fp32 rows (it
// rounds them the same way first). Prefill relies on both: each activation is rounded once, by
// the kernel that makes it, instead of once per GEMM that reads it.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/cpu/ops.h"
#include "kernels/cuda/blas.h"
#include "kernels/cuda/convert.h"
#include "kernels/cuda/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/cuda/kernels/op_test_util.h"

namespace hybridserve::kernels::cuda {
namespace {

using testing::DeviceBuffer;
using testing::RandomFloats;

// The rounding FromFloatRows makes of [rows, cols] fp32 rows (row stride in_stride), as bits.
std::vector<uint16_t> RoundedBits(DType type, const float* in, int64_t in_stride, int64_t rows,
                                  int64_t cols) {
  DeviceBuffer<uint16_t> out(static_cast<size_t>(rows * cols));
  FromFloatRows(type, in, in_stride, rows, cols, out.get(), nullptr);
  return out.Download();
}

// The [rows, cols] part of a buffer with row stride `stride`, and its padding, apart.
std::vector<uint16_t> Dense(const std::vector<uint16_t>& v, int64_t rows, int64_t cols,
                            int64_t stride) {
  std::vector<uint16_t> out;
  for (int64_t r = 0; r < rows; ++r) {
    out.insert(out.end(), v.begin() + r * stride, v.begin() + r * stride + cols);
  }
  return out;
}
bool PaddingUntouched(const std::vector<uint16_t>& v, int64_t rows, int64_t cols, int64_t stride) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = cols; c < stride; ++c) {
      if (v[r * stride + c] != 0xFFFF) return false;
    }
  }
  return true;
}

class RoundedRowsTest : public ::testing::TestWithParam<DType> {};

TEST_P(RoundedRowsTest, RmsNormWritesTheRoundingOfItsResult) {
  const DType type = GetParam();
  const int64_t T = 37, D = 2048, stride = D + 8;
  DeviceBuffer<float> x(RandomFloats(T * D, 1, -2.0f, 2.0f));
  DeviceBuffer<float> weight(RandomFloats(D, 2, 0.5f, 1.5f));
  DeviceBuffer<float> plain(T * D), out(T * D);
  DeviceBuffer<uint16_t> rounded(T * stride);
  RmsNorm(x.get(), D, DType::kF32, weight.get(), T, D, 1e-5f, plain.get(), D, nullptr);
  RmsNorm(x.get(), D, DType::kF32, weight.get(), T, D, 1e-5f, out.get(), D, nullptr,
          RoundedRows{type, rounded.get(), stride});
  EXPECT_TRUE(testing::SameBits(out.Download(), plain.Download()));
  const std::vector<uint16_t> got = rounded.Download();
  EXPECT_EQ(Dense(got, T, D, stride), RoundedBits(type, plain.get(), D, T, D));
  EXPECT_TRUE(PaddingUntouched(got, T, D, stride));
}

// Widths that are multiples of four take the four-column path; the others (rows not aligned to
// four, a tail) the one-column path.
TEST_P(RoundedRowsTest, GateSiluRoundedIsTheRoundingOfGateSilu) {
  const DType type = GetParam();
  for (const int64_t I : {int64_t{3072}, int64_t{3070}}) {
    const int64_t T = 33, z_stride = 2 * I + 48;
    const std::vector<float> y = RandomFloats(T * I, 3, -3.0f, 3.0f);
    DeviceBuffer<float> y_d(y), z_d(RandomFloats(T * z_stride, 4, -4.0f, 4.0f));
    DeviceBuffer<uint16_t> rounded(T * I);
    GateSiluRounded(y_d.get(), I, z_d.get(), z_stride, T, I, RoundedRows{type, rounded.get(), I},
                    nullptr);
    EXPECT_TRUE(testing::SameBits(y_d.Download(), y));  // y is left as it is
    GateSilu(y_d.get(), I, z_d.get(), z_stride, T, I, nullptr);
    EXPECT_EQ(rounded.Download(), RoundedBits(type, y_d.get(), I, T, I)) << I;
  }
}

TEST_P(RoundedRowsTest, GatedActivateRoundedIsTheRoundingOfGatedActivate) {
  const DType type = GetParam();
  const int64_t T = 40;
  for (const int64_t F : {int64_t{8192}, int64_t{8190}}) {
    for (cpu::Activation act :
         {cpu::Activation::kSilu, cpu::Activation::kGelu, cpu::Activation::kRelu2}) {
      const std::vector<float> gate = RandomFloats(T * F, 5, -4.0f, 4.0f);
      DeviceBuffer<float> gate_d(gate), up_d(RandomFloats(T * F, 6, -2.0f, 2.0f));
      DeviceBuffer<uint16_t> rounded(T * F);
      GatedActivateRounded(gate_d.get(), F, up_d.get(), F, T, F, act, 0.9f,
                           RoundedRows{type, rounded.get(), F}, nullptr);
      EXPECT_TRUE(testing::SameBits(gate_d.Download(), gate));
      GatedActivate(gate_d.get(), F, up_d.get(), F, T, F, act, 0.9f, nullptr);
      EXPECT_EQ(rounded.Download(), RoundedBits(type, gate_d.get(), F, T, F))
          << static_cast<int>(act) << " " << F;
    }
  }
}

TEST_P(RoundedRowsTest, LinearRoundedEqualsLinearOnTheFp32Rows) {
  const DType type = GetParam();
  cudaStream_t stream = nullptr;
  HS_CUDA_CHECK(cudaStreamCreate(&stream));
  absl::StatusOr<std::unique_ptr<Blas>> blas = Blas::Create(stream);
  ASSERT_TRUE(blas.ok()) << blas.status();
  const int64_t T = 64, K = 2048, N = 520, x_stride = K + 16, out_stride = N + 3;
  DeviceBuffer<float> x(RandomFloats(T * x_stride, 7, -1.0f, 1.0f));
  const testing::StoredTensor weight = testing::Store(type, RandomFloats(N * K, 8, -0.05f, 0.05f));
  const testing::StoredTensor bias = testing::Store(type, RandomFloats(N, 9, -0.1f, 0.1f));
  const std::vector<float> start = RandomFloats(T * out_stride, 10, -1.0f, 1.0f);
  for (bool accumulate : {false, true}) {
    DeviceBuffer<float> want(start), got(start);
    (*blas)->Linear(x.get(), x_stride, type, weight.get(), bias.get(), T, K, N, want.get(),
                    out_stride, accumulate, 0.75f);
    DeviceBuffer<uint16_t> rounded(T * K);
    FromFloatRows(type, x.get(), x_stride, T, K, rounded.get(), stream);
    (*blas)->LinearRounded(rounded.get(), K, type, weight.get(), bias.get(), T, K, N, got.get(),
                           out_stride, accumulate, 0.75f);
    HS_CUDA_CHECK(cudaStreamSynchronize(stream));
    EXPECT_TRUE(testing::SameBits(got.Download(), want.Download())) << accumulate;
  }
  blas->reset();
  HS_CUDA_CHECK(cudaStreamDestroy(stream));
}

INSTANTIATE_TEST_SUITE_P(Types, RoundedRowsTest, ::testing::Values(DType::kBF16, DType::kF16),
                         [](const ::testing::TestParamInfo<DType>& info) {
                           return std::string(testing::DTypeName(info.param));
                         });

}  // namespace
}  // namespace hybridserve::kernels::cuda
