// Zamba2's shared transformer block on the GPU, the twin of
// engine/model/blocks/zamba_shared_block.cc: norm(cat(h, e0)) -> attention -> norm -> MLP ->
// the layer's own linear.
#include "engine/cuda/cuda_blocks.h"

namespace hybridserve::engine {

void CudaZambaShared(CudaStep& step, const ZambaSharedSpec& spec, const float* h, const float* e0,
                     float* out) {
  namespace kc = kernels::cuda;
  const DeviceWeights& w = *step.weights;
  const int64_t T = step.num_tokens;
  const int64_t D = spec.linear.out_dim;
  float* cat = step.arena->Alloc<float>(T * 2 * D);  // [T, 2D]
  kc::CopyRows(h, D, cat, 2 * D, T, D, step.stream);
  kc::CopyRows(e0, D, cat + D, 2 * D, T, D, step.stream);
  kc::RmsNorm(cat, 2 * D, kc::DType::kF32, w.GetF32(spec.input_norm.weight), T, 2 * D,
              spec.input_norm.eps, cat, 2 * D, step.stream);
  float* attended = step.arena->Alloc<float>(T * D);  // [T, D]
  CudaAttention(step, spec.attention, cat, 1.0f, attended, 1.0f, false);
  step.AllReduce(attended, T * D);
  kc::RmsNorm(attended, D, kc::DType::kF32, w.GetF32(spec.pre_ff_norm.weight), T, D,
              spec.pre_ff_norm.eps, attended, D, step.stream);
  float* mlp = step.arena->Alloc<float>(T * D);  // [T, D]
  CudaMlp(step, spec.mlp, attended, T, mlp, false, 1.0f);
  CudaLinear(step, spec.linear, mlp, D, T, out, D);  // linear: of a partial sum, a partial sum
  step.AllReduce(out, T * D);
}

}  // namespace hybridserve::engine
