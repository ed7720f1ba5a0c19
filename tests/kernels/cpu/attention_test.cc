#include <algorithm>
#include <cmath>
#include <numeric>
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

// Dense causal GQA attention in double over the whole sequence: q, k, v are contiguous
// [L, heads, head_dim]; returns [L, nq * head_dim].
std::vector<double> AttentionRef(const std::vector<float>& q, const std::vector<float>& k,
                                 const std::vector<float>& v, int64_t length, int64_t nq,
                                 int64_t nkv, int64_t head_dim, double scale) {
  std::vector<double> out(length * nq * head_dim, 0.0);
  for (int64_t t = 0; t < length; ++t) {
    for (int64_t h = 0; h < nq; ++h) {
      const int64_t j = h / (nq / nkv);
      std::vector<double> s(t + 1);
      for (int64_t p = 0; p <= t; ++p) {
        double dot = 0.0;
        for (int64_t d = 0; d < head_dim; ++d) {
          dot += double{q[(t * nq + h) * head_dim + d]} * k[(p * nkv + j) * head_dim + d];
        }
        s[p] = dot * scale;
      }
      const double m = *std::max_element(s.begin(), s.end());
      double sum = 0.0;
      for (double& x : s) sum += (x = std::exp(x - m));
      for (int64_t p = 0; p <= t; ++p) {
        for (int64_t d = 0; d < head_dim; ++d) {
          out[(t * nq + h) * head_dim + d] += s[p] / sum * v[(p * nkv + j) * head_dim + d];
        }
      }
    }
  }
  return out;
}

struct Setup {
  int64_t nq, nkv, head_dim, block_size, length;
};

// Runs the sequence through WriteKv + PagedAttention in chunks of the given sizes, with a
// shuffled block table, and compares every output row with the dense reference.
void RunChunked(const Setup& s, const std::vector<int64_t>& chunks, ThreadPool* pool,
                uint32_t seed) {
  std::mt19937 rng(seed);
  const int64_t q_width = s.nq * s.head_dim, kv_width = s.nkv * s.head_dim;
  const auto q = RandomVector(s.length * q_width, rng, -2.0f, 2.0f);
  const auto k = RandomVector(s.length * kv_width, rng, -2.0f, 2.0f);
  const auto v = RandomVector(s.length * kv_width, rng);
  const double scale = 1.0 / std::sqrt(static_cast<double>(s.head_dim));
  const auto expected = AttentionRef(q, k, v, s.length, s.nq, s.nkv, s.head_dim, scale);

  // A pool larger than needed, with the sequence's blocks scattered in reverse-shuffled order.
  const int64_t blocks_needed = (s.length + s.block_size - 1) / s.block_size;
  const int64_t num_blocks = blocks_needed * 2 + 3;
  std::vector<int32_t> table(num_blocks);
  std::iota(table.begin(), table.end(), 0);
  std::shuffle(table.begin(), table.end(), rng);
  table.resize(blocks_needed);
  if (std::is_sorted(table.begin(), table.end())) std::reverse(table.begin(), table.end());
  std::vector<float> keys(num_blocks * s.block_size * kv_width, NAN);
  std::vector<float> values(keys.size(), NAN);  // unwritten rows would poison the result
  PagedKv kv{keys.data(), values.data(), s.block_size, table.data()};

  // q/k/v rows are read with padded strides to exercise them.
  const int64_t q_stride = q_width + 3, k_stride = kv_width + 5, out_stride = q_width + 2;
  std::vector<float> out(s.length * q_width);
  int64_t start = 0;
  for (int64_t chunk : chunks) {
    std::vector<float> qc(chunk * q_stride), kc(chunk * k_stride), vc(chunk * k_stride);
    for (int64_t t = 0; t < chunk; ++t) {
      std::copy_n(&q[(start + t) * q_width], q_width, &qc[t * q_stride]);
      std::copy_n(&k[(start + t) * kv_width], kv_width, &kc[t * k_stride]);
      std::copy_n(&v[(start + t) * kv_width], kv_width, &vc[t * k_stride]);
    }
    WriteKv(kc.data(), k_stride, vc.data(), k_stride, chunk, start, s.nkv, s.head_dim, kv);
    std::vector<float> oc(chunk * out_stride);
    PagedAttention(qc.data(), q_stride, chunk, start, s.nq, s.nkv, s.head_dim,
                   static_cast<float>(scale), kv, oc.data(), out_stride, pool);
    for (int64_t t = 0; t < chunk; ++t) {
      std::copy_n(&oc[t * out_stride], q_width, &out[(start + t) * q_width]);
    }
    start += chunk;
  }
  ASSERT_EQ(start, s.length);
  EXPECT_TRUE(AllClose(out, expected, 1e-5))
      << "nq " << s.nq << " nkv " << s.nkv << " block " << s.block_size;
}

TEST(PagedAttentionTest, SinglePrefill) {
  ThreadPool pool(3);
  RunChunked({4, 4, 16, 8, 21}, {21}, &pool, 1);
  RunChunked({8, 2, 32, 4, 13}, {13}, nullptr, 2);
  RunChunked({6, 1, 8, 16, 1}, {1}, &pool, 3);
}

TEST(PagedAttentionTest, ChunkedPrefillThenDecodeOverManyBlocks) {
  ThreadPool pool(4);
  // Chunks that start and end inside blocks, then single-token decode steps.
  RunChunked({8, 2, 16, 4, 40}, {5, 11, 3, 16, 1, 1, 1, 1, 1}, &pool, 4);
  RunChunked({4, 2, 64, 16, 70}, {33, 31, 1, 1, 1, 1, 1, 1}, &pool, 5);
  RunChunked({2, 1, 8, 1, 9}, {1, 1, 1, 1, 1, 1, 1, 1, 1}, nullptr, 6);
}

TEST(PagedAttentionTest, FirstKeyOnlyGivesItsValue) {
  // With one key the softmax is 1: the output is v exactly, regardless of the scores.
  const int64_t head_dim = 4;
  std::vector<float> keys(head_dim, 100.0f), values = {1.0f, -2.0f, 3.0f, 0.5f};
  const int32_t table[] = {0};
  PagedKv kv{keys.data(), values.data(), 1, table};
  const std::vector<float> q = {1.0f, 1.0f, 1.0f, 1.0f};
  std::vector<float> out(head_dim);
  PagedAttention(q.data(), head_dim, 1, 0, 1, 1, head_dim, 1.0f, kv, out.data(), head_dim, nullptr);
  EXPECT_EQ(out, values);
}

}  // namespace
}  // namespace hybridserve::kernels::cpu
