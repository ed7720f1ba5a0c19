// Why: decode attention is bound by reading the KV cache, so its figure of merit is the fraction of
// HBM bandwidth it reaches; a prefill chunk is bound by arithmetic. This times the CUDA
// PagedAttention on the Nemotron-H-8B head shape (32 query heads, 8 kv heads, head_dim 128; or
// another with --heads NQ/NKV, e.g. 8/2 for Falcon-H1-1.5B) with a bf16 cache of 16-token blocks.
//
// How: for each case it builds a paged pool with shuffled block ids filled with random bf16
// values, runs the op a few times to warm up, then times 50 launches with CUDA events and prints
// one line: decode cases report the KV bytes read per second (and the share of the H200's
// 4300 GB/s), with and without split-K scratch; the prefill cases (one 4096-token chunk from
// position 0, causal, at head_dim 128 and 64 with 32 query / 8 kv heads) report TFLOP/s counting
// 4 * heads * head_dim flops per (query, key) pair.
// Flags: --heads NQ/NKV; --decode-only 1 (skip the no-split and prefill cases); --min-split-keys
// 64,128,... (decode with split-k at each shortest key partition of the decode kernel).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "kernels/cuda/attention_decode.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/ops.h"

namespace hybridserve::kernels::cuda {
namespace {

int g_num_heads = 32;
int g_num_kv_heads = 8;
constexpr int kHeadDim = 128;  // decode cases; prefill also times 64
constexpr int kBlockSize = 16;
constexpr int kWarmup = 5;
constexpr int kIterations = 50;
constexpr double kPeakGBps = 4300.0;

template <typename T>
class DeviceArray {
 public:
  explicit DeviceArray(size_t n) : n_(n) {
    if (n_ > 0) HS_CUDA_CHECK(cudaMalloc(&data_, n_ * sizeof(T)));
  }
  explicit DeviceArray(const std::vector<T>& host) : DeviceArray(host.size()) {
    if (n_ > 0) {
      HS_CUDA_CHECK(cudaMemcpy(data_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice));
    }
  }
  ~DeviceArray() {
    if (data_ != nullptr) cudaFree(data_);
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  T* get() const { return data_; }

 private:
  T* data_ = nullptr;
  size_t n_ = 0;
};

// Fills bytes of device memory with random bf16 values in [-1, 1] (a 64 MiB pattern, repeated).
void FillRandomBf16(void* device, size_t bytes, uint32_t seed) {
  const size_t pattern_elements = std::min<size_t>(bytes / 2, size_t{32} << 20);
  std::vector<uint16_t> pattern(pattern_elements);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (uint16_t& bits : pattern) {
    const float x = dist(rng);
    uint32_t u;
    std::memcpy(&u, &x, 4);
    bits = static_cast<uint16_t>(u >> 16);
  }
  uint8_t* dst = static_cast<uint8_t*>(device);
  for (size_t done = 0; done < bytes;) {
    const size_t n = std::min(bytes - done, pattern.size() * 2);
    HS_CUDA_CHECK(cudaMemcpy(dst + done, pattern.data(), n, cudaMemcpyHostToDevice));
    done += n;
  }
}

// Builds a batch of num_seqs sequences, each with `rows` rows this step after `start_pos` cached
// tokens, over a pool with shuffled blocks; returns the mean time of one PagedAttention call.
double TimeAttention(int num_seqs, int start_pos, int rows, bool with_scratch,
                     int head_dim = kHeadDim) {
  const int context = start_pos + rows;
  const int blocks_per_seq = (context + kBlockSize - 1) / kBlockSize;
  const int num_blocks = num_seqs * blocks_per_seq;
  const int num_tokens = num_seqs * rows;

  std::vector<int32_t> ids(num_blocks);
  std::iota(ids.begin(), ids.end(), 0);
  std::shuffle(ids.begin(), ids.end(), std::mt19937(7));
  std::vector<int32_t> row_begin(num_seqs + 1), starts(num_seqs, start_pos), token_seq, slots;
  for (int s = 0; s <= num_seqs; ++s) row_begin[s] = s * rows;
  for (int s = 0; s < num_seqs; ++s) {
    slots.push_back(s);
    for (int r = 0; r < rows; ++r) token_seq.push_back(s);
  }
  DeviceArray<int32_t> d_row_begin(row_begin), d_starts(starts), d_token_seq(token_seq),
      d_slots(slots), d_tables(ids);
  BatchLayout batch;
  batch.num_seqs = num_seqs;
  batch.num_tokens = num_tokens;
  batch.max_seq_tokens = rows;
  batch.seq_row_begin = d_row_begin.get();
  batch.seq_start_pos = d_starts.get();
  batch.token_seq = d_token_seq.get();
  batch.seq_slot = d_slots.get();
  batch.block_tables = d_tables.get();
  batch.max_blocks = blocks_per_seq;
  batch.max_context = context;

  const size_t pool_bytes =
      static_cast<size_t>(num_blocks) * kBlockSize * g_num_kv_heads * head_dim * 2;
  DeviceArray<uint8_t> keys(pool_bytes), values(pool_bytes);
  FillRandomBf16(keys.get(), pool_bytes, 1);
  FillRandomBf16(values.get(), pool_bytes, 2);
  PagedKvCache kv;
  kv.keys = keys.get();
  kv.values = values.get();
  kv.dtype = DType::kBF16;
  kv.block_size = kBlockSize;
  kv.num_kv_heads = g_num_kv_heads;
  kv.head_dim = head_dim;

  const int64_t width = int64_t{g_num_heads} * head_dim;
  std::vector<float> q_host(static_cast<size_t>(num_tokens) * width);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& x : q_host) x = dist(rng);
  DeviceArray<float> q(q_host), out(static_cast<size_t>(num_tokens) * width);
  DeviceArray<uint8_t> scratch(
      with_scratch ? static_cast<size_t>(PagedAttentionScratchBytes(g_num_heads, head_dim)) : 0);
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));

