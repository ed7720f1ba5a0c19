// `hybridtool inspect`: what a checkpoint is, read from config.json and the safetensors headers
// only (no weights are loaded): architecture, layer pattern, parameters, stored dtypes, and the
// cache footprint per token (KV) and per sequence (SSM state).
#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/model/config_reader.h"
#include "engine/model/families/family_registry.h"
#include "engine/model/model_summary.h"
#include "engine/weights/checkpoint.h"
#include "nlohmann/json.hpp"
#include "weights_tools/command_line.h"
#include "weights_tools/commands.h"

namespace hybridserve::tools {
namespace {

constexpr char kHelp[] =
    "usage: hybridtool inspect --model DIR [--json]\n"
    "\n"
    "Describes a Hugging Face checkpoint directory without loading its weights: architecture,\n"
    "layer pattern (M Mamba2, m Mamba1, * attention, P parallel attention+Mamba2, H Zamba2\n"
    "hybrid, - MLP, E MoE), parameter count, stored dtypes, KV cache bytes per token and SSM\n"
    "state bytes per sequence (fp32 caches).\n"
    "\n"
    "  --model DIR   checkpoint directory (config.json + *.safetensors)\n"
    "  --json        print one JSON object\n";

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "hybridtool inspect: %s\n", std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int InspectCommand(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(kHelp, stdout);
      return 0;
    }
  }
  auto line = CommandLine::Parse(args, {"model"}, {"json"});
  if (!line.ok()) {
    std::fprintf(stderr, "hybridtool inspect: %s\n", std::string(line.status().message()).c_str());
    return 2;
  }
  auto dir = line->Require("model");
  if (!dir.ok()) {
    std::fprintf(stderr, "hybridtool inspect: %s\n", std::string(dir.status().message()).c_str());
    return 2;
  }
  auto config = engine::LoadConfigJsonFile(*dir + "/config.json");
  if (!config.ok()) return Fail(config.status());
  auto spec = engine::BuildModelSpec(*config);
  if (!spec.ok()) return Fail(spec.status());
  auto checkpoint = engine::Checkpoint::Open(*dir);
  if (!checkpoint.ok()) return Fail(checkpoint.status());

  const engine::ModelSummary summary = engine::Summarize(*spec);
  std::map<std::string, int64_t> dtype_counts;  // dtype -> stored tensors
  for (const std::string& name : (*checkpoint)->TensorNames()) {
    ++dtype_counts[std::string(engine::DTypeName((*checkpoint)->Find(name)->dtype))];
  }
  if (line->Has("json")) {
    nlohmann::json out = summary.ToJson();
    out["dtypes"] = dtype_counts;
    out["checkpoint_bytes"] = (*checkpoint)->total_bytes();
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const std::string& text : summary.ToLines()) std::printf("%s\n", text.c_str());
  std::string dtypes;
  for (const auto& [dtype, count] : dtype_counts) {
    absl::StrAppend(&dtypes, dtypes.empty() ? "" : ", ", dtype, " x ", count);
  }
  std::printf("stored dtypes: %s (%s bytes)\n", dtypes.c_str(),
              absl::StrFormat("%d", (*checkpoint)->total_bytes()).c_str());
  return 0;
}

}  // namespace hybridserve::tools
