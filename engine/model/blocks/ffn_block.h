// Feed-forward sub-layers: gated or plain MLPs (SwiGLU, GELU-GLU, squared ReLU, with Falcon-H1
// multipliers and Zamba2 adapters) and mixtures of experts (three router kinds, optional latent
// projections and a shared expert).
#ifndef HYBRIDSERVE_ENGINE_MODEL_BLOCKS_FFN_BLOCK_H_
#define HYBRIDSERVE_ENGINE_MODEL_BLOCKS_FFN_BLOCK_H_

#include "engine/model/model_spec.h"
#include "engine/model/step_context.h"

namespace hybridserve::engine {

// x: [num_tokens, in]; out: [num_tokens, out] (overwritten, or added to when accumulate).
void RunMlp(const MlpSpec& spec, const WeightStore& weights, kernels::cpu::ThreadPool* pool,
            const float* x, int64_t num_tokens, float* out, bool accumulate);

// x: [T, D]; out: [T, D] (added to when accumulate, else overwritten).
void RunMoe(const MoeSpec& spec, const StepContext& ctx, const float* x, float* out,
            bool accumulate);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_BLOCKS_FFN_BLOCK_H_
