#include "engine/model/blocks/ffn_block.h"

#include <algorithm>
#include <vector>

#include "engine/model/blocks/linear_apply.h"
#include "kernels/cpu/ops.h"

namespace hybridserve::engine {

void RunMlp(const MlpSpec& spec, const WeightStore& w, kernels::cpu::ThreadPool* pool,
            const float* x, int64_t num_tokens, float* out, bool accumulate) {
  const int64_t T = num_tokens;
  const int64_t F = spec.hidden_dim;
  const int64_t in = spec.up_proj.in_dim;
  std::vector<float> up(static_cast<size_t>(T * F));  // [T, F]
  ApplyLinear(spec.up_proj, w, x, in, T, up.data(), F);
  ApplyLora(spec.up_lora, w, x, in, T, up.data(), F);
  if (spec.gated) {
    std::vector<float> gate(static_cast<size_t>(T * F));  // [T, F]
    ApplyLinear(spec.gate_proj, w, x, in, T, gate.data(), F);
    ApplyLora(spec.gate_lora, w, x, in, T, gate.data(), F);
    Scale(gate.data(), T * F, spec.gate_multiplier);
    kernels::cpu::Activate(gate.data(), T * F, spec.activation, pool);
    for (int64_t i = 0; i < T * F; ++i) up[i] *= gate[i];
  } else {
    kernels::cpu::Activate(up.data(), T * F, spec.activation, pool);
  }
  const int64_t out_dim = spec.down_proj.out_dim;
  if (spec.down_multiplier == 1.0f) {
    ApplyLinear(spec.down_proj, w, up.data(), F, T, out, out_dim, accumulate);
    return;
  }
  std::vector<float> down(static_cast<size_t>(T * out_dim));
  ApplyLinear(spec.down_proj, w, up.data(), F, T, down.data(), out_dim);
  for (int64_t i = 0; i < T * out_dim; ++i) {
    const float v = down[i] * spec.down_multiplier;
    out[i] = accumulate ? out[i] + v : v;
  }
}

void RunMoe(const MoeSpec& spec, const StepContext& ctx, const float* x, float* out,
            bool accumulate) {
  const WeightStore& w = *ctx.weights;
  const int64_t T = ctx.num_tokens;
  const int64_t D = spec.router_proj.in_dim;
  const int64_t E = spec.router.num_experts;
  const int64_t k = spec.router.top_k;

  std::vector<float> logits(static_cast<size_t>(T * E));  // [T, E]
  ApplyLinear(spec.router_proj, w, x, D, T, logits.data(), E);
  kernels::cpu::RouterParams router = spec.router;
  router.correction_bias = w.Get(spec.correction_bias);
  std::vector<int32_t> chosen(static_cast<size_t>(T * k));  // [T, k]
  std::vector<float> gates(static_cast<size_t>(T * k));     // [T, k]
  kernels::cpu::RouteTokens(router, logits.data(), T, chosen.data(), gates.data());

  // Routed experts work in the latent width when latent projections exist.
  const bool latent = spec.latent_in.present();
  const int64_t width = latent ? spec.latent_in.out_dim : D;
  std::vector<float> latent_x;
  const float* expert_in = x;
  if (latent) {
    latent_x.resize(static_cast<size_t>(T * width));
    ApplyLinear(spec.latent_in, w, x, D, T, latent_x.data(), width);
    expert_in = latent_x.data();
  }
  std::vector<float> routed(static_cast<size_t>(T * width), 0.0f);  // [T, width]
  std::vector<int64_t> rows;
  std::vector<float> row_gates;
  std::vector<float> gathered, result;
  for (int64_t e = 0; e < E; ++e) {
    rows.clear();
    row_gates.clear();
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t j = 0; j < k; ++j) {
        if (chosen[t * k + j] == e) {
          rows.push_back(t);
          row_gates.push_back(gates[t * k + j]);
        }
      }
    }
    if (rows.empty()) continue;
    const int64_t n = static_cast<int64_t>(rows.size());
    gathered.resize(static_cast<size_t>(n * width));
    for (int64_t r = 0; r < n; ++r) {
      std::copy_n(expert_in + rows[r] * width, width, gathered.data() + r * width);
    }
    result.assign(static_cast<size_t>(n * width), 0.0f);
    RunMlp(spec.experts[e], w, ctx.pool, gathered.data(), n, result.data(), false);
    for (int64_t r = 0; r < n; ++r) {
      float* dst = routed.data() + rows[r] * width;
      for (int64_t i = 0; i < width; ++i) dst[i] += row_gates[r] * result[r * width + i];
    }
  }

  std::vector<float> moe_out;
  const float* moe_result = routed.data();
  if (latent) {
    moe_out.resize(static_cast<size_t>(T * D));
    ApplyLinear(spec.latent_out, w, routed.data(), width, T, moe_out.data(), D);
    moe_result = moe_out.data();
  }
  for (int64_t i = 0; i < T * D; ++i) out[i] = accumulate ? out[i] + moe_result[i] : moe_result[i];
  if (spec.shared_expert) RunMlp(*spec.shared_expert, w, ctx.pool, x, T, out, true);
}

}  // namespace hybridserve::engine