  cudaStream_t stream;
  HS_CUDA_CHECK(cudaStreamCreate(&stream));
  auto run = [&] {
    if (with_scratch) {
      PagedAttention(q.get(), width, g_num_heads, scale, batch, kv, out.get(), width, scratch.get(),
                     stream);
    } else {
      PagedAttention(q.get(), width, g_num_heads, scale, batch, kv, out.get(), width, stream);
    }
  };
  for (int i = 0; i < kWarmup; ++i) run();
  cudaEvent_t begin, end;
  HS_CUDA_CHECK(cudaEventCreate(&begin));
  HS_CUDA_CHECK(cudaEventCreate(&end));
  HS_CUDA_CHECK(cudaEventRecord(begin, stream));
  for (int i = 0; i < kIterations; ++i) run();
  HS_CUDA_CHECK(cudaEventRecord(end, stream));
  HS_CUDA_CHECK(cudaEventSynchronize(end));
  float ms = 0.0f;
  HS_CUDA_CHECK(cudaEventElapsedTime(&ms, begin, end));
  HS_CUDA_CHECK(cudaEventDestroy(begin));
  HS_CUDA_CHECK(cudaEventDestroy(end));
  HS_CUDA_CHECK(cudaStreamDestroy(stream));
  return ms / kIterations;
}

std::vector<int> ParseList(const std::string& text) {
  std::vector<int> out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t comma = text.find(',', start);
    out.push_back(std::stoi(text.substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int Main(int argc, char** argv) {
  bool decode_only = false;
  std::vector<int> min_split_keys = {0};  // 0: the library's default
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--heads") {
      const size_t slash = value.find('/');
      g_num_heads = std::stoi(value.substr(0, slash));
      g_num_kv_heads = std::stoi(value.substr(slash + 1));
    } else if (flag == "--decode-only") {
      decode_only = value != "0";
    } else if (flag == "--min-split-keys") {
      min_split_keys = ParseList(value);
    } else {
      std::fprintf(stderr, "unknown flag %s (see the comment at the top of the source)\n",
                   flag.c_str());
      return 2;
    }
  }
  cudaDeviceProp prop;
  HS_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf(
      "device: %s, %d SMs; PagedAttention, %d q heads / %d kv heads / head_dim %d, "
      "bf16 KV, block_size %d, %d iterations\n",
      prop.name, prop.multiProcessorCount, g_num_heads, g_num_kv_heads, kHeadDim, kBlockSize,
      kIterations);
  for (int context : {1024, 8192}) {
    for (int batch : {1, 16, 64, 256}) {
      for (bool with_scratch : {true, false}) {
        if (!with_scratch && decode_only) continue;
        for (int min_keys : min_split_keys) {
          if (min_keys > 0) SetDecodeAttentionMinSplitKeys(min_keys);
          const double ms = TimeAttention(batch, context - 1, 1, with_scratch);
          const double bytes = 2.0 * batch * context * g_num_kv_heads * kHeadDim * 2.0;  // K and V
          const double gbps = bytes / (ms * 1e-3) / 1e9;
          std::printf(
              "decode  batch %3d  context %5d  %-9s %4d  %9.1f us  %7.1f GB/s  %5.1f%% of %.0f\n",
              batch, context, with_scratch ? "split-k" : "no-split", min_keys, ms * 1e3, gbps,
              100.0 * gbps / kPeakGBps, kPeakGBps);
          if (!with_scratch) break;
        }
      }
    }
  }
  if (decode_only) return 0;
  const int chunk = 4096;
  for (int head_dim : {128, 64}) {
    const double ms =
        TimeAttention(/*num_seqs=*/1, /*start_pos=*/0, chunk, /*with_scratch=*/true, head_dim);
    const double pairs = 0.5 * chunk * (chunk + 1.0);  // causal (query, key) pairs
    const double flops = 4.0 * g_num_heads * head_dim * pairs;
    std::printf("prefill chunk %d tokens from position 0  head_dim %3d  %9.1f us  %7.2f TFLOP/s\n",
                chunk, head_dim, ms * 1e3, flops / (ms * 1e-3) / 1e12);
  }
  return 0;
}

}  // namespace
}  // namespace hybridserve::kernels::cuda

int main(int argc, char** argv) { return hybridserve::kernels::cuda::Main(argc, argv); }
