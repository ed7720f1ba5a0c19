// Blas::Linear against cpu::Linear (OpenBLAS) at real projection shapes, with row strides, bias
// and accumulate. fp32 weights: a plain fp32 GEMM on both sides, so only the summation order
// differs (1e-5 of the output scale). bf16/fp16 weights: the GPU rounds x to the weight type
// itself; the reference is cpu::Linear on the rounded x and weights, so again only the
// accumulation order (and the tensor cores' fp32 accumulation) differs: 1e-4 of the output scale,
// an order of magnitude below what rounding x differently would cost. A loose check against the
// unrounded fp32 product confirms nothing else was rounded.
#include "kernels/cuda/blas.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/ops.h"
#include "kernels/cuda/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/cuda/kernels/op_test_util.h"

namespace hybridserve::kernels::cuda {
namespace {

using testing::DeviceBuffer;
using testing::RandomFloats;

struct LinearCase {
  DType wtype;
  int64_t num_tokens;
  int64_t in_dim;
  int64_t out_dim;
  int64_t x_pad;    // x_stride = in_dim + x_pad
  int64_t out_pad;  // out_stride = out_dim + out_pad
  bool bias;
  bool accumulate;
};

std::string Describe(const LinearCase& c) {
  return std::string(testing::DTypeName(c.wtype)) + " T=" + std::to_string(c.num_tokens) +
         " K=" + std::to_string(c.in_dim) + " N=" + std::to_string(c.out_dim) +
         (c.bias ? " bias" : "") + (c.accumulate ? " accumulate" : "");
}

float RoundTo(DType dtype, float v) {
  switch (dtype) {
    case DType::kF32:
      return v;
    case DType::kBF16:
      return testing::RoundToBf16(v);
    case DType::kF16:
      return testing::RoundToF16(v);
  }
  return v;
}

// A stream and a Blas bound to it.
class BlasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HS_CUDA_CHECK(cudaStreamCreate(&stream_));
    absl::StatusOr<std::unique_ptr<Blas>> blas = Blas::Create(stream_);
    ASSERT_TRUE(blas.ok()) << blas.status();
    blas_ = std::move(*blas);
  }
  void TearDown() override {
    blas_.reset();
    HS_CUDA_CHECK(cudaStreamDestroy(stream_));
  }

  cudaStream_t stream_ = nullptr;
  std::unique_ptr<Blas> blas_;
};

class LinearTest : public BlasTest, public ::testing::WithParamInterface<LinearCase> {};

TEST_P(LinearTest, MatchesCpu) {
  const LinearCase& c = GetParam();
  const int64_t T = c.num_tokens, K = c.in_dim, N = c.out_dim;
  const int64_t x_stride = K + c.x_pad, out_stride = N + c.out_pad;
  const std::vector<float> x = RandomFloats(T * x_stride, 131);
  const testing::StoredTensor weight = testing::Store(c.wtype, RandomFloats(N * K, 132));
  testing::StoredTensor bias;
  if (c.bias) bias = testing::Store(c.wtype, RandomFloats(N, 133, -2.0f, 2.0f));
  const std::vector<float> out_init = RandomFloats(T * out_stride, 134, -4.0f, 4.0f);

  // References: on x as the GEMM sees it (rounded to the weight type), and on x unrounded.
  std::vector<float> x_rounded = x;
  for (float& v : x_rounded) v = RoundTo(c.wtype, v);
  const float* bias_values = c.bias ? bias.values.data() : nullptr;
  std::vector<float> want = out_init;
  cpu::Linear(x_rounded.data(), x_stride, weight.values.data(), bias_values, T, K, N, want.data(),
              out_stride, c.accumulate);
  std::vector<float> want_unrounded = out_init;
  cpu::Linear(x.data(), x_stride, weight.values.data(), bias_values, T, K, N, want_unrounded.data(),
              out_stride, c.accumulate);

  DeviceBuffer<float> x_d(x);
  // Without accumulate the output starts poisoned: every element must be written.
  DeviceBuffer<float> out_d(T * out_stride);
  if (c.accumulate) out_d.Upload(out_init);
  blas_->Linear(x_d.get(), x_stride, c.wtype, weight.get(), c.bias ? bias.get() : nullptr, T, K, N,
                out_d.get(), out_stride, c.accumulate);
  const std::vector<float> got = out_d.Download();

  const double tolerance = c.wtype == DType::kF32 ? 1e-5 : 1e-4;
  EXPECT_LE(testing::MaxRelError(testing::Dense(got, T, N, out_stride),
                                 testing::Dense(want, T, N, out_stride)),
            tolerance)
      << Describe(c);
  EXPECT_LE(testing::MaxRelError(testing::Dense(got, T, N, out_stride),
                                 testing::Dense(want_unrounded, T, N, out_stride)),
            1e-2)
      << Describe(c);
  // Columns past out_dim are left alone (poison, or the initial values with accumulate).
  const std::vector<float> pad_before =
      c.accumulate
          ? testing::Padding(out_init, T, N, out_stride)
          : testing::Padding(DeviceBuffer<float>(T * out_stride).Download(), T, N, out_stride);
  EXPECT_TRUE(testing::SameBits(testing::Padding(got, T, N, out_stride), pad_before))
      << Describe(c);
}

