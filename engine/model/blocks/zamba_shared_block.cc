#include "engine/model/blocks/zamba_shared_block.h"

#include <algorithm>
#include <vector>

#include "engine/model/blocks/attention_block.h"
#include "engine/model/blocks/ffn_block.h"
#include "engine/model/blocks/linear_apply.h"
#include "kernels/cpu/ops.h"

namespace hybridserve::engine {

void RunZambaShared(const ZambaSharedSpec& spec, const StepContext& ctx, const float* h,
                    const float* e0, float* out) {
  const WeightStore& w = *ctx.weights;
  const int64_t T = ctx.num_tokens;
  const int64_t D = spec.linear.out_dim;
  std::vector<float> cat(static_cast<size_t>(T * 2 * D));  // [T, 2D]
  for (int64_t t = 0; t < T; ++t) {
    std::copy_n(h + t * D, D, cat.data() + t * 2 * D);
    std::copy_n(e0 + t * D, D, cat.data() + t * 2 * D + D);
  }
  kernels::cpu::RmsNorm(cat.data(), w.Get(spec.input_norm.weight), T, 2 * D, spec.input_norm.eps,
                        cat.data(), ctx.pool);
  std::vector<float> attended(static_cast<size_t>(T * D));  // [T, D]
  RunAttention(spec.attention, ctx, cat.data(), attended.data());
  kernels::cpu::RmsNorm(attended.data(), w.Get(spec.pre_ff_norm.weight), T, D, spec.pre_ff_norm.eps,
                        attended.data(), ctx.pool);
  std::vector<float> mlp(static_cast<size_t>(T * D));  // [T, D]
  RunMlp(spec.mlp, w, ctx.pool, attended.data(), T, mlp.data(), false);
  ApplyLinear(spec.linear, w, mlp.data(), D, T, out, D);
}

}  // namespace hybridserve::engine
