// FalconH1: builds the ModelSpec of a FalconH1 checkpoint from its config.json (see falcon_h1.cc
// for the layout, the tensor names and the transformers facts encoded).
#ifndef HYBRIDSERVE_ENGINE_MODEL_FAMILIES_FALCON_H1_H_
#define HYBRIDSERVE_ENGINE_MODEL_FAMILIES_FALCON_H1_H_

#include "absl/status/statusor.h"
#include "engine/model/config_reader.h"
#include "engine/model/model_spec.h"

namespace hybridserve::engine {

absl::StatusOr<ModelSpec> BuildFalconH1Spec(const ConfigReader& config);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_FAMILIES_FALCON_H1_H_
