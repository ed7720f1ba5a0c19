// Timings of the heaviest CPU reference ops at modest shapes: Linear as a decode GEMV and a
// prefill GEMM, the chunked Mamba2 scan, and paged attention for a prefill chunk and a decode
// step. Run: ./cpu_ops_bench [--benchmark_filter=...].
#include <benchmark/benchmark.h>

#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/cpu/ops.h"
#include "kernels/cpu/thread_pool.h"

namespace hybridserve::kernels::cpu {
namespace {

std::vector<float> Random(int64_t n, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(static_cast<uint32_t>(n));
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Args: tokens, in_dim, out_dim.
void BM_Linear(benchmark::State& state) {
  const int64_t tokens = state.range(0), in_dim = state.range(1), out_dim = state.range(2);
  const auto x = Random(tokens * in_dim);
  const auto w = Random(out_dim * in_dim);
  std::vector<float> out(tokens * out_dim);
  for (auto _ : state) {
    Linear(x.data(), in_dim, w.data(), nullptr, tokens, in_dim, out_dim, out.data(), out_dim);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * tokens * in_dim * out_dim,
                                                 benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(BM_Linear)->Args({1, 1024, 4096})->Args({512, 1024, 4096})->UseRealTime();

// Args: tokens. Shape of a small Mamba2 layer: H = 32, P = 64, G = 1, N = 128, Q = 256.
void BM_Mamba2ChunkScan(benchmark::State& state) {
  const SsdShape shape{state.range(0), 32, 64, 1, 128, 256};
  const int64_t T = shape.num_tokens, HP = shape.num_heads * shape.head_dim;
  const int64_t GN = shape.num_groups * shape.state_size;
  const auto x = Random(T * HP);
  const auto dt = Random(T * shape.num_heads, 0.01f, 0.1f);
  const auto A = Random(shape.num_heads, -2.0f, -0.5f);
  const auto B = Random(T * GN);
  const auto C = Random(T * GN);
  const auto D = Random(shape.num_heads);
  std::vector<float> ssm_state(HP * shape.state_size, 0.0f), y(T * HP);
  ThreadPool pool(0);
  for (auto _ : state) {
    Mamba2ChunkScan(shape, x.data(), HP, dt.data(), shape.num_heads, A.data(), B.data(), GN,
                    C.data(), GN, D.data(), ssm_state.data(), y.data(), HP, &pool);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * T);
}
BENCHMARK(BM_Mamba2ChunkScan)->Arg(256)->Arg(1024)->UseRealTime();

// Args: new tokens, context before them. 16 query heads, 4 kv heads, head_dim 128, blocks of 16.
void BM_PagedAttention(benchmark::State& state) {
  const int64_t T = state.range(0), start = state.range(1);
  const int64_t nq = 16, nkv = 4, hd = 128, block_size = 16;
  const int64_t total = start + T, num_blocks = (total + block_size - 1) / block_size;
  std::vector<float> keys(num_blocks * block_size * nkv * hd), values(keys.size());
  std::vector<int32_t> table(num_blocks);
  std::iota(table.rbegin(), table.rend(), 0);
  PagedKv kv{keys.data(), values.data(), block_size, table.data()};
  const auto k_all = Random(total * nkv * hd);
  const auto v_all = Random(total * nkv * hd);
  WriteKv(k_all.data(), nkv * hd, v_all.data(), nkv * hd, total, 0, nkv, hd, kv);
  const auto q = Random(T * nq * hd);
  std::vector<float> out(T * nq * hd);
  ThreadPool pool(0);
  for (auto _ : state) {
    PagedAttention(q.data(), nq * hd, T, start, nq, nkv, hd, 0.088f, kv, out.data(), nq * hd,
                   &pool);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * T);
}
BENCHMARK(BM_PagedAttention)->Args({256, 0})->Args({1, 2048})->UseRealTime();

}  // namespace
}  // namespace hybridserve::kernels::cpu

BENCHMARK_MAIN();