// The scale multiplies the product, not the bias, on both the decode path (a few rows on bf16
// weights) and the GEMM path, accumulating or not.
TEST_F(BlasTest, ScaleMultipliesTheProductNotTheBias) {
  for (DType wtype : {DType::kBF16, DType::kF32}) {
    for (int64_t T : {1, 3, 8, 9, 40}) {
      for (bool accumulate : {false, true}) {
        const int64_t K = 512, N = 96;
        const float scale = 0.375f;
        const std::vector<float> x = RandomFloats(T * K, 141);
        const testing::StoredTensor weight = testing::Store(wtype, RandomFloats(N * K, 142));
        const testing::StoredTensor bias = testing::Store(wtype, RandomFloats(N, 143));
        const std::vector<float> out_init = RandomFloats(T * N, 144, -4.0f, 4.0f);
        std::vector<float> x_rounded = x;
        for (float& v : x_rounded) v = RoundTo(wtype, v);
        std::vector<float> product(T * N);
        cpu::Linear(x_rounded.data(), K, weight.values.data(), nullptr, T, K, N, product.data(), N,
                    false);
        std::vector<float> want(T * N);
        for (int64_t i = 0; i < T * N; ++i) {
          want[i] = scale * product[i] + (accumulate ? out_init[i] : 0.0f) + bias.values[i % N];
        }
        DeviceBuffer<float> x_d(x);
        DeviceBuffer<float> out_d(T * N);
        if (accumulate) out_d.Upload(out_init);
        blas_->Linear(x_d.get(), K, wtype, weight.get(), bias.get(), T, K, N, out_d.get(), N,
                      accumulate, scale);
        EXPECT_LE(testing::MaxRelError(out_d.Download(), want), 1e-4)
            << testing::DTypeName(wtype) << " T=" << T << " accumulate=" << accumulate;
      }
    }
  }
}

// Projections of the reference checkpoints: Falcon-H1-1.5B (D = 2048), Nemotron-H-8B (D = 4096,
// MLP 21504 not used here to keep the CPU reference quick), Granite-4.0-H-Tiny (D = 1536, router
// 64), Jamba-mini (D = 4096); odd shapes; x slices of wider buffers; bias; accumulate.
INSTANTIATE_TEST_SUITE_P(
    Shapes, LinearTest,
    ::testing::Values(LinearCase{DType::kF32, 1, 2048, 4096, 0, 0, false, false},
                      LinearCase{DType::kF32, 7, 4096, 1536, 64, 3, true, false},
                      LinearCase{DType::kF32, 300, 1536, 2048, 0, 0, false, true},
                      LinearCase{DType::kF32, 300, 2048, 64, 1, 0, true, true},
                      LinearCase{DType::kF32, 7, 1001, 333, 3, 5, true, false},
                      LinearCase{DType::kBF16, 1, 4096, 4096, 0, 0, false, false},
                      LinearCase{DType::kBF16, 8, 8192, 2048, 0, 4, true, true},
                      LinearCase{DType::kF16, 4, 2048, 8192, 4, 0, true, false},
                      LinearCase{DType::kBF16, 3, 2048, 65536, 0, 0, false, false},
                      LinearCase{DType::kBF16, 7, 2048, 6144, 2048, 0, true, false},
                      LinearCase{DType::kBF16, 300, 1536, 3072, 0, 8, false, true},
                      LinearCase{DType::kBF16, 300, 4096, 1024, 0, 0, true, true},
                      LinearCase{DType::kBF16, 300, 1536, 64, 0, 0, false, false},
                      LinearCase{DType::kF16, 7, 4096, 2048, 0, 0, true, false},
                      LinearCase{DType::kF16, 300, 2048, 1024, 16, 0, false, true},
                      LinearCase{DType::kBF16, 7, 1001, 333, 3, 5, true, true},
                      // One row, few features of long rows: two warps share each feature (an
                      // odd batch count; a last CTA with features missing).
                      LinearCase{DType::kBF16, 1, 8192, 2048, 0, 0, true, true},
                      LinearCase{DType::kF16, 1, 3072, 1030, 8, 3, false, true},
                      LinearCase{DType::kBF16, 1, 2048, 2304, 0, 0, false, false},
                      // Tiny checkpoints' shapes, one decode row, accumulating.
                      LinearCase{DType::kBF16, 1, 48, 32, 0, 0, false, true},
                      LinearCase{DType::kBF16, 1, 64, 32, 0, 0, false, true},
                      LinearCase{DType::kBF16, 1, 32, 48, 0, 0, false, false},
                      LinearCase{DType::kBF16, 2, 48, 32, 0, 0, false, true},
                      LinearCase{DType::kF32, 1, 48, 32, 0, 0, false, true}));

