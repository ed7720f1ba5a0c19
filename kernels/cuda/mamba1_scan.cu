// Why: the Mamba1 selective scan (Jamba's SSM layers) for a whole step's batch in one launch:
// prefill chunks continuing from each sequence's slot state, and decode rows alike. Mamba1's A is
// per channel and per state entry, so there is no cheap chunked form: the scan is sequential
// over a sequence's tokens, and the parallelism is over sequences x channels x state entries.
// How: a channel's N state entries are split over a power-of-two group of lanes (4 entries per
// lane; N = 16 gives 4 lanes per channel), so a block of 128 threads scans 128 / lanes channels
// of one sequence. Each lane loads its entries of the slot's state once, runs the recurrence
// over the sequence's rows in order (prefetching the next row's inputs), and writes the entries
// back at the end. Per entry the arithmetic is the CPU op's, in its order (S = exp(A dt) S +
// (dt B) x, fp32, --fmad=false), so the state matches it to the ulp of expf; y = sum_n S C is a
// shuffle tree over the group instead of a running sum, then + D x.
#include <cuda_runtime.h>

#include <cstdint>

#include "base/check.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/ops.h"

namespace hybridserve::kernels::cuda {
namespace {

constexpr int kThreads = 128;
constexpr int kPerLane = 4;         // state entries per lane
constexpr int kMaxStateSize = 128;  // 32 lanes x 4 entries

struct Mamba1Args {
  int64_t inner, state_size;
  int lanes_per_channel;  // power of two, <= 32
  const float* x;
  int64_t x_stride;
  const float* dt;
  int64_t dt_stride;
  const float* A;
  const float* B;
  int64_t b_stride;
  const float* C;
  int64_t c_stride;
  const float* D;
  const int32_t* seq_row_begin;
  const int32_t* seq_slot;
  float* state;
  float* y;
  int64_t y_stride;
};

struct RowInputs {
  float dt, x, b[kPerLane], c[kPerLane];
};

__global__ void __launch_bounds__(kThreads) Mamba1ScanKernel(Mamba1Args args) {
  const int lanes = args.lanes_per_channel;
  const int64_t N = args.state_size;
  const int64_t channels_per_block = kThreads / lanes;
  const int64_t i_raw = blockIdx.x * channels_per_block + threadIdx.x / lanes;
  const bool active = i_raw < args.inner;             // whole lane groups are (in)active
  const int64_t i = active ? i_raw : args.inner - 1;  // inactive groups still shuffle
  const int sub = threadIdx.x % lanes;
  const int seq = blockIdx.y;
  const int64_t row_begin = args.seq_row_begin[seq];
  const int64_t row_end = args.seq_row_begin[seq + 1];
  if (row_end <= row_begin) return;  // block-uniform

  float* state = args.state + (static_cast<int64_t>(args.seq_slot[seq]) * args.inner + i) * N;
  float a[kPerLane], s[kPerLane];
  bool has[kPerLane];
#pragma unroll
  for (int e = 0; e < kPerLane; ++e) {
    const int64_t n = sub * kPerLane + e;
    has[e] = n < N;
    a[e] = has[e] ? args.A[i * N + n] : 0.0f;
    s[e] = has[e] ? state[n] : 0.0f;
  }
  const float d_i = args.D != nullptr ? args.D[i] : 0.0f;

  auto load = [&](int64_t row) {
    RowInputs in;
    in.dt = args.dt[row * args.dt_stride + i];
    in.x = args.x[row * args.x_stride + i];
#pragma unroll
    for (int e = 0; e < kPerLane; ++e) {
      const int64_t n = sub * kPerLane + e;
      in.b[e] = has[e] ? args.B[row * args.b_stride + n] : 0.0f;
      in.c[e] = has[e] ? args.C[row * args.c_stride + n] : 0.0f;
    }
    return in;
  };

  RowInputs next = load(row_begin);
  for (int64_t row = row_begin; row < row_end; ++row) {
    const RowInputs in = next;
    if (row + 1 < row_end) next = load(row + 1);
    float acc = 0.0f;
#pragma unroll
    for (int e = 0; e < kPerLane; ++e) {
      s[e] = expf(a[e] * in.dt) * s[e] + (in.dt * in.b[e]) * in.x;
      acc += s[e] * in.c[e];
    }
    for (int offset = lanes / 2; offset > 0; offset >>= 1) {
      acc += __shfl_xor_sync(0xffffffffu, acc, offset);
    }
    if (active && sub == 0) args.y[row * args.y_stride + i] = acc + in.x * d_i;
  }

  if (active) {
#pragma unroll
    for (int e = 0; e < kPerLane; ++e) {
      if (has[e]) state[sub * kPerLane + e] = s[e];
    }
  }
}

}  // namespace

void Mamba1Scan(int64_t inner, int64_t state_size, const float* x, int64_t x_stride,
                const float* dt, int64_t dt_stride, const float* A, const float* B,
                int64_t b_stride, const float* C, int64_t c_stride, const float* D,
                const BatchLayout& batch, float* state, float* y, int64_t y_stride,
                cudaStream_t stream) {
  HS_CHECK(state_size > 0 && state_size <= kMaxStateSize);
  if (batch.num_seqs <= 0 || inner <= 0) return;
  HS_CHECK(batch.num_seqs <= 65535);
  int lanes = 1;
  while (lanes * kPerLane < state_size) lanes *= 2;
  const Mamba1Args args{inner,
                        state_size,
                        lanes,
                        x,
                        x_stride,
                        dt,
                        dt_stride,
                        A,
                        B,
                        b_stride,
                        C,
                        c_stride,
                        D,
                        batch.seq_row_begin,
                        batch.seq_slot,
                        state,
                        y,
                        y_stride};
  const int64_t channels_per_block = kThreads / lanes;
  const dim3 grid(static_cast<unsigned>((inner + channels_per_block - 1) / channels_per_block),
                  static_cast<unsigned>(batch.num_seqs));
  Mamba1ScanKernel<<<grid, kThreads, 0, stream>>>(args);
  HS_CUDA_CHECK_LAUNCH();
}

}  // namespace hybridserve::kernels::cuda
