// `hybridtool logits`: the public contract for checking the engine against other
// implementations. Output (--json): {"prompt_logits": [[...] per prompt position],
// "generated_tokens": [...], "step_logits": [[...] per generated token]}.
#include <cstdio>
#include <iostream>

#include "absl/strings/str_format.h"
#include "engine/model/greedy_run.h"
#include "engine/runner/load_runner.h"
#include "nlohmann/json.hpp"
#include "weights_tools/command_line.h"
#include "weights_tools/commands.h"

namespace hybridserve::tools {
namespace {

constexpr char kHelp[] =
    "usage: hybridtool logits --model DIR --tokens 5,17,33 [--generate N] [--json]\n"
    "\n"
    "Runs the model on the given token ids (one prefill), then decodes N tokens greedily through\n"
    "the decode path (one token per step, using the caches).\n"
    "\n"
    "  --model DIR           Hugging Face checkpoint directory (config.json + *.safetensors)\n"
    "  --tokens IDS          comma-separated prompt token ids (at least one)\n"
    "  --generate N          greedy decode steps (default 0)\n"
    "  --prefill-chunk N     run the prompt in chunks of N tokens (default: one chunk)\n"
    "  --device D            cpu, cuda or auto (default cpu)\n"
    "  --dtype T             CUDA storage type: auto (the checkpoint's), f32, bf16 or f16\n"
    "  --kv-dtype T          CUDA KV-cache type: auto (as --dtype), f32, bf16 or f16\n"
    "  --tensor-parallel-size N  split the model over CUDA GPUs 0..N-1 (default 1)\n"
    "  --threads N           CPU threads (default: all)\n"
    "  --json                print one JSON object: prompt_logits, generated_tokens, step_logits\n";

void PrintSummary(const engine::GreedyRunResult& result) {
  auto top = [](const std::vector<float>& row) {
    const int32_t best = engine::ArgMax(row);
    return absl::StrFormat("argmax %d (%.4f)", best, row[best]);
  };
  std::printf("prompt positions: %zu, vocab: %zu\n", result.prompt_logits.size(),
              result.prompt_logits.empty() ? size_t{0} : result.prompt_logits[0].size());
  for (size_t t = 0; t < result.prompt_logits.size(); ++t) {
    std::printf("  position %zu: %s\n", t, top(result.prompt_logits[t]).c_str());
  }
  std::printf("generated:");
  for (int32_t token : result.generated_tokens) std::printf(" %d", token);
  std::printf("\n");
}

}  // namespace

int LogitsCommand(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(kHelp, stdout);
      return 0;
    }
  }
  auto line = CommandLine::Parse(args,
                                 {"model", "tokens", "generate", "prefill-chunk", "threads",
                                  "device", "dtype", "kv-dtype", "tensor-parallel-size"},
                                 {"json"});
  if (!line.ok()) {
    std::fprintf(stderr, "hybridtool logits: %s\n", line.status().message().data());
    return 2;
  }
  auto model_dir = line->Require("model");
  auto tokens = line->GetIntList("tokens");
  auto generate = line->GetInt("generate", 0);
  auto chunk = line->GetInt("prefill-chunk", 0);
  auto threads = line->GetInt("threads", 0);
  auto tensor_parallel = line->GetInt("tensor-parallel-size", 1);
  for (const absl::Status& status : {model_dir.status(), tokens.status(), generate.status(),
                                     chunk.status(), threads.status(), tensor_parallel.status()}) {
    if (!status.ok()) {
      std::fprintf(stderr, "hybridtool logits: %s\n", std::string(status.message()).c_str());
      return 2;
    }
  }
  if (tokens->empty()) {
    std::fprintf(stderr, "hybridtool logits: --tokens needs at least one token id\n");
    return 2;
  }
  if (*generate < 0 || *chunk < 0) {
    std::fprintf(stderr, "hybridtool logits: --generate and --prefill-chunk must be >= 0\n");
    return 2;
  }
  engine::RunnerOptions options;
  options.num_threads = static_cast<int>(*threads);
  options.device = line->Get("device").value_or("cpu");
  options.dtype = line->Get("dtype").value_or("auto");
  options.kv_dtype = line->Get("kv-dtype").value_or("auto");
  options.tensor_parallel_size = static_cast<int>(*tensor_parallel);
  auto model = engine::LoadModelRunner(*model_dir, options);
  if (!model.ok()) {
    std::fprintf(stderr, "hybridtool logits: %s\n", std::string(model.status().message()).c_str());
    return 1;
  }
  auto result = engine::RunGreedy(*model->runner, *tokens, *generate, *chunk);
  if (!result.ok()) {
    std::fprintf(stderr, "hybridtool logits: %s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  if (line->Has("json")) {
    nlohmann::json out;
    out["prompt_logits"] = result->prompt_logits;
    out["generated_tokens"] = result->generated_tokens;
    out["step_logits"] = result->step_logits;
    std::cout << out.dump() << "\n";
  } else {
    PrintSummary(*result);
  }
  return 0;
}

}  // namespace hybridserve::tools
