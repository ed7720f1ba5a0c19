#include "engine/model/families/family_registry.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "engine/model/config_reader.h"
#include "engine/model/families/bamba.h"
#include "engine/model/families/falcon_h1.h"
#include "engine/model/families/granite_moe_hybrid.h"
#include "engine/model/families/jamba.h"
#include "engine/model/families/mamba2.h"
#include "engine/model/families/nemotron_h.h"
#include "engine/model/families/zamba2.h"
#include "engine/model/finalize_spec.h"

namespace hybridserve::engine {
namespace {

struct Family {
  const char* architecture;
  const char* model_type;
  absl::StatusOr<ModelSpec> (*build)(const ConfigReader& config);
};

// Adding a family: one file pair in engine/model/families and one line here.
constexpr Family kFamilies[] = {
    {"Mamba2ForCausalLM", "mamba2", &BuildMamba2Spec},
    {"BambaForCausalLM", "bamba", &BuildBambaSpec},
    {"NemotronHForCausalLM", "nemotron_h", &BuildNemotronHSpec},
    {"GraniteMoeHybridForCausalLM", "granitemoehybrid", &BuildGraniteMoeHybridSpec},
    {"FalconH1ForCausalLM", "falcon_h1", &BuildFalconH1Spec},
    {"Zamba2ForCausalLM", "zamba2", &BuildZamba2Spec},
    {"JambaForCausalLM", "jamba", &BuildJambaSpec},
};

}  // namespace

std::vector<std::string> SupportedArchitectures() {
  std::vector<std::string> names;
  for (const Family& family : kFamilies) names.push_back(family.architecture);
  return names;
}

absl::StatusOr<ModelSpec> BuildModelSpec(const nlohmann::json& config) {
  if (!config.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config.json: top level must be an object, got ", config.type_name()));
  }
  std::string architecture;
  std::string model_type;
  if (auto it = config.find("model_type"); it != config.end() && it->is_string()) {
    model_type = it->get<std::string>();
  }
  if (auto it = config.find("architectures"); it != config.end() && !it->is_null()) {
    if (!it->is_array() || it->empty() || !(*it)[0].is_string()) {
      return absl::InvalidArgumentError(
          "config.json: field \"architectures\" must be a non-empty list of strings");
    }
    architecture = (*it)[0].get<std::string>();
  }
  const Family* match = nullptr;
  for (const Family& family : kFamilies) {
    if (architecture.empty() ? model_type == family.model_type
                             : architecture == family.architecture) {
      match = &family;
      break;
    }
  }
  if (match == nullptr) {
    const std::string what =
        architecture.empty()
            ? absl::StrCat("model_type \"", model_type, "\" (no \"architectures\" field)")
            : absl::StrCat("architecture \"", architecture, "\"");
    return absl::InvalidArgumentError(
        absl::StrCat("config.json: unsupported ", what,
                     "; supported architectures: ", absl::StrJoin(SupportedArchitectures(), ", ")));
  }
  ConfigReader reader(config);
  reader.set_architecture(match->architecture);
  HS_ASSIGN_OR_RETURN(ModelSpec spec, match->build(reader));
  spec.architecture = match->architecture;
  if (spec.model_type.empty()) spec.model_type = match->model_type;
  HS_RETURN_IF_ERROR(FinalizeSpec(&spec));
  return spec;
}

absl::StatusOr<ModelSpec> LoadModelSpec(const std::string& dir) {
  const std::string path = dir + "/config.json";
  if (!std::filesystem::exists(path)) {
    return absl::NotFoundError(absl::StrCat(
        path, ": no such file; --model must name a Hugging Face checkpoint directory"));
  }
  HS_ASSIGN_OR_RETURN(nlohmann::json config, LoadConfigJsonFile(path));
  return BuildModelSpec(config);
}

}  // namespace hybridserve::engine
