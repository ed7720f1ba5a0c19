// Why: causal grouped-query attention for the attention layers of the hybrids, reading keys and
// values from the paged KV pool, so prefill chunks and decode steps share one code path.
// How: WriteKv scatters each new token's k/v into row (p % block_size) of block
// block_table[p / block_size]. PagedAttention gives each (query token, query head) pair to one
// thread: scores s_j = (q . k_j) * scale for keys j = 0..position, softmax in fp32 with the
// maximum subtracted, then out = sum_j p_j v_j. Query head h reads kv head h / (nq / nkv).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "base/check.h"
#include "kernels/cpu/dot.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/parallel.h"

namespace hybridserve::kernels::cpu {

namespace {

// Offset (elements) of token position p, kv head j in the keys/values arrays.
int64_t KvOffset(const PagedKv& kv, int64_t position, int64_t kv_head, int64_t num_kv_heads,
                 int64_t head_dim) {
  const int64_t block = kv.block_table[position / kv.block_size];
  const int64_t row = position % kv.block_size;
  return ((block * kv.block_size + row) * num_kv_heads + kv_head) * head_dim;
}

}  // namespace

void WriteKv(const float* k, int64_t k_stride, const float* v, int64_t v_stride, int64_t num_tokens,
             int64_t start_position, int64_t num_kv_heads, int64_t head_dim, const PagedKv& kv) {
  HS_CHECK(kv.block_size > 0 && kv.block_table != nullptr);
  const int64_t row_elements = num_kv_heads * head_dim;
  for (int64_t t = 0; t < num_tokens; ++t) {
    const int64_t offset = KvOffset(kv, start_position + t, 0, num_kv_heads, head_dim);
    std::memcpy(kv.keys + offset, k + t * k_stride, row_elements * sizeof(float));
    std::memcpy(kv.values + offset, v + t * v_stride, row_elements * sizeof(float));
  }
}

void PagedAttention(const float* q, int64_t q_stride, int64_t num_tokens, int64_t start_position,
                    int64_t num_heads, int64_t num_kv_heads, int64_t head_dim, float scale,
                    const PagedKv& kv, float* out, int64_t out_stride, ThreadPool* pool) {
  HS_CHECK(num_kv_heads > 0 && num_heads % num_kv_heads == 0);
  HS_CHECK(kv.block_size > 0 && kv.block_table != nullptr);
  const int64_t heads_per_kv = num_heads / num_kv_heads;
  const int64_t max_keys = start_position + num_tokens;
  ParallelFor(
      pool, num_tokens * num_heads,
      [&](int64_t begin, int64_t end) {
        std::vector<float> scores(max_keys);
        for (int64_t item = begin; item < end; ++item) {
          const int64_t t = item / num_heads;
          const int64_t h = item % num_heads;
          const int64_t kv_head = h / heads_per_kv;
          const int64_t num_keys = start_position + t + 1;
          const float* q_head = q + t * q_stride + h * head_dim;

          float max_score = -INFINITY;
          for (int64_t j = 0; j < num_keys; ++j) {
            const float* key = kv.keys + KvOffset(kv, j, kv_head, num_kv_heads, head_dim);
            scores[j] = Dot(q_head, key, head_dim) * scale;
            max_score = std::max(max_score, scores[j]);
          }
          float sum = 0.0f;
          for (int64_t j = 0; j < num_keys; ++j) {
            scores[j] = std::exp(scores[j] - max_score);
            sum += scores[j];
          }

          float* out_head = out + t * out_stride + h * head_dim;
          std::fill(out_head, out_head + head_dim, 0.0f);
          for (int64_t j = 0; j < num_keys; ++j) {
            const float p = scores[j] / sum;
            const float* value = kv.values + KvOffset(kv, j, kv_head, num_kv_heads, head_dim);
            for (int64_t d = 0; d < head_dim; ++d) out_head[d] += p * value[d];
          }
        }
      },
      GrainFor(max_keys * head_dim * 2));
}

}  // namespace hybridserve::kernels::cpu
