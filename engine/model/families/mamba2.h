// Mamba2: builds the ModelSpec of a Mamba2 checkpoint from its config.json (see mamba2.cc for the
// layout, the tensor names and the transformers facts encoded).
#ifndef HYBRIDSERVE_ENGINE_MODEL_FAMILIES_MAMBA2_H_
#define HYBRIDSERVE_ENGINE_MODEL_FAMILIES_MAMBA2_H_

#include "absl/status/statusor.h"
#include "engine/model/config_reader.h"
#include "engine/model/model_spec.h"

namespace hybridserve::engine {

absl::StatusOr<ModelSpec> BuildMamba2Spec(const ConfigReader& config);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_FAMILIES_MAMBA2_H_
