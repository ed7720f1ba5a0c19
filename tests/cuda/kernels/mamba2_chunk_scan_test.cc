// cuda::Mamba2ChunkScan against cpu::Mamba2ChunkScan, at both precisions (kExact: fp32 cores;
// kTensorCore: TF32 tensor cores): one sequence's prefill continuing from a random non-zero
// state, at the real shapes of Nemotron-H-8B, Falcon-H1-1.5B and Granite-4.0-H-Tiny and at
// lengths inside one chunk, crossing chunk boundaries and ending in a short chunk; both y and the
// final state are checked, y in a poisoned buffer. Inputs are laid out as the mixer produces them
// (x, B, C side by side in one strided row, dt rows with padding).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/cuda/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/cuda/kernels/ssm_test_util.h"

namespace hybridserve::kernels::cuda {
namespace {

using testing::DeviceBuffer;
using testing::MaxRelError;
using testing::RandomDt;
using testing::RandomFloats;
using testing::RandomNegativeA;
using testing::Rows;

struct ScanShape {
  const char* name;
  int64_t H, P, N, G, chunk;
  bool use_d;
};
void PrintTo(const ScanShape& c, std::ostream* os) { *os << c.name; }  // names in gtest output

// The tolerances, relative to the output's scale (max |want|, MaxRelError).
// kExact: the GPU follows the CPU's operation order for everything but the dot products C.B and
// C.S (the CPU sums them in eight interleaved partial sums, the GPU in one running sum) and expf's
// last-ulp differences, so the two agree to a few fp32 ulps of the output scale; 1e-5 is kept from
// the other SSM ops rather than loosened.
// kTensorCore: every product operand is rounded to TF32 (10 mantissa bits, relative error up to
// 2^-11 = 4.9e-4, CB rounded twice), so each product term carries ~1e-3 relative error in the
// worst case and ~4e-4 rms; errors of independent terms add like a random walk, as do the terms
// themselves, so the error of an output is ~4e-4 of its own magnitude rms, a few times that at
// the worst of the ~5M outputs, and those worst outputs are rarely the largest. A host model of
// the kernels' rounding (TF32 operands, exact sums) at these shapes and inputs gives 3e-4 .. 6e-4
// for y and the final state, and the H200 measures 2.5e-4 .. 5.0e-4 (each case prints its
// errors); 2e-3 leaves margin over that while any indexing, decay or masking error (an O(1)
// change of some output) still fails.
constexpr double kTolerance = 1e-5;
constexpr double kTensorCoreTolerance = 2e-3;

double Tolerance(ScanPrecision precision) {
  return precision == ScanPrecision::kExact ? kTolerance : kTensorCoreTolerance;
}

class Mamba2ChunkScanTest : public ::testing::TestWithParam<std::tuple<ScanShape, int64_t>> {
 protected:
  // Runs one sequence of T tokens from a random non-zero state at precision, into poisoned
  // outputs, and checks y and the final state against the CPU op.
  void CheckAgainstCpu(ScanPrecision precision) {
    const ScanShape& p = std::get<0>(GetParam());
    const int64_t T = std::get<1>(GetParam());
    const int64_t H = p.H, P = p.P, N = p.N, G = p.G;
    const cpu::SsdShape shape{T, H, P, G, N, p.chunk};
    const int64_t row = H * P + 2 * G * N + 3, dt_stride = H + 2, y_stride = H * P + 5;

    const std::vector<float> xbc = RandomFloats(T * row, 1);
    const std::vector<float> dt = RandomDt(T * dt_stride, 2);
    const std::vector<float> A = RandomNegativeA(H, 3);
    const std::vector<float> D = RandomFloats(H, 4);
    const std::vector<float> state0 = RandomFloats(H * P * N, 5);
    DeviceBuffer<float> d_xbc(xbc), d_dt(dt), d_A(A), d_D(D), d_state(state0);
    DeviceBuffer<float> d_y(T * y_stride);  // poisoned: every unwritten element is NaN
    DeviceBuffer<float> d_scratch(Mamba2ChunkScanScratchFloats(shape));

    Mamba2ChunkScan(shape, d_xbc.get(), row, d_dt.get(), dt_stride, d_A.get(), d_xbc.get() + H * P,
                    row, d_xbc.get() + H * P + G * N, row, p.use_d ? d_D.get() : nullptr,
                    d_state.get(), d_y.get(), y_stride, d_scratch.get(), /*stream=*/nullptr,
                    precision);
    HS_CUDA_CHECK(cudaDeviceSynchronize());
    const std::vector<float> y = d_y.Download();
    const std::vector<float> state = d_state.Download();

    std::vector<float> want_y(T * H * P), want_state = state0;
    cpu::ThreadPool pool(0);
    cpu::Mamba2ChunkScan(shape, xbc.data(), row, dt.data(), dt_stride, A.data(), xbc.data() + H * P,
                         row, xbc.data() + H * P + G * N, row, p.use_d ? D.data() : nullptr,
                         want_state.data(), want_y.data(), H * P, &pool);
    const double y_error = MaxRelError(Rows(y, y_stride, 0, T, H * P), want_y);
    const double state_error = MaxRelError(state, want_state);
    EXPECT_LE(y_error, Tolerance(precision)) << "y";
    EXPECT_LE(state_error, Tolerance(precision)) << "final state";
    std::printf("  error / output scale: y %.2e, final state %.2e\n", y_error, state_error);
    // The padding columns of y are not the op's to write.
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t i = H * P; i < y_stride; ++i) ASSERT_TRUE(std::isnan(y[t * y_stride + i]));
    }
  }
};

