// Zamba2's shared transformer block: on cat(h, e0) (current stream first, original embeddings
// second): RMSNorm -> attention (shared weights, per-layer adapters and KV cache) -> RMSNorm ->
// GELU-GLU MLP (per-layer adapters) -> the layer's own linear. No residuals inside; the result is
// added to the input of the layer's Mamba2 mixer.
#ifndef HYBRIDSERVE_ENGINE_MODEL_BLOCKS_ZAMBA_SHARED_BLOCK_H_
#define HYBRIDSERVE_ENGINE_MODEL_BLOCKS_ZAMBA_SHARED_BLOCK_H_

#include "engine/model/model_spec.h"
#include "engine/model/step_context.h"

namespace hybridserve::engine {

// h, e0: [T, D]; out: [T, D] (overwritten).
void RunZambaShared(const ZambaSharedSpec& spec, const StepContext& ctx, const float* h,
                    const float* e0, float* out);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_BLOCKS_ZAMBA_SHARED_BLOCK_H_
