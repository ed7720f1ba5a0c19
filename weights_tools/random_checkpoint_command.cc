// `hybridtool random-checkpoint`: writes a random-weight checkpoint for a config.json (every
// tensor the family adapter expects, values in sensible ranges), for benchmarks, tests and
// demo models without downloading any weights.
#include <cstdio>
#include <string>

#include "engine/model/config_reader.h"
#include "engine/model/random_checkpoint.h"
#include "weights_tools/command_line.h"
#include "weights_tools/commands.h"

namespace hybridserve::tools {
namespace {

constexpr char kHelp[] =
    "usage: hybridtool random-checkpoint --config FILE --out DIR [--seed N] [--dtype "
    "f32|bf16|f16]\n"
    "\n"
    "Writes DIR/config.json and DIR/model.safetensors: a checkpoint of the architecture described\n"
    "by FILE (a Hugging Face config.json) with random weights (matrices ~ N(0, 0.02), norm "
    "weights\n"
    "near 1, A_log / dt_bias / D in their usual ranges). Other files in DIR are left alone.\n"
    "\n"
    "  --config FILE   config.json to build (any supported architecture)\n"
    "  --out DIR       output directory (created if needed)\n"
    "  --seed N        random seed (default 0)\n"
    "  --dtype T       stored dtype: f32 (default), bf16 or f16\n";

}  // namespace

int RandomCheckpointCommand(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(kHelp, stdout);
      return 0;
    }
  }
  auto line = CommandLine::Parse(args, {"config", "out", "seed", "dtype"}, {});
  if (!line.ok()) {
    std::fprintf(stderr, "hybridtool random-checkpoint: %s\n",
                 std::string(line.status().message()).c_str());
    return 2;
  }
  auto config_path = line->Require("config");
  auto out = line->Require("out");
  auto seed = line->GetInt("seed", 0);
  for (const absl::Status& status : {config_path.status(), out.status(), seed.status()}) {
    if (!status.ok()) {
      std::fprintf(stderr, "hybridtool random-checkpoint: %s\n",
                   std::string(status.message()).c_str());
      return 2;
    }
  }
  engine::RandomCheckpointOptions options;
  options.seed = static_cast<uint64_t>(*seed);
  const std::string dtype = line->Get("dtype").value_or("f32");
  if (dtype == "f32") {
    options.dtype = engine::DType::kF32;
  } else if (dtype == "bf16") {
    options.dtype = engine::DType::kBF16;
  } else if (dtype == "f16") {
    options.dtype = engine::DType::kF16;
  } else {
    std::fprintf(stderr,
                 "hybridtool random-checkpoint: --dtype must be f32, bf16 or f16, got \"%s\"\n",
                 dtype.c_str());
    return 2;
  }
  auto config = engine::LoadConfigJsonFile(*config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "hybridtool random-checkpoint: %s\n",
                 std::string(config.status().message()).c_str());
    return 1;
  }
  if (auto status = engine::WriteRandomCheckpoint(*config, *out, options); !status.ok()) {
    std::fprintf(stderr, "hybridtool random-checkpoint: %s\n",
                 std::string(status.message()).c_str());
    return 1;
  }
  std::printf("wrote %s/config.json and %s/model.safetensors\n", out->c_str(), out->c_str());
  return 0;
}

}  // namespace hybridserve::tools
