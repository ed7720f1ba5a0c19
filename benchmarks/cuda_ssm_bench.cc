// GPU benchmark of the state-space ops (kernels/cuda/ops.h) at Nemotron-H-8B's Mamba2 shape
// (H = 128, P = 64, N = 128, G = 8, conv C = 10240, K = 4, chunk 128) and Jamba-mini's Mamba1
// shape (I = 8192, N = 16). One line per case: the mean time over timed runs after warm-up
// (cudaEvent timing on one stream), and the case's throughput:
//   Mamba2StateUpdate   state bytes read + written per second, and % of the H200's 4300 GB/s
//   Mamba2ChunkScan     tokens/s and GFLOP/s of the chunked algorithm's useful products, for
//                       both precisions (exact: fp32 cores; tf32: tensor cores)
//   CausalConv1d        tokens/s and GB/s of x read + out written
//   Mamba1Scan          tokens/s
// Usage: cuda_ssm_bench [--iters N]  (default 20)
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/cpu/ops.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/ops.h"

namespace hybridserve::kernels::cuda {
namespace {

constexpr double kPeakBandwidthGBs = 4300.0;  // H200 HBM3e, as the brief's reference

// A device array filled with uniform random values in [lo, hi].
class Buffer {
 public:
  Buffer(int64_t n, float lo, float hi, uint32_t seed) : n_(n) {
    HS_CUDA_CHECK(cudaMalloc(&data_, std::max<int64_t>(n, 1) * sizeof(float)));
    std::vector<float> host(n);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    for (float& v : host) v = dist(rng);
    HS_CUDA_CHECK(cudaMemcpy(data_, host.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  }
  explicit Buffer(int64_t n) : n_(n) {
    HS_CUDA_CHECK(cudaMalloc(&data_, std::max<int64_t>(n, 1) * sizeof(float)));
    HS_CUDA_CHECK(cudaMemset(data_, 0, n * sizeof(float)));
  }
  ~Buffer() { cudaFree(data_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  float* get() const { return data_; }

 private:
  float* data_ = nullptr;
  int64_t n_;
};

template <typename T>
T* DeviceCopy(const std::vector<T>& host) {
  T* data = nullptr;
  HS_CUDA_CHECK(cudaMalloc(&data, std::max<size_t>(host.size(), 1) * sizeof(T)));
  HS_CUDA_CHECK(cudaMemcpy(data, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
  return data;
}

// Mean milliseconds of fn() over iters runs after warm-up runs, timed with events on stream.
double TimeMs(cudaStream_t stream, int iters, const std::function<void()>& fn) {
  for (int i = 0; i < 3; ++i) fn();
  HS_CUDA_CHECK(cudaStreamSynchronize(stream));
  cudaEvent_t start, stop;
  HS_CUDA_CHECK(cudaEventCreate(&start));
  HS_CUDA_CHECK(cudaEventCreate(&stop));
  HS_CUDA_CHECK(cudaEventRecord(start, stream));
  for (int i = 0; i < iters; ++i) fn();
  HS_CUDA_CHECK(cudaEventRecord(stop, stream));
  HS_CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0.0f;
  HS_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  HS_CUDA_CHECK(cudaEventDestroy(start));
  HS_CUDA_CHECK(cudaEventDestroy(stop));
  return ms / iters;
}

// Nemotron-H-8B's Mamba2 mixer.
constexpr int64_t kHeads = 128, kHeadDim = 64, kState = 128, kGroups = 8, kChunk = 128;
constexpr int64_t kInner = kHeads * kHeadDim;
constexpr int64_t kConvChannels = kInner + 2 * kGroups * kState;  // xBC rows
constexpr int64_t kConvWidth = 4;

// A step of num_seqs sequences of rows_each rows, slots 0..num_seqs-1 in a shuffled order.
struct Batch {
  Batch(int32_t num_seqs, int32_t rows_each) {
    std::vector<int32_t> begin(num_seqs + 1), start(num_seqs, 0), slots(num_seqs), token_seq;
    for (int32_t s = 0; s <= num_seqs; ++s) begin[s] = s * rows_each;
    std::iota(slots.begin(), slots.end(), 0);
    std::shuffle(slots.begin(), slots.end(), std::mt19937(7));
    for (int32_t s = 0; s < num_seqs; ++s) token_seq.insert(token_seq.end(), rows_each, s);
    layout.num_seqs = num_seqs;
    layout.num_tokens = num_seqs * rows_each;
    layout.max_seq_tokens = rows_each;
    layout.seq_row_begin = begin_ = DeviceCopy(begin);
    layout.seq_start_pos = start_ = DeviceCopy(start);
    layout.token_seq = token_seq_ = DeviceCopy(token_seq);
    layout.seq_slot = slots_ = DeviceCopy(slots);
  }
  ~Batch() {
    cudaFree(begin_);
    cudaFree(start_);
    cudaFree(token_seq_);
    cudaFree(slots_);
  }
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;
  BatchLayout layout;
  int32_t *begin_, *start_, *token_seq_, *slots_;
};

void BenchStateUpdate(cudaStream_t stream, int iters, int64_t rows) {
  const int64_t row = kConvChannels;  // x, B, C side by side, as after the conv
  // Runs rotate over sets of slots covering at least 64 slots (256 MiB of state), so a small
  // batch's state is not still in the 50 MiB L2 from the previous run (a decode step touches
  // each layer's state once).
  const int64_t num_sets = std::max<int64_t>(1, (64 + rows - 1) / rows);
  const int64_t num_slots = rows * num_sets;
  Buffer xbc(rows * row, -1.0f, 1.0f, 1), dt(rows * kHeads, 0.01f, 0.5f, 2);
  Buffer A(kHeads, -8.0f, -0.5f, 3), D(kHeads, -1.0f, 1.0f, 4);
  Buffer state(num_slots * kHeads * kHeadDim * kState, -1.0f, 1.0f, 5), y(rows * kInner);
  std::vector<int32_t> slots(num_slots);
  std::iota(slots.begin(), slots.end(), 0);
  std::shuffle(slots.begin(), slots.end(), std::mt19937(9));
  int32_t* d_slots = DeviceCopy(slots);
  int64_t run = 0;
  const double ms = TimeMs(stream, iters, [&] {
    const int32_t* set = d_slots + (run++ % num_sets) * rows;
    Mamba2StateUpdate(rows, kHeads, kHeadDim, kGroups, kState, xbc.get(), row, dt.get(), kHeads,
                      A.get(), xbc.get() + kInner, row, xbc.get() + kInner + kGroups * kState, row,
                      D.get(), set, state.get(), y.get(), kInner, stream);
  });
  HS_CUDA_CHECK(cudaFree(d_slots));
  const double bytes = 2.0 * rows * kHeads * kHeadDim * kState * sizeof(float);
  const double gbs = bytes / (ms * 1e-3) / 1e9;
  std::printf(
      "Mamba2StateUpdate  batch=%-5lld H=%lld P=%lld N=%lld  %9.4f ms  %8.1f GB/s  "
      "(%5.1f%% of %.0f GB/s)\n",
      static_cast<long long>(rows), static_cast<long long>(kHeads),
      static_cast<long long>(kHeadDim), static_cast<long long>(kState), ms, gbs,
      100.0 * gbs / kPeakBandwidthGBs, kPeakBandwidthGBs);
}

// The useful multiply-adds of the chunked algorithm, x2: C B^T and the intra-chunk product on
// the causal triangle, the chunk states and the carried-state outputs in full.
double ChunkScanFlops(int64_t tokens) {
  double flops = 0.0;
  for (int64_t t0 = 0; t0 < tokens; t0 += kChunk) {
    const double q = std::min(kChunk, tokens - t0);
    const double tri = q * (q + 1) / 2;
    flops += 2.0 * kGroups * tri * kState;          // CB
    flops += 2.0 * kHeads * tri * kHeadDim;         // intra-chunk outputs
    flops += 2.0 * kHeads * q * kHeadDim * kState;  // chunk states
    flops += 2.0 * kHeads * q * kState * kHeadDim;  // carried-state outputs
  }
  return flops;
}

void BenchChunkScan(cudaStream_t stream, int iters, int64_t tokens, ScanPrecision precision) {
  const int64_t row = kConvChannels;
  const cpu::SsdShape shape{tokens, kHeads, kHeadDim, kGroups, kState, kChunk};
  Buffer xbc(tokens * row, -1.0f, 1.0f, 1), dt(tokens * kHeads, 0.01f, 0.5f, 2);
  Buffer A(kHeads, -8.0f, -0.5f, 3), D(kHeads, -1.0f, 1.0f, 4);
  Buffer state(kHeads * kHeadDim * kState, -1.0f, 1.0f, 5), y(tokens * kInner);
  Buffer scratch(Mamba2ChunkScanScratchFloats(shape));
  const double ms = TimeMs(stream, iters, [&] {
    Mamba2ChunkScan(shape, xbc.get(), row, dt.get(), kHeads, A.get(), xbc.get() + kInner, row,
                    xbc.get() + kInner + kGroups * kState, row, D.get(), state.get(), y.get(),
                    kInner, scratch.get(), stream, precision);
  });
  std::printf(
      "Mamba2ChunkScan    %-6s tokens=%-6lld H=%lld P=%lld N=%lld G=%lld chunk=%lld  %9.4f ms  "
      "%11.0f tokens/s  %8.1f GFLOP/s\n",
      precision == ScanPrecision::kExact ? "exact" : "tf32", static_cast<long long>(tokens),
      static_cast<long long>(kHeads), static_cast<long long>(kHeadDim),
      static_cast<long long>(kState), static_cast<long long>(kGroups),
      static_cast<long long>(kChunk), ms, tokens / (ms * 1e-3),
      ChunkScanFlops(tokens) / (ms * 1e-3) / 1e9);
}

void BenchConv(cudaStream_t stream, int iters, int64_t tokens) {
  const Batch batch(1, static_cast<int32_t>(tokens));
  Buffer x(tokens * kConvChannels, -1.0f, 1.0f, 1), out(tokens * kConvChannels);
  Buffer weight(kConvChannels * kConvWidth, -0.5f, 0.5f, 2), bias(kConvChannels, -1.0f, 1.0f, 3);
  Buffer conv_state(kConvChannels * kConvWidth, -1.0f, 1.0f, 4);
  const double ms = TimeMs(stream, iters, [&] {
    CausalConv1d(x.get(), kConvChannels, kConvChannels, kConvWidth, weight.get(), bias.get(),
                 /*apply_silu=*/true, batch.layout, conv_state.get(), out.get(), kConvChannels,
                 stream);
  });
  const double bytes = 2.0 * tokens * kConvChannels * sizeof(float);
  std::printf(
      "CausalConv1d       tokens=%-6lld C=%lld K=%lld (prefill)  %9.4f ms  %11.0f tokens/s  "
      "%8.1f GB/s (x + out)\n",
      static_cast<long long>(tokens), static_cast<long long>(kConvChannels),
      static_cast<long long>(kConvWidth), ms, tokens / (ms * 1e-3), bytes / (ms * 1e-3) / 1e9);
}

void BenchMamba1(cudaStream_t stream, int iters, int64_t tokens) {
  constexpr int64_t kMamba1Inner = 8192, kMamba1State = 16, kRank = 256;
  const int64_t bc_row = kRank + 2 * kMamba1State;
  const Batch batch(1, static_cast<int32_t>(tokens));
  Buffer x(tokens * kMamba1Inner, -1.0f, 1.0f, 1), dt(tokens * kMamba1Inner, 0.01f, 0.5f, 2);
  Buffer bc(tokens * bc_row, -1.0f, 1.0f, 3), A(kMamba1Inner * kMamba1State, -16.0f, -1.0f, 4);
  Buffer D(kMamba1Inner, -1.0f, 1.0f, 5), y(tokens * kMamba1Inner);
  Buffer state(kMamba1Inner * kMamba1State, -1.0f, 1.0f, 6);
  const double ms = TimeMs(stream, iters, [&] {
    Mamba1Scan(kMamba1Inner, kMamba1State, x.get(), kMamba1Inner, dt.get(), kMamba1Inner, A.get(),
               bc.get() + kRank, bc_row, bc.get() + kRank + kMamba1State, bc_row, D.get(),
               batch.layout, state.get(), y.get(), kMamba1Inner, stream);
  });
  std::printf(
      "Mamba1Scan         tokens=%-6lld I=%lld N=%lld (one sequence)  %9.4f ms  "
      "%11.0f tokens/s\n",
      static_cast<long long>(tokens), static_cast<long long>(kMamba1Inner),
      static_cast<long long>(kMamba1State), ms, tokens / (ms * 1e-3));
}

}  // namespace
}  // namespace hybridserve::kernels::cuda

int main(int argc, char** argv) {
  using namespace hybridserve::kernels::cuda;
  int iters = 20;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--iters") == 0 && i + 1 < argc) {
      iters = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--iters N]\n", argv[0]);
      return 2;
    }
  }
  cudaDeviceProp prop;
  HS_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s (%d SMs), %d timed runs per case after 3 warm-up runs\n", prop.name,
              prop.multiProcessorCount, iters);
  cudaStream_t stream;
  HS_CUDA_CHECK(cudaStreamCreate(&stream));
  for (int64_t rows : {1, 16, 64, 256}) BenchStateUpdate(stream, iters, rows);
  for (ScanPrecision precision : {ScanPrecision::kExact, ScanPrecision::kTensorCore}) {
    for (int64_t tokens : {512, 4096, 32768}) BenchChunkScan(stream, iters, tokens, precision);
  }
  BenchConv(stream, iters, 4096);
  BenchMamba1(stream, iters, 4096);
  HS_CUDA_CHECK(cudaStreamDestroy(stream));
  return 0;
}
