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

TEST(Mamba2StateUpdateTest, StepsMatchDoubleRecurrence) {
  for (int64_t G : {1, 2, 4}) {
    std::mt19937 rng(static_cast<uint32_t>(20 + G));
    const int64_t H = 8, P = 6, N = 10, steps = 12;
    const auto A = RandomVector(H, rng, -3.0f, -0.3f);
    const auto D = RandomVector(H, rng);
    std::vector<float> state = RandomVector(H * P * N, rng);
    std::vector<double> ref(state.begin(), state.end());
    for (int64_t step = 0; step < steps; ++step) {
      const auto x = RandomVector(H * P, rng);
      const auto dt = RandomVector(H, rng, 0.01f, 0.5f);
      const auto B = RandomVector(G * N, rng);
      const auto C = RandomVector(G * N, rng);
      std::vector<double> expected(H * P);
      for (int64_t h = 0; h < H; ++h) {
        const int64_t g = h / (H / G);
        for (int64_t p = 0; p < P; ++p) {
          double acc = 0.0;
          for (int64_t n = 0; n < N; ++n) {
            double& s = ref[(h * P + p) * N + n];
            s = std::exp(double{dt[h]} * A[h]) * s + double{dt[h]} * B[g * N + n] * x[h * P + p];
            acc += s * C[g * N + n];
          }
          expected[h * P + p] = acc + double{D[h]} * x[h * P + p];
        }
      }
      std::vector<float> y(H * P);
      Mamba2StateUpdate(H, P, G, N, x.data(), dt.data(), A.data(), B.data(), C.data(), D.data(),
                        state.data(), y.data());
      ASSERT_TRUE(AllClose(y, expected, 1e-5)) << "G " << G << " step " << step;
    }
    EXPECT_TRUE(AllClose(state, ref, 1e-5)) << "G " << G;
  }
}

TEST(Mamba2StateUpdateTest, AgreesWithSingleTokenChunkScan) {
  // The decode path and the prefill path are the same recurrence.
  std::mt19937 rng(30);
  const int64_t H = 4, P = 8, G = 2, N = 16;
  const auto x = RandomVector(H * P, rng);
  const auto dt = RandomVector(H, rng, 0.01f, 0.5f);
  const auto A = RandomVector(H, rng, -3.0f, -0.3f);
  const auto B = RandomVector(G * N, rng);
  const auto C = RandomVector(G * N, rng);
  const auto state0 = RandomVector(H * P * N, rng);
  std::vector<float> state_a = state0, state_b = state0, y_a(H * P), y_b(H * P);
  Mamba2StateUpdate(H, P, G, N, x.data(), dt.data(), A.data(), B.data(), C.data(), nullptr,
                    state_a.data(), y_a.data());
  const SsdShape shape{1, H, P, G, N, 256};
  Mamba2ChunkScan(shape, x.data(), H * P, dt.data(), H, A.data(), B.data(), G * N, C.data(), G * N,
                  nullptr, state_b.data(), y_b.data(), H * P, nullptr);
  EXPECT_TRUE(AllClose(y_a, y_b, 1e-6));
  EXPECT_TRUE(AllClose(state_a, state_b, 1e-6));
}

}  // namespace
}  // namespace hybridserve::kernels::cpu
