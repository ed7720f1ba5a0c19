// Why: the SSM layers run a short causal depthwise convolution over time before the scan. With a
// carried window it serves a whole prefill, a prefill continued in chunks, and a decode step.
// How: position j < 0 of this call is read from the carried state (state[c, K + j]), so the
// window of token t is positions t-K+1..t taken from state or x. Channels are split over the
// pool; within a range each token row is processed across channels so x is read contiguously.
// The state of a channel is rewritten only after all its outputs are computed: the new state is
// positions T-K..T-1 (older ones still come from the old state when T < K).
#include <algorithm>

#include "base/check.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/scalar_math.h"

namespace hybridserve::kernels::cpu {

void CausalConv1d(const float* x, int64_t x_stride, int64_t num_tokens, int64_t channels,
                  int64_t kernel_width, const float* weight, const float* bias, bool apply_silu,
                  float* state, float* out, int64_t out_stride, ThreadPool* pool) {
  HS_CHECK(kernel_width > 0);
  if (num_tokens <= 0) return;
  const int64_t k_width = kernel_width;
  ParallelFor(
      pool, channels,
      [&](int64_t begin, int64_t end) {
        for (int64_t t = 0; t < num_tokens; ++t) {
          float* out_row = out + t * out_stride;
          for (int64_t c = begin; c < end; ++c) {
            const float* w = weight + c * k_width;
            const float* s = state + c * k_width;
            float acc = 0.0f;
            for (int64_t k = 0; k < k_width; ++k) {
              const int64_t position = t - (k_width - 1) + k;
              const float input = position < 0 ? s[k_width + position] : x[position * x_stride + c];
              acc += w[k] * input;
            }
            if (bias != nullptr) acc += bias[c];
            out_row[c] = apply_silu ? Silu(acc) : acc;
          }
        }
        // New state: positions T-K .. T-1. Reading old index T + k before writing index k is
        // safe in increasing k because T + k > k.
        for (int64_t c = begin; c < end; ++c) {
          float* s = state + c * k_width;
          for (int64_t k = 0; k < k_width; ++k) {
            const int64_t position = num_tokens - k_width + k;
            s[k] = position < 0 ? s[k_width + position] : x[position * x_stride + c];
          }
        }
      },
      GrainFor(num_tokens * k_width));
}

}  // namespace hybridserve::kernels::cpu
