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

// PyTorch Conv1d(groups=C, padding=K-1) over the whole sequence [T, C], truncated to T outputs.
std::vector<double> ConvRef(const std::vector<float>& x, int64_t length, int64_t channels,
                            int64_t k_width, const std::vector<float>& w, const float* bias,
                            bool silu) {
  std::vector<double> out(length * channels);
  for (int64_t t = 0; t < length; ++t) {
    for (int64_t c = 0; c < channels; ++c) {
      double acc = bias != nullptr ? bias[c] : 0.0;
      for (int64_t k = 0; k < k_width; ++k) {
        const int64_t src = t - (k_width - 1) + k;  // zero padding on the left
        if (src >= 0) acc += double{w[c * k_width + k]} * x[src * channels + c];
      }
      out[t * channels + c] = silu ? acc / (1.0 + std::exp(-acc)) : acc;
    }
  }
  return out;
}

// Feeds x [length, C] in chunks through CausalConv1d (strided input and output rows) from a
// zero state; returns the outputs and leaves the final state in *state.
std::vector<float> RunChunks(const std::vector<float>& x, int64_t channels, int64_t k_width,
                             const std::vector<float>& w, const float* bias, bool silu,
                             const std::vector<int64_t>& chunks, std::vector<float>* state,
                             ThreadPool* pool) {
  const int64_t x_stride = channels + 3, out_stride = channels + 1;
  state->assign(channels * k_width, 0.0f);
  std::vector<float> out;
  int64_t start = 0;
  for (int64_t chunk : chunks) {
    std::vector<float> xc(chunk * x_stride, NAN), oc(chunk * out_stride);
    for (int64_t t = 0; t < chunk; ++t) {
      for (int64_t c = 0; c < channels; ++c) xc[t * x_stride + c] = x[(start + t) * channels + c];
    }
    CausalConv1d(xc.data(), x_stride, chunk, channels, k_width, w.data(), bias, silu, state->data(),
                 oc.data(), out_stride, pool);
    for (int64_t t = 0; t < chunk; ++t) {
      for (int64_t c = 0; c < channels; ++c) out.push_back(oc[t * out_stride + c]);
    }
    start += chunk;
  }
  return out;
}

TEST(CausalConv1dTest, PrefillMatchesPaddedConv) {
  std::mt19937 rng(12);
  ThreadPool pool(3);
  for (int64_t k_width : {1, 2, 4}) {
    for (int64_t length : {1, 3, 4, 37}) {
      for (bool silu : {false, true}) {
        const int64_t channels = 70;
        const auto x = RandomVector(length * channels, rng, -2.0f, 2.0f);
        const auto w = RandomVector(channels * k_width, rng);
        const auto b = RandomVector(channels, rng);
        const float* bias = silu ? b.data() : nullptr;
        const auto expected = ConvRef(x, length, channels, k_width, w, bias, silu);
        std::vector<float> state;
        const auto out = RunChunks(x, channels, k_width, w, bias, silu, {length}, &state, &pool);
        EXPECT_TRUE(AllClose(out, expected, 2e-6)) << "K " << k_width << " T " << length;
        // The state holds the last K inputs, oldest first, zero where the sequence is shorter.
        for (int64_t c = 0; c < channels; ++c) {
          for (int64_t k = 0; k < k_width; ++k) {
            const int64_t src = length - k_width + k;
            const float want = src >= 0 ? x[src * channels + c] : 0.0f;
            ASSERT_EQ(state[c * k_width + k], want) << "c " << c << " k " << k;
          }
        }
      }
    }
  }
}

TEST(CausalConv1dTest, ChunksAndDecodeStepsEqualOneLongPrefill) {
  std::mt19937 rng(13);
  ThreadPool pool(4);
  const int64_t channels = 33, k_width = 4, length = 29;
  const auto x = RandomVector(length * channels, rng, -2.0f, 2.0f);
  const auto w = RandomVector(channels * k_width, rng);
  const auto b = RandomVector(channels, rng);
  std::vector<float> whole_state;
  const auto whole =
      RunChunks(x, channels, k_width, w, b.data(), true, {length}, &whole_state, &pool);
  // Chunks shorter than K (which must shift old state in), longer ones, and T = 1 steps.
  for (const std::vector<int64_t>& chunks :
       {std::vector<int64_t>{1, 1, 1, 1, 1, 24}, std::vector<int64_t>{2, 3, 10, 1, 1, 12},
        std::vector<int64_t>{7, 1, 2, 1, 3, 1, 1, 13}}) {
    std::vector<float> state;
    const auto pieces = RunChunks(x, channels, k_width, w, b.data(), true, chunks, &state,
                                  chunks.size() % 2 == 0 ? &pool : nullptr);
    EXPECT_EQ(pieces, whole);  // same arithmetic per output, so bit-identical
    EXPECT_EQ(state, whole_state);
  }
}

}  // namespace
}  // namespace hybridserve::kernels::cpu
