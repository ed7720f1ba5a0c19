// Attention mixer: q/k/v projections (+ optional adapters), RoPE, paged-KV write, causal GQA
// attention per sequence, output projection.
#ifndef HYBRIDSERVE_ENGINE_MODEL_BLOCKS_ATTENTION_BLOCK_H_
#define HYBRIDSERVE_ENGINE_MODEL_BLOCKS_ATTENTION_BLOCK_H_

#include "engine/model/model_spec.h"
#include "engine/model/step_context.h"

namespace hybridserve::engine {

// x: [T, input_dim]; out: [T, D] (overwritten).
void RunAttention(const AttentionSpec& spec, const StepContext& ctx, const float* x, float* out);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_BLOCKS_ATTENTION_BLOCK_H_
