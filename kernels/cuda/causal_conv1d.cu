// Why: the SSM layers' short causal depthwise convolution over time, for a whole step's batch in
// one launch: prefill chunks of any length (continuing from the slot's carried window) and decode
// rows alike, as cpu::CausalConv1d applied to each sequence with its slot's window.
// How: one thread per (sequence, channel, tile of kTileTokens rows). The thread keeps the K-wide
// window in registers and slides it along its tile, reading x row by row (coalesced across the
// channels of a block). Window positions before the sequence's first row of this step come from
// the slot's state (oldest at k = 0), and only tile 0 of a sequence reads them, so tile 0 alone
// rewrites the state (with the last K inputs, taken from x and, when T < K, from the old state it
// already holds) after its reads: no other thread touches that slot's row. The arithmetic is the
// CPU op's, in its order (fp32, --fmad=false), so the outputs match it to the ulp of expf.
#include <cuda_runtime.h>

#include <cstdint>

#include "base/check.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/ops.h"

namespace hybridserve::kernels::cuda {
namespace {

constexpr int kThreads = 128;    // channels per block
constexpr int kTileTokens = 64;  // rows of one sequence per thread
constexpr int kMaxKernelWidth = 8;

template <int kK>
__global__ void CausalConv1dKernel(const float* __restrict__ x, int64_t x_stride, int64_t channels,
                                   const float* __restrict__ weight, const float* __restrict__ bias,
                                   bool apply_silu, const int32_t* __restrict__ seq_row_begin,
                                   const int32_t* __restrict__ seq_slot,
                                   float* __restrict__ conv_state, float* __restrict__ out,
                                   int64_t out_stride) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  const int seq = blockIdx.y;
  // The batch layout was uploaded before the step, and the weights and this layer's conv states
  // are read by no other kernel of it: loaded before waiting for the kernel before (a chained
  // launch). Only the inputs x wait.
  const int64_t row_begin = seq_row_begin[seq];
  const int64_t num_tokens = seq_row_begin[seq + 1] - row_begin;
  const int64_t t_begin = static_cast<int64_t>(blockIdx.z) * kTileTokens;
  const bool active = c < channels && t_begin < num_tokens;
  float* state = conv_state + (static_cast<int64_t>(seq_slot[seq]) * channels + c) * kK;
  float w[kK];
  float old_state[kK] = {};  // read by tile 0 only (the only tile whose window reaches it)
  float b = 0.0f;
  if (active) {
#pragma unroll
    for (int k = 0; k < kK; ++k) w[k] = weight[c * kK + k];
    if (t_begin == 0) {
#pragma unroll
      for (int k = 0; k < kK; ++k) old_state[k] = state[k];
    }
    if (bias != nullptr) b = bias[c];
  }
  WaitForPriorGrid();
  AllowDependentGrids();
  if (!active) return;
  const int64_t t_end = min(num_tokens, t_begin + kTileTokens);
  const float* xs = x + row_begin * x_stride + c;  // x of this sequence's row 0, channel c

  // window[k] = input at position t - (K - 1) + k; position < 0 reads state[K + position].
  float window[kK];
#pragma unroll
  for (int k = 0; k < kK - 1; ++k) {
    const int64_t position = t_begin - (kK - 1) + k;  // in slot k + 1 until the first shift
    window[k + 1] = position < 0 ? old_state[kK + position] : xs[position * x_stride];
  }
  for (int64_t t = t_begin; t < t_end; ++t) {
#pragma unroll
    for (int k = 0; k < kK - 1; ++k) window[k] = window[k + 1];
    window[kK - 1] = xs[t * x_stride];
    float acc = 0.0f;
#pragma unroll
    for (int k = 0; k < kK; ++k) acc += w[k] * window[k];
    if (bias != nullptr) acc += b;
    out[(row_begin + t) * out_stride + c] = apply_silu ? acc / (1.0f + expf(-acc)) : acc;
  }

  if (t_begin == 0) {
    // New window: positions T-K .. T-1 (older ones from the old state when T < K).
#pragma unroll
    for (int k = 0; k < kK; ++k) {
      const int64_t position = num_tokens - kK + k;
      state[k] = position < 0 ? old_state[kK + position] : xs[position * x_stride];
    }
  }
}

template <int kK>
void Launch(const float* x, int64_t x_stride, int64_t channels, const float* weight,
            const float* bias, bool apply_silu, const BatchLayout& batch, float* conv_state,
            float* out, int64_t out_stride, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((channels + kThreads - 1) / kThreads),
                  static_cast<unsigned>(batch.num_seqs),
                  static_cast<unsigned>((batch.max_seq_tokens + kTileTokens - 1) / kTileTokens));
  LaunchChained(CausalConv1dKernel<kK>, dim3(grid), dim3(kThreads), 0, stream, x, x_stride,
                channels, weight, bias, apply_silu, batch.seq_row_begin, batch.seq_slot, conv_state,
                out, out_stride);
  HS_CUDA_CHECK_LAUNCH();
}

}  // namespace

void CausalConv1d(const float* x, int64_t x_stride, int64_t channels, int64_t kernel_width,
                  const float* weight, const float* bias, bool apply_silu, const BatchLayout& batch,
                  float* conv_state, float* out, int64_t out_stride, cudaStream_t stream) {
  HS_CHECK(kernel_width >= 1 && kernel_width <= kMaxKernelWidth);
  HS_CHECK(x != out);
  if (batch.num_seqs <= 0 || batch.max_seq_tokens <= 0 || channels <= 0) return;
  HS_CHECK(batch.num_seqs <= 65535);
  HS_CHECK((batch.max_seq_tokens + kTileTokens - 1) / kTileTokens <= 65535);
  switch (kernel_width) {
#define HS_CONV_CASE(k)                                                                            \
  case k:                                                                                          \
    Launch<k>(x, x_stride, channels, weight, bias, apply_silu, batch, conv_state, out, out_stride, \
              stream);                                                                             \
    break;
    HS_CONV_CASE(1)
    HS_CONV_CASE(2)
    HS_CONV_CASE(3)
    HS_CONV_CASE(4)
    HS_CONV_CASE(5)
    HS_CONV_CASE(6)
    HS_CONV_CASE(7)
    HS_CONV_CASE(8)
#undef HS_CONV_CASE
  }
}

}  // namespace hybridserve::kernels::cuda
