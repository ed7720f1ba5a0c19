#include "engine/model/blocks/mamba1_block.h"

#include <cmath>
#include <limits>
#include <vector>

#include "engine/model/blocks/linear_apply.h"
#include "kernels/cpu/ops.h"

namespace hybridserve::engine {

void RunMamba1(const Mamba1Spec& spec, const StepContext& ctx, const float* x, float* out) {
  namespace cpu = kernels::cpu;
  const WeightStore& w = *ctx.weights;
  const int64_t T = ctx.num_tokens;
  const int64_t I = spec.d_inner;
  const int64_t N = spec.d_state;
  const int64_t R = spec.dt_rank;
  const int64_t params_width = R + 2 * N;  // dt | B | C

  std::vector<float> xz(static_cast<size_t>(T * 2 * I));  // [T, 2I]: x | z
  ApplyLinear(spec.in_proj, w, x, spec.d_model, T, xz.data(), 2 * I);

  std::vector<float> xc(static_cast<size_t>(T * I));  // [T, I] after conv + SiLU
  const float* conv_w = w.Get(spec.conv_weight);
  const float* conv_b = w.Get(spec.conv_bias);
  for (size_t c = 0; c < ctx.chunks.size(); ++c) {
    const int64_t rows = ctx.rows(c);
    if (rows == 0) continue;
    const int64_t row = ctx.row_begin[c];
    cpu::CausalConv1d(xz.data() + row * 2 * I, 2 * I, rows, I, spec.d_conv, conv_w, conv_b,
                      /*apply_silu=*/true,
                      ctx.cache->ConvState(spec.ssm_layer, ctx.chunks[c].ssm_slot),
                      xc.data() + row * I, I, ctx.pool);
  }

  std::vector<float> params(static_cast<size_t>(T * params_width));  // [T, R + 2N]
  ApplyLinear(spec.x_proj, w, xc.data(), I, T, params.data(), params_width);
  if (spec.dt_norm.present()) {
    // RMSNorm each segment of each row in place.
    for (int64_t t = 0; t < T; ++t) {
      float* row = params.data() + t * params_width;
      cpu::RmsNorm(row, w.Get(spec.dt_norm.weight), 1, R, spec.dt_norm.eps, row, nullptr);
      cpu::RmsNorm(row + R, w.Get(spec.b_norm.weight), 1, N, spec.b_norm.eps, row + R, nullptr);
      cpu::RmsNorm(row + R + N, w.Get(spec.c_norm.weight), 1, N, spec.c_norm.eps, row + R + N,
                   nullptr);
    }
  }
  std::vector<float> dt(static_cast<size_t>(T * I));  // [T, I]
  ApplyLinear(spec.dt_proj, w, params.data(), params_width, T, dt.data(), I);
  cpu::SoftplusClamp(dt.data(), T * I, 0.0f, std::numeric_limits<float>::infinity());

  const float* a_log = w.Get(spec.a_log);
  std::vector<float> a(static_cast<size_t>(I * N));  // [I, N]
  for (int64_t i = 0; i < I * N; ++i) a[i] = -std::exp(a_log[i]);

  std::vector<float> y(static_cast<size_t>(T * I));  // [T, I]
  const float* d_skip = w.Get(spec.d_skip);
  for (size_t c = 0; c < ctx.chunks.size(); ++c) {
    const int64_t rows = ctx.rows(c);
    if (rows == 0) continue;
    const int64_t row = ctx.row_begin[c];
    const float* p = params.data() + row * params_width;
    cpu::Mamba1Scan(rows, I, N, xc.data() + row * I, I, dt.data() + row * I, I, a.data(), p + R,
                    params_width, p + R + N, params_width, d_skip,
                    ctx.cache->SsmState(spec.ssm_layer, ctx.chunks[c].ssm_slot), y.data() + row * I,
                    I, ctx.pool);
  }
  cpu::GateSilu(y.data(), I, xz.data() + I, 2 * I, T, I, ctx.pool);
  ApplyLinear(spec.out_proj, w, y.data(), I, T, out, spec.out_proj.out_dim);
}

}  // namespace hybridserve::engine
