// The blocks of a layer on the GPU, each the twin of its CPU block in engine/model/blocks (same
// order of operations, same multipliers) on fp32 activations in device memory:
// x/out are [T, width] with dense rows unless a stride is given. On a tensor-parallel shard
// (step.comm set) the outputs of attention, Mamba, MLP and MoE are this shard's partial sums, to
// be all-reduced by the caller; Zamba2's shared block all-reduces inside and returns the sum.
#ifndef HYBRIDSERVE_ENGINE_CUDA_CUDA_BLOCKS_H_
#define HYBRIDSERVE_ENGINE_CUDA_CUDA_BLOCKS_H_

#include <cstdint>

#include "engine/cuda/cuda_step.h"
#include "engine/model/model_spec.h"

namespace hybridserve::engine {

// out[T, out_dim] (row stride out_stride) (+)= scale * (x . W^T + b).
void CudaLinear(const CudaStep& step, const LinearSpec& linear, const float* x, int64_t x_stride,
                int64_t num_tokens, float* out, int64_t out_stride, bool accumulate = false,
                float scale = 1.0f);
// out += up(down(x)) when present.
void CudaLora(const CudaStep& step, const LoraSpec& lora, const float* x, int64_t x_stride,
              int64_t num_tokens, float* out, int64_t out_stride);

// The mixers write out (+)= out_scale * result (accumulate: add to out), the scale riding on
// the output projection's GEMM; attention reads in_scale * x (folded into its q/k/v GEMMs when
// they have no biases or adapters).
void CudaAttention(CudaStep& step, const AttentionSpec& spec, const float* x, float in_scale,
                   float* out, float out_scale, bool accumulate);
void CudaMamba2(CudaStep& step, const Mamba2Spec& spec, const float* a, const float* x, float* out,
                float out_scale, bool accumulate);  // a: [H] = -exp(A_log)
// CudaMamba2 in two parts: everything up to the gated norm (returns its [T, d_inner] output, in
// the step's arena), then out_proj.
const float* CudaMamba2Mix(CudaStep& step, const Mamba2Spec& spec, const float* a, const float* x);
void CudaMamba2Out(CudaStep& step, const Mamba2Spec& spec, const float* y, float* out,
                   float out_scale, bool accumulate);
void CudaMamba1(CudaStep& step, const Mamba1Spec& spec, const float* a, const float* x, float* out,
                float out_scale, bool accumulate);  // a: [I, N] = -exp(A_log)
// out (+)= out_scale * down(act(gate(x)) * up(x)).
void CudaMlp(CudaStep& step, const MlpSpec& spec, const float* x, int64_t num_tokens, float* out,
             bool accumulate, float out_scale);
void CudaMoe(CudaStep& step, const MoeSpec& spec, const float* x, float* out, bool accumulate);
void CudaZambaShared(CudaStep& step, const ZambaSharedSpec& spec, const float* h, const float* e0,
                     float* out);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_CUDA_CUDA_BLOCKS_H_
