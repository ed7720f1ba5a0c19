// The one table of supported model families: config.json -> ModelSpec.
#ifndef HYBRIDSERVE_ENGINE_MODEL_FAMILIES_FAMILY_REGISTRY_H_
#define HYBRIDSERVE_ENGINE_MODEL_FAMILIES_FAMILY_REGISTRY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/model_spec.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {

// Dispatches on config["architectures"][0] (or config["model_type"] when architectures is
// absent), builds the family's spec and runs FinalizeSpec on it. An unknown architecture is an
// InvalidArgument error listing every supported one.
absl::StatusOr<ModelSpec> BuildModelSpec(const nlohmann::json& config);

// The spec of the checkpoint directory `dir` (its config.json); NotFound, saying what --model
// must name, when there is no config.json.
absl::StatusOr<ModelSpec> LoadModelSpec(const std::string& dir);

// The architectures BuildModelSpec accepts, in table order.
std::vector<std::string> SupportedArchitectures();

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_FAMILIES_FAMILY_REGISTRY_H_
