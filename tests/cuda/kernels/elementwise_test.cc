// Scale, Axpy and AddBias against the CPU runner's loops (x * s; y + a * x; out + bias): exact,
// since each element is one or two separately rounded fp32 operations on both sides.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "kernels/cuda/blas.h"
#include "kernels/cuda/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/cuda/kernels/op_test_util.h"

namespace hybridserve::kernels::cuda {
namespace {

using testing::DeviceBuffer;
using testing::RandomFloats;
using testing::SameBits;

TEST(ElementwiseTest, ScaleMultipliesEveryElement) {
  for (int64_t n : {int64_t{1}, int64_t{7 * 2048}, int64_t{300 * 4096 + 3}}) {
    std::vector<float> x = RandomFloats(n, 41, -3.0f, 3.0f);
    DeviceBuffer<float> x_d(x);
    Scale(x_d.get(), n, 0.0883883f, nullptr);
    for (float& v : x) v = v * 0.0883883f;
    EXPECT_TRUE(SameBits(x_d.Download(), x)) << "n=" << n;
  }
}

TEST(ElementwiseTest, AxpyAddsScaledRowsWithStrides) {
  // The residual add of a parallel block: y [T, D] += a * x, x a slice of a wider buffer.
  for (int64_t T : {1, 7, 300}) {
    const int64_t dim = 2048, x_stride = 2 * 2048 + 64, y_stride = 2048 + 1;
    const std::vector<float> x = RandomFloats(T * x_stride, 42);
    std::vector<float> y = RandomFloats(T * y_stride, 43);
    DeviceBuffer<float> x_d(x);
    DeviceBuffer<float> y_d(y);
    const float a = 0.70710677f;
    Axpy(a, x_d.get(), x_stride, y_d.get(), y_stride, T, dim, nullptr);
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t i = 0; i < dim; ++i) y[t * y_stride + i] += a * x[t * x_stride + i];
    }
    EXPECT_TRUE(SameBits(y_d.Download(), y)) << "T=" << T;
  }
}

TEST(ElementwiseTest, AddBiasAddsTheStoredBias) {
  for (DType dtype : {DType::kF32, DType::kBF16, DType::kF16}) {
    const int64_t T = 7, out_dim = 3 * 1536 + 7, out_stride = out_dim + 9;
    const testing::StoredTensor bias = testing::Store(dtype, RandomFloats(out_dim, 44));
    std::vector<float> out = RandomFloats(T * out_stride, 45);
    DeviceBuffer<float> out_d(out);
    AddBias(dtype, bias.get(), T, out_dim, out_d.get(), out_stride, nullptr);
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t n = 0; n < out_dim; ++n) out[t * out_stride + n] += bias.values[n];
    }
    EXPECT_TRUE(SameBits(out_d.Download(), out)) << testing::DTypeName(dtype);
  }
}

}  // namespace
}  // namespace hybridserve::kernels::cuda
