// Mamba2 on the GPU, the twin of engine/model/blocks/mamba2_block.cc: in_proj (z | xBC | dt; its
// muP column scales folded into its rows at load), dt = clamp(softplus(dt + bias)) in place with
// per-row (prompt or decode) limits (inside the state update on decode-only steps), the causal conv
// over every sequence from its slot's window, then per sequence either the chunked SSD scan (prompt
// rows) or, for each run of consecutive decode rows, one batched single-step state update; gated
// norm (CudaMamba2Mix); out_proj (CudaMamba2Out).
#include "base/check.h"
#include "engine/cuda/cuda_blocks.h"
#include "engine/cuda/step_kernels.h"
#include "kernels/cuda/cuda_check.h"

namespace hybridserve::engine {

const float* CudaMamba2Mix(CudaStep& step, const Mamba2Spec& spec, const float* a, const float* x) {
  namespace kc = kernels::cuda;
  namespace cpu = kernels::cpu;
  const DeviceWeights& w = *step.weights;
  const int64_t T = step.num_tokens;
  const int64_t I = spec.d_inner;
  const int64_t H = spec.num_heads;
  const int64_t P = spec.head_dim;
  const int64_t G = spec.n_groups;
  const int64_t N = spec.d_state;
  const int64_t CD = spec.conv_dim();
  const int64_t width = I + CD + H;  // z | x | B | C | dt
  cudaStream_t stream = step.stream;

  float* zxbcdt = step.arena->Alloc<float>(T * width);  // [T, I + CD + H]
  if (spec.in_multiplier != 1.0f && spec.in_proj.bias.present()) {
    float* scaled = step.arena->Alloc<float>(T * spec.d_model);
    kc::CopyRows(x, spec.d_model, scaled, spec.d_model, T, spec.d_model, stream);
    kc::Scale(scaled, T * spec.d_model, spec.in_multiplier, stream);
    CudaLinear(step, spec.in_proj, scaled, spec.d_model, T, zxbcdt, width);
  } else {
    // W (m x) = m (W x): the input multiplier rides on the GEMM.
    CudaLinear(step, spec.in_proj, x, spec.d_model, T, zxbcdt, width, false, spec.in_multiplier);
  }
  // The muP segment multipliers were folded into in_proj's rows at load (CudaModel).
  HS_CHECK(spec.mup_z == 1.0f && spec.mup_x == 1.0f && spec.mup_b == 1.0f && spec.mup_c == 1.0f &&
           spec.mup_dt == 1.0f);

  float* dt = zxbcdt + I + CD;  // [T, H], row stride width
  const auto [lo, hi] =
      step.DtLimits(spec.dt_min, spec.dt_max, spec.decode_dt_min, spec.decode_dt_max);
  // Decode-only steps leave dt raw: the state update applies the softplus itself.
  bool decode_only = spec.dt_bias.present();
  for (size_t s = 0; s < step.slots.size(); ++s) decode_only &= step.decode[s] || step.rows(s) == 0;
  if (!decode_only) {
    kc::DtSoftplus(dt, width, T, H, kc::DType::kF32, w.GetF32(spec.dt_bias), lo, hi, stream);
  }

  float* xbc = step.arena->Alloc<float>(T * CD);  // [T, CD] after conv + SiLU
  kc::CausalConv1d(zxbcdt + I, width, CD, spec.d_conv, w.GetF32(spec.conv_weight),
                   w.GetF32(spec.conv_bias), /*apply_silu=*/true, step.batch,
                   step.cache->ConvStates(spec.ssm_layer), xbc, CD, stream);

  float* y = step.arena->Alloc<float>(T * I);  // [T, H, P]
  const float* d_skip = w.GetF32(spec.d_skip);
  float* states = step.cache->SsmStates(spec.ssm_layer);
  const int64_t state_floats = H * P * N;
  const size_t num_seqs = step.slots.size();
  // The tensor-core scan (TF32 products, ~1e-3 of the output scale) is below the rounding of
  // bf16/fp16 weights; fp32 models keep the exact scan (within 1e-5 of the CPU backend).
  const kc::ScanPrecision scan_precision =
      w.dtype() == kc::DType::kF32 ? kc::ScanPrecision::kExact : kc::ScanPrecision::kTensorCore;
  for (size_t s = 0; s < num_seqs;) {
    if (step.rows(s) == 0) {
      ++s;
      continue;
    }
    const int64_t row = step.row_begin[s];
    if (step.decode[s]) {
      size_t end = s;
      while (end < num_seqs && step.decode[end]) ++end;
      const int64_t rows = step.row_begin[end] - row;
      const float* xs = xbc + row * CD;
      const kc::RawDt raw_dt =
          decode_only ? kc::RawDt{w.GetF32(spec.dt_bias), lo + row, hi + row} : kc::RawDt{};
      kc::Mamba2StateUpdate(rows, H, P, G, N, xs, CD, dt + row * width, width, a, xs + I, CD,
                            xs + I + G * N, CD, d_skip, step.token_slot + row, states, y + row * I,
                            I, stream, raw_dt);
      s = end;
      continue;
    }
    const cpu::SsdShape shape{step.rows(s), H, P, G, N, spec.chunk_size};
    float* scratch = step.arena->Alloc<float>(kc::Mamba2ChunkScanScratchFloats(shape));
    const float* xs = xbc + row * CD;
    kc::Mamba2ChunkScan(shape, xs, CD, dt + row * width, width, a, xs + I, CD, xs + I + G * N, CD,
                        d_skip, states + step.slots[s] * state_floats, y + row * I, I, scratch,
                        stream, scan_precision);
    ++s;
  }

  const cpu::GatedNormOrder order = spec.norm_kind == GatedNorm::kNormThenGate
                                        ? cpu::GatedNormOrder::kNormThenGate
                                        : cpu::GatedNormOrder::kGateThenNorm;
  switch (spec.norm_kind) {
    case GatedNorm::kNone:
      if (step.RoundsInputs(T)) {
        // Only out_proj reads the gated y: written rounded, for the GEMM, and not in fp32.
        const kc::RoundedRows rounded = step.NewRounded(T, I);
        kc::GateSiluRounded(y, I, zxbcdt, width, T, I, rounded, stream);
        step.rounded[y] = rounded;
      } else {
        kc::GateSilu(y, I, zxbcdt, width, T, I, stream);
      }
      break;
    case GatedNorm::kGateThenNorm:
    case GatedNorm::kNormThenGate:
      if (spec.norm_span_groups > 0) {
        // This shard holds part of one norm group: the group's square sums are summed over the
        // shards (each writes its group's column, zeros elsewhere).
        const int64_t groups = spec.norm_span_groups;
        float* sums = step.arena->Alloc<float>(T * groups);
        HS_CUDA_CHECK(cudaMemsetAsync(sums, 0, T * groups * sizeof(float), stream));
        kc::GatedSquareSums(y, I, zxbcdt, width, T, I, order, sums + spec.norm_span_group, groups,
                            stream);
        step.AllReduce(sums, T * groups);
        kc::GatedRmsNormFromSums(y, I, zxbcdt, width, kc::DType::kF32, w.GetF32(spec.norm.weight),
                                 T, I, sums + spec.norm_span_group, groups, spec.norm_group_size,
                                 spec.norm.eps, order, y, I, stream);
        break;
      }
      kc::GatedRmsNorm(y, I, zxbcdt, width, kc::DType::kF32, w.GetF32(spec.norm.weight), T, I,
                       spec.norm_group_size, spec.norm.eps, order, y, I, stream);
      break;
  }
  return y;
}

void CudaMamba2Out(CudaStep& step, const Mamba2Spec& spec, const float* y, float* out,
                   float out_scale, bool accumulate) {
  CudaLinear(step, spec.out_proj, y, spec.d_inner, step.num_tokens, out, spec.out_proj.out_dim,
             accumulate, out_scale);
  step.rounded.erase(y);
}

void CudaMamba2(CudaStep& step, const Mamba2Spec& spec, const float* a, const float* x, float* out,
                float out_scale, bool accumulate) {
  CudaMamba2Out(step, spec, CudaMamba2Mix(step, spec, a, x), out, out_scale, accumulate);
}

}  // namespace hybridserve::engine
