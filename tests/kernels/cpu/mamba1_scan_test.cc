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

// Inputs laid out as Jamba's mixer produces them: x and dt rows of width I (padded), and B, C
// side by side in one x_proj output row.
struct Mamba1Inputs {
  int64_t I, N, x_row, bc_row;
  std::vector<float> x, dt, A, bc, D, state0;
  Mamba1Inputs(int64_t I_, int64_t N_, int64_t T, std::mt19937& rng)
      : I(I_), N(N_), x_row(I_ + 2), bc_row(2 * N_ + 5) {
    x = RandomVector(T * x_row, rng);
    dt = RandomVector(T * x_row, rng, 0.01f, 0.5f);
    A = RandomVector(I * N, rng, -4.0f, -0.2f);
    bc = RandomVector(T * bc_row, rng);
    D = RandomVector(I, rng);
    state0 = RandomVector(I * N, rng);
  }
  const float* B(int64_t t) const { return bc.data() + t * bc_row + 5; }
  const float* C(int64_t t) const { return bc.data() + t * bc_row + 5 + N; }
};

std::vector<double> Reference(const Mamba1Inputs& in, int64_t T, std::vector<double>* state) {
  std::vector<double> y(T * in.I);
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t i = 0; i < in.I; ++i) {
      const double dt = in.dt[t * in.x_row + i], xv = in.x[t * in.x_row + i];
      double acc = 0.0;
      for (int64_t n = 0; n < in.N; ++n) {
        double& s = (*state)[i * in.N + n];
        s = std::exp(in.A[i * in.N + n] * dt) * s + dt * in.B(t)[n] * xv;
        acc += s * in.C(t)[n];
      }
      y[t * in.I + i] = acc + in.D[i] * xv;
    }
  }
  return y;
}

std::vector<float> RunMamba1(const Mamba1Inputs& in, int64_t t0, int64_t T,
                             std::vector<float>* state, ThreadPool* pool) {
  std::vector<float> y(T * in.I);
  Mamba1Scan(T, in.I, in.N, in.x.data() + t0 * in.x_row, in.x_row, in.dt.data() + t0 * in.x_row,
             in.x_row, in.A.data(), in.B(t0), in.bc_row, in.C(t0), in.bc_row, in.D.data(),
             state->data(), y.data(), in.I, pool);
  return y;
}

TEST(Mamba1ScanTest, MatchesDoubleRecurrence) {
  ThreadPool pool(3);
  for (int64_t T : {1, 2, 17}) {
    std::mt19937 rng(static_cast<uint32_t>(40 + T));
    const Mamba1Inputs in(37, 16, T, rng);
    std::vector<double> ref_state(in.state0.begin(), in.state0.end());
    const auto expected = Reference(in, T, &ref_state);
    std::vector<float> state = in.state0;
    const auto y = RunMamba1(in, 0, T, &state, T == 2 ? nullptr : &pool);
    EXPECT_TRUE(AllClose(y, expected, 1e-5)) << "T " << T;
    EXPECT_TRUE(AllClose(state, ref_state, 1e-5)) << "T " << T;
  }
}

TEST(Mamba1ScanTest, ChunksAndDecodeStepsEqualOneCall) {
  ThreadPool pool(2);
  std::mt19937 rng(50);
  const int64_t T = 20;
  const Mamba1Inputs in(24, 8, T, rng);
  std::vector<float> state_one = in.state0;
  const auto y_one = RunMamba1(in, 0, T, &state_one, &pool);
  std::vector<float> state = in.state0, y;
  int64_t start = 0;
  for (int64_t chunk : {7, 1, 1, 9, 1, 1}) {
    const auto part = RunMamba1(in, start, chunk, &state, chunk > 1 ? &pool : nullptr);
    y.insert(y.end(), part.begin(), part.end());
    start += chunk;
  }
  ASSERT_EQ(start, T);
  EXPECT_EQ(y, y_one);  // a per-token recurrence: splitting it changes nothing
  EXPECT_EQ(state, state_one);
}

}  // namespace
}  // namespace hybridserve::kernels::cpu
