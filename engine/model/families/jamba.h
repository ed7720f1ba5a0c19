// Jamba: builds the ModelSpec of a Jamba checkpoint from its config.json (see jamba.cc for the
// layout, the tensor names and the transformers facts encoded).
#ifndef HYBRIDSERVE_ENGINE_MODEL_FAMILIES_JAMBA_H_
#define HYBRIDSERVE_ENGINE_MODEL_FAMILIES_JAMBA_H_

#include "absl/status/statusor.h"
#include "engine/model/config_reader.h"
#include "engine/model/model_spec.h"

namespace hybridserve::engine {

absl::StatusOr<ModelSpec> BuildJambaSpec(const ConfigReader& config);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_FAMILIES_JAMBA_H_
