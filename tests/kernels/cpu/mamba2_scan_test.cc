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

// Inputs laid out as the mixer produces them: one row per token holding x [H*P], B [G*N] and
// C [G*N] side by side (so x, B and C share a row stride), and dt rows with padding.
struct SsdInputs {
  int64_t H, P, G, N;
  int64_t row, dt_row;
  std::vector<float> xbc, dt, A, D, state0;

  SsdInputs(int64_t H_, int64_t P_, int64_t G_, int64_t N_, int64_t T, std::mt19937& rng)
      : H(H_), P(P_), G(G_), N(N_), row(H_ * P_ + 2 * G_ * N_ + 3), dt_row(H_ + 2) {
    xbc = RandomVector(T * row, rng);
    dt = RandomVector(T * dt_row, rng, 0.01f, 0.3f);
    A = RandomVector(H, rng, -3.0f, -0.3f);
    D = RandomVector(H, rng);
    state0 = RandomVector(H * P * N, rng);
  }
  const float* x(int64_t t = 0) const { return xbc.data() + t * row; }
  const float* B(int64_t t = 0) const { return xbc.data() + t * row + H * P; }
  const float* C(int64_t t = 0) const { return xbc.data() + t * row + H * P + G * N; }
};

// The recurrence, token by token, in double. Returns y [T, H*P]; *state is updated.
std::vector<double> RecurrenceRef(const SsdInputs& in, int64_t T, bool use_d,
                                  std::vector<double>* state) {
  std::vector<double> y(T * in.H * in.P);
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t h = 0; h < in.H; ++h) {
      const int64_t g = h / (in.H / in.G);
      const double dt = in.dt[t * in.dt_row + h];
      const double decay = std::exp(dt * in.A[h]);
      for (int64_t p = 0; p < in.P; ++p) {
        const double xv = in.x(t)[h * in.P + p];
        double acc = 0.0;
        for (int64_t n = 0; n < in.N; ++n) {
          double& s = (*state)[(h * in.P + p) * in.N + n];
          s = decay * s + dt * in.B(t)[g * in.N + n] * xv;
          acc += in.C(t)[g * in.N + n] * s;
        }
        y[t * in.H * in.P + h * in.P + p] = acc + (use_d ? in.D[h] * xv : 0.0);
      }
    }
  }
  return y;
}

// Runs Mamba2ChunkScan over tokens [t0, t0 + T) of the inputs; y rows have a padded stride.
std::vector<float> RunScan(const SsdInputs& in, int64_t t0, int64_t T, int64_t chunk_size,
                           bool use_d, std::vector<float>* state, ThreadPool* pool) {
  const int64_t y_stride = in.H * in.P + 1;
  std::vector<float> y_padded(T * y_stride, NAN);
  const SsdShape shape{T, in.H, in.P, in.G, in.N, chunk_size};
  Mamba2ChunkScan(shape, in.x(t0), in.row, in.dt.data() + t0 * in.dt_row, in.dt_row, in.A.data(),
                  in.B(t0), in.row, in.C(t0), in.row, use_d ? in.D.data() : nullptr, state->data(),
                  y_padded.data(), y_stride, pool);
  std::vector<float> y;
  for (int64_t t = 0; t < T; ++t) {
    y.insert(y.end(), y_padded.begin() + t * y_stride,
             y_padded.begin() + t * y_stride + in.H * in.P);
  }
  return y;
}

TEST(Mamba2ChunkScanTest, EqualsRecurrenceForAllChunkBoundaries) {
  ThreadPool pool(3);
  const int64_t Q = 8;
  for (int64_t G : {1, 2}) {
    for (int64_t T : {int64_t{1}, Q - 1, Q, Q + 1, 3 * Q + 5}) {
      for (bool use_d : {true, false}) {
        std::mt19937 rng(static_cast<uint32_t>(100 * G + T));
        const SsdInputs in(4, 8, G, 16, T, rng);
        std::vector<double> ref_state(in.state0.begin(), in.state0.end());
        const auto expected = RecurrenceRef(in, T, use_d, &ref_state);
        std::vector<float> state = in.state0;
        const auto y = RunScan(in, 0, T, Q, use_d, &state, G == 1 ? &pool : nullptr);
        EXPECT_TRUE(AllClose(y, expected, 1e-5)) << "G " << G << " T " << T;
        EXPECT_TRUE(AllClose(state, ref_state, 1e-5)) << "state, G " << G << " T " << T;
      }
    }
  }
}

TEST(Mamba2ChunkScanTest, EqualsRecurrenceAtModelLikeSizes) {
  ThreadPool pool(4);
  std::mt19937 rng(17);
  const int64_t T = 150;
  const SsdInputs in(8, 16, 2, 64, T, rng);
  std::vector<double> ref_state(in.state0.begin(), in.state0.end());
  const auto expected = RecurrenceRef(in, T, true, &ref_state);
  std::vector<float> state = in.state0;
  const auto y = RunScan(in, 0, T, 64, true, &state, &pool);
  EXPECT_TRUE(AllClose(y, expected, 1e-5));
  EXPECT_TRUE(AllClose(state, ref_state, 1e-5));
}

TEST(Mamba2ChunkScanTest, TwoCallsEqualOneCall) {
  ThreadPool pool(2);
  std::mt19937 rng(18);
  const int64_t Q = 8, T = 30;
  const SsdInputs in(4, 4, 2, 8, T, rng);
  std::vector<float> state_one = in.state0;
  const auto y_one = RunScan(in, 0, T, Q, true, &state_one, &pool);
  for (int64_t split : {1, 5, 8, 13, 29}) {
    std::vector<float> state_two = in.state0;
    auto y_two = RunScan(in, 0, split, Q, true, &state_two, &pool);
    const auto rest = RunScan(in, split, T - split, Q, true, &state_two, nullptr);
    y_two.insert(y_two.end(), rest.begin(), rest.end());
    EXPECT_TRUE(AllClose(y_two, y_one, 1e-5)) << "split " << split;
    EXPECT_TRUE(AllClose(state_two, state_one, 1e-5)) << "split " << split;
  }
}

TEST(Mamba2ChunkScanTest, ZeroTokensIsANoOp) {
  std::mt19937 rng(19);
  const SsdInputs in(2, 4, 1, 4, 1, rng);
  std::vector<float> state = in.state0;
  const SsdShape shape{0, 2, 4, 1, 4, 8};
  Mamba2ChunkScan(shape, in.x(), in.row, in.dt.data(), in.dt_row, in.A.data(), in.B(), in.row,
                  in.C(), in.row, in.D.data(), state.data(), nullptr, 8, nullptr);
  EXPECT_EQ(state, in.state0);
}

}  // namespace
}  // namespace hybridserve::kernels::cpu
