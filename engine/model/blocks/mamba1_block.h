// Mamba1 mixer (Jamba): in_proj -> causal conv on x with the slot's window -> x_proj ->
// (Jamba's dt/B/C RMSNorms) -> dt_proj + softplus -> selective scan from the slot's state ->
// gate with silu(z) -> out_proj.
#ifndef HYBRIDSERVE_ENGINE_MODEL_BLOCKS_MAMBA1_BLOCK_H_
#define HYBRIDSERVE_ENGINE_MODEL_BLOCKS_MAMBA1_BLOCK_H_

#include "engine/model/model_spec.h"
#include "engine/model/step_context.h"

namespace hybridserve::engine {

// x: [T, D]; out: [T, D] (overwritten).
void RunMamba1(const Mamba1Spec& spec, const StepContext& ctx, const float* x, float* out);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_BLOCKS_MAMBA1_BLOCK_H_
