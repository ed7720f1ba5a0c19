#include "engine/model/blocks/attention_block.h"

#include <vector>

#include "engine/model/blocks/linear_apply.h"
#include "kernels/cpu/ops.h"

namespace hybridserve::engine {

void RunAttention(const AttentionSpec& spec, const StepContext& ctx, const float* x, float* out) {
  namespace cpu = kernels::cpu;
  const WeightStore& w = *ctx.weights;
  const int64_t T = ctx.num_tokens;
  const int64_t q_dim = spec.num_heads * spec.head_dim;
  const int64_t kv_dim = spec.num_kv_heads * spec.head_dim;
  const int64_t in = spec.input_dim;

  std::vector<float> q(static_cast<size_t>(T * q_dim));   // [T, nq, hd]
  std::vector<float> k(static_cast<size_t>(T * kv_dim));  // [T, nkv, hd]
  std::vector<float> v(static_cast<size_t>(T * kv_dim));  // [T, nkv, hd]
  ApplyLinear(spec.q_proj, w, x, in, T, q.data(), q_dim);
  ApplyLinear(spec.k_proj, w, x, in, T, k.data(), kv_dim);
  ApplyLinear(spec.v_proj, w, x, in, T, v.data(), kv_dim);
  ApplyLora(spec.q_lora, w, x, in, T, q.data(), q_dim);
  ApplyLora(spec.k_lora, w, x, in, T, k.data(), kv_dim);
  ApplyLora(spec.v_lora, w, x, in, T, v.data(), kv_dim);
  Scale(k.data(), T * kv_dim, spec.key_multiplier);

  std::vector<float> attended(static_cast<size_t>(T * q_dim));  // [T, nq * hd]
  for (size_t c = 0; c < ctx.chunks.size(); ++c) {
    const SequenceChunk& chunk = ctx.chunks[c];
    const int64_t row = ctx.row_begin[c];
    const int64_t rows = ctx.rows(c);
    if (rows == 0) continue;
    if (spec.rope.rotary_dim > 0) {
      cpu::ApplyRope(q.data() + row * q_dim, q_dim, ctx.positions.data() + row, rows,
                     spec.num_heads, spec.head_dim, spec.rope.rotary_dim, spec.rope.theta);
      cpu::ApplyRope(k.data() + row * kv_dim, kv_dim, ctx.positions.data() + row, rows,
                     spec.num_kv_heads, spec.head_dim, spec.rope.rotary_dim, spec.rope.theta);
    }
    const cpu::PagedKv kv = ctx.cache->Kv(spec.kv_layer, chunk.block_table);
    cpu::WriteKv(k.data() + row * kv_dim, kv_dim, v.data() + row * kv_dim, kv_dim, rows,
                 chunk.start_position, spec.num_kv_heads, spec.head_dim, kv);
    cpu::PagedAttention(q.data() + row * q_dim, q_dim, rows, chunk.start_position, spec.num_heads,
                        spec.num_kv_heads, spec.head_dim, spec.scale, kv,
                        attended.data() + row * q_dim, q_dim, ctx.pool);
  }
  ApplyLinear(spec.o_proj, w, attended.data(), q_dim, T, out, spec.o_proj.out_dim);
}

}  // namespace hybridserve::engine
