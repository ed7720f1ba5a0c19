// cuda::Mamba2StateUpdate against cpu::Mamba2StateUpdate row by row: a decode batch of rows with
// distinct slots out of a larger, otherwise poisoned pool, from random non-zero states, over two
// consecutive steps; inputs laid out as the mixer produces them (x, B, C side by side in one
// strided row). Also: the raw-dt form (DtSoftplus inside the update) against the two launches.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/ops.h"
#include "kernels/cuda/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/cuda/kernels/op_test_util.h"
#include "tests/cuda/kernels/ssm_test_util.h"

namespace hybridserve::kernels::cuda {
namespace {

using testing::DeviceBuffer;
using testing::MaxRelError;
using testing::RandomDt;
using testing::RandomFloats;
using testing::RandomNegativeA;
using testing::Rows;
using testing::SlotPool;

struct UpdateCase {
  const char* name;
  int64_t H, P, N, G;
  bool use_d;
};
void PrintTo(const UpdateCase& c, std::ostream* os) { *os << c.name; }  // names in gtest output

class Mamba2StateUpdateTest : public ::testing::TestWithParam<UpdateCase> {};

TEST_P(Mamba2StateUpdateTest, MatchesCpuPerRow) {
  const UpdateCase& p = GetParam();
  const int64_t H = p.H, P = p.P, N = p.N, G = p.G;
  const std::vector<int32_t> slots = {5, 0, 13, 2, 9, 7, 11};
  const int64_t R = static_cast<int64_t>(slots.size()), num_slots = 16;
  const int64_t row = H * P + 2 * G * N + 3, dt_stride = H + 2, y_stride = H * P + 1;
  const int64_t slot_floats = H * P * N;

  const std::vector<float> A = RandomNegativeA(H, 1);
  const std::vector<float> D = RandomFloats(H, 2);
  const SlotPool pool(num_slots, slot_floats, slots, 3);
  DeviceBuffer<float> d_A(A), d_D(D), d_y(R * y_stride);
  DeviceBuffer<int32_t> d_slots(slots);
  std::vector<std::vector<float>> want_state(R);
  for (int64_t r = 0; r < R; ++r) want_state[r] = pool.Initial(slots[r]);

  for (int step = 0; step < 2; ++step) {
    const std::vector<float> xbc = RandomFloats(R * row, 10 + step);
    const std::vector<float> dt = RandomDt(R * dt_stride, 20 + step);
    DeviceBuffer<float> d_xbc(xbc), d_dt(dt);
    d_y.Poison();
    Mamba2StateUpdate(R, H, P, G, N, d_xbc.get(), row, d_dt.get(), dt_stride, d_A.get(),
                      d_xbc.get() + H * P, row, d_xbc.get() + H * P + G * N, row,
                      p.use_d ? d_D.get() : nullptr, d_slots.get(), pool.device(), d_y.get(),
                      y_stride, /*stream=*/nullptr);
    HS_CUDA_CHECK(cudaDeviceSynchronize());
    const std::vector<float> y = d_y.Download();
    std::vector<std::vector<float>> got_state;
    pool.Check(&got_state);

    for (int64_t r = 0; r < R; ++r) {
      const float* in = xbc.data() + r * row;
      std::vector<float> want_y(H * P);
      cpu::Mamba2StateUpdate(H, P, G, N, in, dt.data() + r * dt_stride, A.data(), in + H * P,
                             in + H * P + G * N, p.use_d ? D.data() : nullptr, want_state[r].data(),
                             want_y.data());
      EXPECT_LE(MaxRelError(Rows(y, y_stride, r, 1, H * P), want_y), 1e-5)
          << "y of row " << r << ", step " << step;
      EXPECT_LE(MaxRelError(got_state[r], want_state[r]), 1e-5)
          << "state of row " << r << " (slot " << slots[r] << "), step " << step;
    }
  }
}

// The decode step's form: dt left raw, the update applying DtSoftplus itself, gives bit for bit
// what DtSoftplus then the update give (y and every state), and leaves dt as it was.
TEST_P(Mamba2StateUpdateTest, RawDtEqualsDtSoftplusFirst) {
  const UpdateCase& p = GetParam();
  const int64_t H = p.H, P = p.P, N = p.N, G = p.G;
  const std::vector<int32_t> slots = {3, 0, 6};
  const int64_t R = static_cast<int64_t>(slots.size()), num_slots = 8;
  const int64_t row = H * P + 2 * G * N, dt_stride = H + 1, y_stride = H * P;
  const SlotPool two_step(num_slots, H * P * N, slots, 41), fused(num_slots, H * P * N, slots, 41);
  const std::vector<float> xbc = RandomFloats(R * row, 42);
  // Raw dt around the softplus knee and past the clamps (limits differ per row).
  const std::vector<float> raw = RandomFloats(R * dt_stride, 43, -6.0f, 4.0f);
  const std::vector<float> bias = RandomFloats(H, 44, -1.0f, 1.0f);
  const std::vector<float> lo = {0.0f, 0.01f, 0.001f}, hi = {1e9f, 0.5f, 2.0f};
  DeviceBuffer<float> d_A(RandomNegativeA(H, 45)), d_D(RandomFloats(H, 46)), d_xbc(xbc);
  DeviceBuffer<float> d_bias(bias), d_lo(lo), d_hi(hi), d_dt(raw), d_raw(raw);
  DeviceBuffer<float> y_two(R * y_stride), y_fused(R * y_stride);
  DeviceBuffer<int32_t> d_slots(slots);
  DtSoftplus(d_dt.get(), dt_stride, R, H, DType::kF32, d_bias.get(), d_lo.get(), d_hi.get(),
             nullptr);
  const float* B = d_xbc.get() + H * P;
  const float* C = B + G * N;
  Mamba2StateUpdate(R, H, P, G, N, d_xbc.get(), row, d_dt.get(), dt_stride, d_A.get(), B, row, C,
                    row, d_D.get(), d_slots.get(), two_step.device(), y_two.get(), y_stride,
                    nullptr);
  Mamba2StateUpdate(R, H, P, G, N, d_xbc.get(), row, d_raw.get(), dt_stride, d_A.get(), B, row, C,
                    row, d_D.get(), d_slots.get(), fused.device(), y_fused.get(), y_stride, nullptr,
                    RawDt{d_bias.get(), d_lo.get(), d_hi.get()});
  HS_CUDA_CHECK(cudaDeviceSynchronize());
  EXPECT_TRUE(testing::SameBits(y_fused.Download(), y_two.Download()));
  std::vector<std::vector<float>> want, got;
  two_step.Check(&want);
  fused.Check(&got);
  for (int64_t r = 0; r < R; ++r) EXPECT_TRUE(testing::SameBits(got[r], want[r])) << "row " << r;
  EXPECT_TRUE(testing::SameBits(d_raw.Download(), raw));  // dt itself untouched
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, Mamba2StateUpdateTest,
    ::testing::Values(UpdateCase{"NemotronH8B", 128, 64, 128, 8, true},
                      UpdateCase{"FalconH1_1_5B", 24, 64, 256, 1, true},
                      UpdateCase{"GraniteH4Tiny", 48, 64, 128, 1, false},
                      // N = 512 (the widest float4 variant) and odd shapes for the scalar one.
                      UpdateCase{"WideState", 4, 24, 512, 2, true},
                      UpdateCase{"OddState", 6, 20, 18, 3, true},
                      UpdateCase{"HugeState", 2, 8, 600, 1, true}),
    [](const ::testing::TestParamInfo<UpdateCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace hybridserve::kernels::cuda
