#include "engine/model/blocks/mamba2_block.h"

#include <cmath>
#include <vector>

#include "engine/model/blocks/linear_apply.h"
#include "kernels/cpu/ops.h"

namespace hybridserve::engine {
namespace {

// Scales columns [begin, end) of every row of a [T, width] matrix.
void ScaleColumns(float* m, int64_t rows, int64_t width, int64_t begin, int64_t end, float factor) {
  if (factor == 1.0f) return;
  for (int64_t t = 0; t < rows; ++t) {
    for (int64_t i = begin; i < end; ++i) m[t * width + i] *= factor;
  }
}

}  // namespace

void RunMamba2(const Mamba2Spec& spec, const StepContext& ctx, const float* x, float* out) {
  namespace cpu = kernels::cpu;
  const WeightStore& w = *ctx.weights;
  const int64_t T = ctx.num_tokens;
  const int64_t I = spec.d_inner;
  const int64_t H = spec.num_heads;
  const int64_t P = spec.head_dim;
  const int64_t G = spec.n_groups;
  const int64_t N = spec.d_state;
  const int64_t CD = spec.conv_dim();
  const int64_t width = I + CD + H;  // z | x | B | C | dt

  std::vector<float> zxbcdt(static_cast<size_t>(T * width));  // [T, I + CD + H]
  if (spec.in_multiplier != 1.0f) {
    std::vector<float> scaled(x, x + T * spec.d_model);
    Scale(scaled.data(), T * spec.d_model, spec.in_multiplier);
    ApplyLinear(spec.in_proj, w, scaled.data(), spec.d_model, T, zxbcdt.data(), width);
  } else {
    ApplyLinear(spec.in_proj, w, x, spec.d_model, T, zxbcdt.data(), width);
  }
  ScaleColumns(zxbcdt.data(), T, width, 0, I, spec.mup_z);
  ScaleColumns(zxbcdt.data(), T, width, I, 2 * I, spec.mup_x);
  ScaleColumns(zxbcdt.data(), T, width, 2 * I, 2 * I + G * N, spec.mup_b);
  ScaleColumns(zxbcdt.data(), T, width, 2 * I + G * N, 2 * I + 2 * G * N, spec.mup_c);
  ScaleColumns(zxbcdt.data(), T, width, I + CD, width, spec.mup_dt);

  // dt = clamp(softplus(dt_raw + dt_bias)) as [T, H], with the decode limits for decode steps.
  const float* dt_bias = w.Get(spec.dt_bias);
  std::vector<float> dt(static_cast<size_t>(T * H));
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t h = 0; h < H; ++h) {
      dt[t * H + h] = zxbcdt[t * width + I + CD + h] + dt_bias[h];
    }
  }
  for (size_t c = 0; c < ctx.chunks.size(); ++c) {
    const bool decode = ctx.chunks[c].decode;
    cpu::SoftplusClamp(dt.data() + ctx.row_begin[c] * H, ctx.rows(c) * H,
                       decode ? spec.decode_dt_min : spec.dt_min,
                       decode ? spec.decode_dt_max : spec.dt_max);
  }

  const float* a_log = w.Get(spec.a_log);
  std::vector<float> a(static_cast<size_t>(H));
  for (int64_t h = 0; h < H; ++h) a[h] = -std::exp(a_log[h]);

  std::vector<float> xbc(static_cast<size_t>(T * CD));  // [T, CD] after conv + SiLU
  std::vector<float> y(static_cast<size_t>(T * I));     // [T, H, P]
  const float* conv_w = w.Get(spec.conv_weight);
  const float* conv_b = w.Get(spec.conv_bias);
  const float* d_skip = w.Get(spec.d_skip);
  for (size_t c = 0; c < ctx.chunks.size(); ++c) {
    const SequenceChunk& chunk = ctx.chunks[c];
    const int64_t row = ctx.row_begin[c];
    const int64_t rows = ctx.rows(c);
    if (rows == 0) continue;
    float* conv_state = ctx.cache->ConvState(spec.ssm_layer, chunk.ssm_slot);
    float* ssm_state = ctx.cache->SsmState(spec.ssm_layer, chunk.ssm_slot);
    cpu::CausalConv1d(zxbcdt.data() + row * width + I, width, rows, CD, spec.d_conv, conv_w, conv_b,
                      /*apply_silu=*/true, conv_state, xbc.data() + row * CD, CD, ctx.pool);
    const float* xs = xbc.data() + row * CD;
    const float* bs = xs + I;
    const float* cs = xs + I + G * N;
    if (chunk.decode) {
      cpu::Mamba2StateUpdate(H, P, G, N, xs, dt.data() + row * H, a.data(), bs, cs, d_skip,
                             ssm_state, y.data() + row * I);
    } else {
      const cpu::SsdShape shape{rows, H, P, G, N, spec.chunk_size};
      cpu::Mamba2ChunkScan(shape, xs, CD, dt.data() + row * H, H, a.data(), bs, CD, cs, CD, d_skip,
                           ssm_state, y.data() + row * I, I, ctx.pool);
    }
  }

  // Gate with z (columns [0, I) of zxbcdt), with or without the RMSNorm.
  std::vector<float> z(static_cast<size_t>(T * I));
  for (int64_t t = 0; t < T; ++t) {
    std::copy_n(zxbcdt.data() + t * width, I, z.data() + t * I);
  }
  switch (spec.norm_kind) {
    case GatedNorm::kNone:
      cpu::GateSilu(y.data(), I, z.data(), I, T, I, ctx.pool);
      break;
    case GatedNorm::kGateThenNorm:
    case GatedNorm::kNormThenGate:
      cpu::GatedRmsNorm(
          y.data(), z.data(), w.Get(spec.norm.weight), T, I, spec.norm_group_size, spec.norm.eps,
          spec.norm_kind == GatedNorm::kGateThenNorm ? cpu::GatedNormOrder::kGateThenNorm
                                                     : cpu::GatedNormOrder::kNormThenGate,
          y.data(), ctx.pool);
      break;
  }
  ApplyLinear(spec.out_proj, w, y.data(), I, T, out, spec.out_proj.out_dim);
}

}  // namespace hybridserve::engine
