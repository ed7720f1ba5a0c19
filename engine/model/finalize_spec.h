// FinalizeSpec: the last step of building a ModelSpec. Assigns cache indices (attention.kv_layer,
// mamba2/mamba1 ssm_layer, num_kv_layers, num_ssm_layers) and validates that the dimensions are
// consistent, with errors naming the offending layer and field.
#ifndef HYBRIDSERVE_ENGINE_MODEL_FINALIZE_SPEC_H_
#define HYBRIDSERVE_ENGINE_MODEL_FINALIZE_SPEC_H_

#include "absl/status/status.h"
#include "engine/model/model_spec.h"

namespace hybridserve::engine {

// KV layers are numbered 0..num_kv_layers-1 in layer order over every attention a layer runs
// (its own, or a Zamba2 shared block's: one KV cache per hybrid layer although the weights are
// shared). SSM layers likewise over Mamba2 / Mamba1 mixers.
absl::Status FinalizeSpec(ModelSpec* spec);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_FINALIZE_SPEC_H_