TEST_P(Mamba2ChunkScanTest, MatchesCpu) { CheckAgainstCpu(ScanPrecision::kExact); }

TEST_P(Mamba2ChunkScanTest, TensorCoreMatchesCpu) { CheckAgainstCpu(ScanPrecision::kTensorCore); }

// The chunk scan with the prompt split in two calls continues from the first call's state: the
// same as the CPU op given the same two calls (exactly, or within the TF32 tolerance).
class Mamba2ChunkScanSplitTest : public ::testing::TestWithParam<ScanPrecision> {};

TEST_P(Mamba2ChunkScanSplitTest, ContinuesAcrossCalls) {
  const ScanPrecision precision = GetParam();
  const int64_t H = 48, P = 64, N = 128, G = 1, chunk = 256, T1 = 173, T2 = 300;
  const int64_t row = H * P + 2 * G * N, T = T1 + T2;
  const std::vector<float> xbc = RandomFloats(T * row, 11);
  const std::vector<float> dt = RandomDt(T * H, 12);
  const std::vector<float> A = RandomNegativeA(H, 13);
  const std::vector<float> D = RandomFloats(H, 14);
  const std::vector<float> state0 = RandomFloats(H * P * N, 15);
  DeviceBuffer<float> d_xbc(xbc), d_dt(dt), d_A(A), d_D(D), d_state(state0), d_y(T * H * P);
  DeviceBuffer<float> d_scratch(Mamba2ChunkScanScratchFloats({T2, H, P, G, N, chunk}));
  std::vector<float> want_y(T * H * P), want_state = state0;
  cpu::ThreadPool pool(0);
  int64_t t0 = 0;
  for (int64_t part : {T1, T2}) {
    const cpu::SsdShape shape{part, H, P, G, N, chunk};
    const float* x = d_xbc.get() + t0 * row;
    Mamba2ChunkScan(shape, x, row, d_dt.get() + t0 * H, H, d_A.get(), x + H * P, row,
                    x + H * P + G * N, row, d_D.get(), d_state.get(), d_y.get() + t0 * H * P, H * P,
                    d_scratch.get(), /*stream=*/nullptr, precision);
    const float* hx = xbc.data() + t0 * row;
    cpu::Mamba2ChunkScan(shape, hx, row, dt.data() + t0 * H, H, A.data(), hx + H * P, row,
                         hx + H * P + G * N, row, D.data(), want_state.data(),
                         want_y.data() + t0 * H * P, H * P, &pool);
    t0 += part;
  }
  EXPECT_LE(MaxRelError(d_y.Download(), want_y), Tolerance(precision)) << "y";
  EXPECT_LE(MaxRelError(d_state.Download(), want_state), Tolerance(precision)) << "final state";
}

INSTANTIATE_TEST_SUITE_P(Precisions, Mamba2ChunkScanSplitTest,
                         ::testing::Values(ScanPrecision::kExact, ScanPrecision::kTensorCore),
                         [](const ::testing::TestParamInfo<ScanPrecision>& info) {
                           return info.param == ScanPrecision::kExact ? "Exact" : "TensorCore";
                         });

INSTANTIATE_TEST_SUITE_P(
    Shapes, Mamba2ChunkScanTest,
    ::testing::Combine(
        ::testing::Values(ScanShape{"NemotronH8B", 128, 64, 128, 8, 128, true},
                          ScanShape{"FalconH1_1_5B", 24, 64, 256, 1, 256, true},
                          ScanShape{"GraniteH4Tiny", 48, 64, 128, 1, 256, false},
                          // Every tile edge: P, N, chunk not multiples of the 64-wide tiles.
                          ScanShape{"OddShape", 6, 20, 18, 3, 37, true}),
        ::testing::Values<int64_t>(1, 5, 300, 600)),
    [](const ::testing::TestParamInfo<std::tuple<ScanShape, int64_t>>& info) {
      return std::string(std::get<0>(info.param).name) + "_T" +
             std::to_string(std::get<1>(info.param));
    });

}  // namespace
}  // namespace hybridserve::kernels::cuda
