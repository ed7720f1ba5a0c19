// Engine throughput on the CPU backend: 1, 8 and 32 concurrent greedy requests through the
// engine core on a random-weight model of about 100M parameters, with the step-time breakdown
// (schedule / forward / sample). Output tokens/s counts generated tokens; total tokens/s adds
// the prompt tokens computed.
//
//   engine_bench [--prompt 64] [--output 32] [--threads 0] [config.json]
// Default config: benchmarks/configs/nemotron_h_100m.json.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/model/cpu_model.h"
#include "engine/model/random_checkpoint.h"
#include "engine/serving/engine_core.h"
#include "nlohmann/json.hpp"

namespace {

using namespace hybridserve::engine;  // NOLINT: a benchmark's main file
namespace fs = std::filesystem;

int Run(int argc, char** argv) {
  int64_t prompt = 64, output = 32;
  int threads = 0;
  std::string config_path = std::string(HS_BENCH_CONFIG_DIR) + "/nemotron_h_100m.json";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--prompt" && i + 1 < argc)
      prompt = std::atoll(argv[++i]);
    else if (arg == "--output" && i + 1 < argc)
      output = std::atoll(argv[++i]);
    else if (arg == "--threads" && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (arg == "--help" || arg == "-h") {
      std::puts("usage: engine_bench [--prompt 64] [--output 32] [--threads 0] [config.json]");
      return 0;
    } else if (arg.rfind("--", 0) == 0) {
      std::fprintf(stderr, "engine_bench: unknown flag %s (see --help)\n", arg.c_str());
      return 2;
    } else
      config_path = arg;
  }
  nlohmann::json config = nlohmann::json::parse(std::ifstream(config_path), nullptr, false);
  if (config.is_discarded()) {
    std::fprintf(stderr, "%s: not valid JSON\n", config_path.c_str());
    return 1;
  }
  const fs::path dir = fs::temp_directory_path() / "hs_engine_bench_model";
  if (auto s = WriteRandomCheckpoint(config, dir.string()); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  auto model = CpuModel::Load(dir.string(), {.num_threads = threads});
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", std::string(model.status().message()).c_str());
    return 1;
  }
  const int64_t V = (*model)->spec().vocab_size;
  std::printf("model %s (%s), prompt %lld, output %lld tokens per request\n", config_path.c_str(),
              (*model)->spec().model_type.c_str(), static_cast<long long>(prompt),
              static_cast<long long>(output));
  std::printf(
      "| concurrent | wall s | output tok/s | total tok/s | steps | schedule s | forward s "
      "| sample s |\n|---|---|---|---|---|---|---|---|\n");
  for (int concurrency : {1, 8, 32}) {
    EngineOptions options;
    options.cache.kv_cache_bytes = int64_t{1} << 30;
    options.cache.ssm_cache_bytes = int64_t{2} << 30;
    options.cache.max_running = concurrency;
    options.max_num_batched_tokens = 512;
    options.max_prefill_chunk_tokens = 256;
    auto core = EngineCore::Create(model->get(), options);
    if (!core.ok()) {
      std::fprintf(stderr, "%s\n", std::string(core.status().message()).c_str());
      return 1;
    }
    for (int i = 0; i < concurrency; ++i) {
      GenerationRequest r;
      for (int64_t t = 0; t < prompt; ++t)
        r.prompt.push_back(static_cast<int32_t>((t * 31 + i * 7 + 3) % V));
      r.sampling.temperature = 0.0f;
      r.sampling.max_tokens = output;
      r.sampling.ignore_eos = true;
      if (auto s = (*core)->AddRequest(i, r); !s.ok()) return 1;
    }
    const auto begin = std::chrono::steady_clock::now();
    while ((*core)->HasWork()) (*core)->Step();
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    const EngineStats s = (*core)->stats();
    std::printf("| %d | %.2f | %.1f | %.1f | %lld | %.3f | %.2f | %.3f |\n", concurrency, wall,
                s.generated_tokens / wall, (s.generated_tokens + s.prompt_tokens_computed) / wall,
                static_cast<long long>(s.num_steps), s.schedule_seconds, s.forward_seconds,
                s.sample_seconds);
    std::fflush(stdout);
  }
  fs::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
