// Mamba2 mixer: in_proj -> (muP scaling) -> causal conv over xBC with the slot's conv window ->
// SSD (chunked for prefill chunks, single-step update for decode) from the slot's state ->
// gated RMSNorm -> out_proj.
#ifndef HYBRIDSERVE_ENGINE_MODEL_BLOCKS_MAMBA2_BLOCK_H_
#define HYBRIDSERVE_ENGINE_MODEL_BLOCKS_MAMBA2_BLOCK_H_

#include "engine/model/model_spec.h"
#include "engine/model/step_context.h"

namespace hybridserve::engine {

// x: [T, D]; out: [T, D] (overwritten).
void RunMamba2(const Mamba2Spec& spec, const StepContext& ctx, const float* x, float* out);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_BLOCKS_MAMBA2_BLOCK_H_
