// Mamba1 (and Jamba's variant with inner RMSNorms) on the GPU, the twin of
// engine/model/blocks/mamba1_block.cc: in_proj (x | z), causal conv from each sequence's slot,
// x_proj (dt | B | C), optional norms of the three segments, dt_proj (+ bias) and softplus, the
// selective scan batched over sequences, z gate, out_proj.
#include <limits>

#include "engine/cuda/cuda_blocks.h"
#include "kernels/cuda/cuda_check.h"

namespace hybridserve::engine {

void CudaMamba1(CudaStep& step, const Mamba1Spec& spec, const float* a, const float* x, float* out,
                float out_scale, bool accumulate) {
  namespace kc = kernels::cuda;
  const DeviceWeights& w = *step.weights;
  const int64_t T = step.num_tokens;
  const int64_t I = spec.d_inner;
  const int64_t N = spec.d_state;
  const int64_t R = spec.dt_rank;
  const int64_t pw = R + 2 * N;  // dt | B | C
  cudaStream_t stream = step.stream;

  float* xz = step.arena->Alloc<float>(T * 2 * I);  // [T, 2I]: x | z
  CudaLinear(step, spec.in_proj, x, spec.d_model, T, xz, 2 * I);
  float* xc = step.arena->Alloc<float>(T * I);  // [T, I] after conv + SiLU
  kc::CausalConv1d(xz, 2 * I, I, spec.d_conv, w.GetF32(spec.conv_weight), w.GetF32(spec.conv_bias),
                   /*apply_silu=*/true, step.batch, step.cache->ConvStates(spec.ssm_layer), xc, I,
                   stream);

  float* params = step.arena->Alloc<float>(T * pw);  // [T, R + 2N]
  CudaLinear(step, spec.x_proj, xc, I, T, params, pw);
  step.AllReduce(params, T * pw);  // a shard's x_proj reads its channels only
  if (spec.dt_norm.present()) {
    kc::RmsNorm(params, pw, kc::DType::kF32, w.GetF32(spec.dt_norm.weight), T, R, spec.dt_norm.eps,
                params, pw, stream);
    kc::RmsNorm(params + R, pw, kc::DType::kF32, w.GetF32(spec.b_norm.weight), T, N,
                spec.b_norm.eps, params + R, pw, stream);
    kc::RmsNorm(params + R + N, pw, kc::DType::kF32, w.GetF32(spec.c_norm.weight), T, N,
                spec.c_norm.eps, params + R + N, pw, stream);
  }
  float* dt = step.arena->Alloc<float>(T * I);  // [T, I]
  CudaLinear(step, spec.dt_proj, params, pw, T, dt, I);
  float* zeros = step.arena->Alloc<float>(I);
  HS_CUDA_CHECK(cudaMemsetAsync(zeros, 0, I * sizeof(float), stream));
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const auto [lo, hi] = step.DtLimits(0.0f, kInf, 0.0f, kInf);
  kc::DtSoftplus(dt, I, T, I, kc::DType::kF32, zeros, lo, hi, stream);

  float* y = step.arena->Alloc<float>(T * I);  // [T, I]
  kc::Mamba1Scan(I, N, xc, I, dt, I, a, params + R, pw, params + R + N, pw, w.GetF32(spec.d_skip),
                 step.batch, step.cache->SsmStates(spec.ssm_layer), y, I, stream);
  kc::GateSilu(y, I, xz + I, 2 * I, T, I, stream);
  CudaLinear(step, spec.out_proj, y, I, T, out, spec.out_proj.out_dim, accumulate, out_scale);
}

}  // namespace hybridserve::engine