// The decode MLP's fused gate/up launch gives bit for bit what its three-launch form gives: Linear
// (gate), Linear (up), GatedActivate; and declines (doing nothing) where the GEMV does not apply.
TEST_F(BlasTest, GatedLinearEqualsTwoLinearsAndGatedActivate) {
  const int64_t K = 2048, N = 1030, x_stride = K + 8, out_stride = N + 3;
  for (DType wtype : {DType::kBF16, DType::kF16}) {
    const testing::StoredTensor gate =
        testing::Store(wtype, RandomFloats(N * K, 151, -0.05f, 0.05f));
    const testing::StoredTensor up = testing::Store(wtype, RandomFloats(N * K, 152, -0.05f, 0.05f));
    for (int64_t T : {1, 3, 8}) {
      DeviceBuffer<float> x(
          RandomFloats(T * x_stride, 153 + static_cast<uint32_t>(T), -2.0f, 2.0f));
      for (cpu::Activation act :
           {cpu::Activation::kSilu, cpu::Activation::kGelu, cpu::Activation::kRelu2}) {
        DeviceBuffer<float> g(T * N), u(T * N), got(T * out_stride);
        blas_->Linear(x.get(), x_stride, wtype, gate.get(), nullptr, T, K, N, g.get(), N);
        blas_->Linear(x.get(), x_stride, wtype, up.get(), nullptr, T, K, N, u.get(), N);
        GatedActivate(g.get(), N, u.get(), N, T, N, act, 0.9f, blas_->stream());
        ASSERT_TRUE(blas_->GatedLinear(x.get(), x_stride, wtype, gate.get(), up.get(), T, K, N, act,
                                       0.9f, got.get(), out_stride));
        HS_CUDA_CHECK(cudaStreamSynchronize(blas_->stream()));
        const std::vector<float> result = got.Download();
        EXPECT_TRUE(testing::SameBits(testing::Dense(result, T, N, out_stride), g.Download()))
            << testing::DTypeName(wtype) << " T=" << T << " act=" << static_cast<int>(act);
        // The padding of each row is left as it was (poisoned).
        DeviceBuffer<float> poisoned(T * out_stride);
        EXPECT_TRUE(testing::SameBits(testing::Padding(result, T, N, out_stride),
                                      testing::Padding(poisoned.Download(), T, N, out_stride)));
      }
    }
  }
  // More rows than the GEMV takes, or fp32 weights: declined, out untouched.
  const testing::StoredTensor gate = testing::Store(DType::kBF16, RandomFloats(N * K, 154));
  DeviceBuffer<float> x(RandomFloats(9 * K, 155)), out(9 * N);
  EXPECT_FALSE(blas_->GatedLinear(x.get(), K, DType::kBF16, gate.get(), gate.get(), 9, K, N,
                                  cpu::Activation::kSilu, 1.0f, out.get(), N));
  EXPECT_FALSE(blas_->GatedLinear(x.get(), K, DType::kF32, gate.get(), gate.get(), 1, K, N,
                                  cpu::Activation::kSilu, 1.0f, out.get(), N));
  DeviceBuffer<float> untouched(9 * N);
  EXPECT_TRUE(testing::SameBits(out.Download(), untouched.Download()));
}

TEST_F(BlasTest, ScratchGrowsAcrossCalls) {
  // A small call, then a larger one: the larger one must not read a stale, too-small scratch.
  for (int64_t T : {1, 300, 7}) {
    const int64_t K = 2048, N = 512;
    const std::vector<float> x = RandomFloats(T * K, 141 + static_cast<uint32_t>(T));
    const testing::StoredTensor weight = testing::Store(DType::kBF16, RandomFloats(N * K, 142));
    std::vector<float> x_rounded = x;
    for (float& v : x_rounded) v = testing::RoundToBf16(v);
    std::vector<float> want(T * N);
    cpu::Linear(x_rounded.data(), K, weight.values.data(), nullptr, T, K, N, want.data(), N);
    DeviceBuffer<float> x_d(x);
    DeviceBuffer<float> out_d(T * N);
    blas_->Linear(x_d.get(), K, DType::kBF16, weight.get(), nullptr, T, K, N, out_d.get(), N);
    EXPECT_LE(testing::MaxRelError(out_d.Download(), want), 1e-4) << "T=" << T;
  }
}

}  // namespace
}  // namespace hybridserve::kernels::cuda
