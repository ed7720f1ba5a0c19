// Activate, GatedActivate and DtSoftplus against the CPU ops on the same values (CPU twins:
// cpu::Activate, the gated MLP's Scale/Activate/multiply, dt + bias then cpu::SoftplusClamp), with
// row strides. Inputs span the ranges where the functions change form (GELU tails, the softplus
// threshold at 20, clamps active and not).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
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

const char* Name(cpu::Activation act) {
  switch (act) {
    case cpu::Activation::kSilu:
      return "silu";
    case cpu::Activation::kGelu:
      return "gelu";
    case cpu::Activation::kRelu2:
      return "relu2";
  }
  return "?";
}

// The reference for a strided [T, dim] buffer: cpu::Activate row by row.
std::vector<float> ActivateRows(std::vector<float> x, int64_t stride, int64_t T, int64_t dim,
                                cpu::Activation act) {
  for (int64_t t = 0; t < T; ++t) cpu::Activate(x.data() + t * stride, dim, act, nullptr);
  return x;
}

TEST(ActivateTest, MatchesCpuWithStrides) {
  // MLP widths: Falcon-H1-1.5B (8192), Nemotron-H-8B squared ReLU (21504), Granite Tiny (512
  // per expert), plus an odd width.
  for (cpu::Activation act :
       {cpu::Activation::kSilu, cpu::Activation::kGelu, cpu::Activation::kRelu2}) {
    for (auto [T, dim] :
         {std::pair<int64_t, int64_t>{1, 8192}, {7, 21504}, {300, 512}, {300, 1001}}) {
      const int64_t stride = dim + 17;
      const std::vector<float> x = RandomFloats(T * stride, 81, -10.0f, 10.0f);
      const std::vector<float> want = ActivateRows(x, stride, T, dim, act);
      DeviceBuffer<float> x_d(x);
      Activate(x_d.get(), stride, T, dim, act, nullptr);
      const std::vector<float> got = x_d.Download();
      // Scale-relative: GELU's far negative tail is computed with cancellation on both sides.
      EXPECT_LE(testing::MaxRelError(testing::Dense(got, T, dim, stride),
                                     testing::Dense(want, T, dim, stride)),
                kTolerance)
          << Name(act) << " T=" << T << " dim=" << dim;
      if (act != cpu::Activation::kGelu) {
        EXPECT_LE(testing::MaxElementRelError(testing::Dense(got, T, dim, stride),
                                              testing::Dense(want, T, dim, stride), 1e-30),
                  kTolerance)
            << Name(act) << " T=" << T << " dim=" << dim;
      }
      EXPECT_TRUE(testing::SameBits(Padding(got, T, dim, stride), Padding(x, T, dim, stride)));
    }
  }
}

TEST(GatedActivateTest, MatchesCpuWithStrides) {
  // gate and up are the two halves of a fused gate_up projection output [T, 2F].
  for (cpu::Activation act : {cpu::Activation::kSilu, cpu::Activation::kGelu}) {
    for (float multiplier : {1.0f, 0.8838835f}) {
      for (auto [T, F] : {std::pair<int64_t, int64_t>{1, 8192}, {7, 14336}, {300, 1024}}) {
        const int64_t stride = 2 * F;
        const std::vector<float> gate_up = RandomFloats(T * stride, 82, -6.0f, 6.0f);
        // CPU runner order: gate *= multiplier; gate = act(gate); up *= gate.
        std::vector<float> want(T * F);
        for (int64_t t = 0; t < T; ++t) {
          std::vector<float> gate(gate_up.begin() + t * stride, gate_up.begin() + t * stride + F);
          for (float& g : gate) g = g * multiplier;
          cpu::Activate(gate.data(), F, act, nullptr);
          for (int64_t i = 0; i < F; ++i) want[t * F + i] = gate_up[t * stride + F + i] * gate[i];
        }
        DeviceBuffer<float> gate_up_d(gate_up);
        GatedActivate(gate_up_d.get(), stride, gate_up_d.get() + F, stride, T, F, act, multiplier,
                      nullptr);
        const std::vector<float> got = gate_up_d.Download();
        EXPECT_LE(testing::MaxRelError(testing::Dense(got, T, F, stride), want), kTolerance)
            << Name(act) << " T=" << T << " F=" << F << " m=" << multiplier;
        // The up half is read, not written.
        EXPECT_TRUE(testing::SameBits(Padding(got, T, F, stride), Padding(gate_up, T, F, stride)));
      }
    }
  }
}

TEST(DtSoftplusTest, MatchesCpuPerTokenLimits) {
  // dt is a [T, H] slice at the end of the Mamba2 in_proj output; H = 128 (Nemotron-H-8B), 24,
  // 48 (Granite Tiny). Prompt tokens use (dt_min, dt_max) = (0, inf), decode tokens a real range.
  const float inf = std::numeric_limits<float>::infinity();
  for (DType btype : {DType::kF32, DType::kBF16}) {
    for (auto [T, H] : {std::pair<int64_t, int64_t>{1, 128}, {7, 24}, {300, 48}}) {
      const int64_t stride = 2 * 4096 + H;
      const int64_t offset = 2 * 4096;
      std::vector<float> buffer = RandomFloats(T * stride, 91, -24.0f, 24.0f);
      const testing::StoredTensor bias = testing::Store(btype, RandomFloats(H, 92, -4.0f, 4.0f));
      std::vector<float> lo(T), hi(T);
      for (int64_t t = 0; t < T; ++t) {
        lo[t] = t % 2 == 0 ? 0.0f : 0.001f;
        hi[t] = t % 2 == 0 ? inf : 0.1f;
      }
      if (T > 2) hi[2] = 5.0f;  // clamp the large values too
      std::vector<float> want(T * H);
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t h = 0; h < H; ++h) {
          want[t * H + h] = buffer[t * stride + offset + h] + bias.values[h];
        }
        cpu::SoftplusClamp(want.data() + t * H, H, lo[t], hi[t]);
      }
      DeviceBuffer<float> buffer_d(buffer);
      DeviceBuffer<float> lo_d(lo);
      DeviceBuffer<float> hi_d(hi);
      DtSoftplus(buffer_d.get() + offset, stride, T, H, btype, bias.get(), lo_d.get(), hi_d.get(),
                 nullptr);
      std::vector<float> got = buffer_d.Download();
      std::vector<float> got_dt(T * H);
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t h = 0; h < H; ++h) {
          got_dt[t * H + h] = got[t * stride + offset + h];
          got[t * stride + offset + h] = buffer[t * stride + offset + h];
        }
      }
      // softplus has no cancellation: every element to 1e-5 relative.
      EXPECT_LE(testing::MaxElementRelError(got_dt, want, 1e-30), kTolerance)
          << testing::DTypeName(btype) << " T=" << T << " H=" << H;
      EXPECT_TRUE(testing::SameBits(got, buffer));  // nothing outside dt changed
    }
  }
}

}  // namespace
}  // namespace hybridserve::kernels::cuda
