// CPU model throughput beside the machine's memory-bandwidth roofline.
//
// For each config under benchmarks/configs/ (or the files given on the command line) this writes
// a random-weight fp32 checkpoint, then measures prefill tokens/s (one prompt of --prompt tokens)
// and batch-1 greedy decode tokens/s (--decode steps after that prompt). Decode at batch 1 reads
// every weight once per token, so its roofline is bandwidth / weight bytes per token; the
// bandwidth is measured here by streaming reads over a buffer much larger than the caches.
//
//   cpu_model_bench [--prompt 512] [--decode 32] [--threads 0] [config.json ...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "engine/model/cpu_model.h"
#include "engine/model/greedy_run.h"
#include "engine/model/random_checkpoint.h"
#include "nlohmann/json.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using hybridserve::engine::CacheStore;
using hybridserve::engine::CpuModel;
using hybridserve::engine::SequenceChunk;

double Seconds(Clock::time_point begin) {
  return std::chrono::duration<double>(Clock::now() - begin).count();
}

// Read bandwidth in bytes/s: every thread sums its share of a 1 GiB buffer; best of 5 passes.
double MeasureReadBandwidth(int threads) {
  const size_t n = size_t{1} << 28;  // 256 Mi floats = 1 GiB
  std::vector<float> buffer(n, 1.0f);
  double best = 0.0;
  for (int pass = 0; pass < 5; ++pass) {
    std::vector<double> sums(static_cast<size_t>(threads));
    const auto begin = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        const size_t lo = n * t / threads, hi = n * (t + 1) / threads;
        float acc[8] = {};
        for (size_t i = lo; i + 8 <= hi; i += 8) {
          for (int j = 0; j < 8; ++j) acc[j] += buffer[i + j];
        }
        sums[t] = std::accumulate(acc, acc + 8, 0.0);
      });
    }
    for (auto& w : workers) w.join();
    const double seconds = Seconds(begin);
    if (std::accumulate(sums.begin(), sums.end(), 0.0) < 0) std::puts("");  // keep the reads
    best = std::max(best, static_cast<double>(n * sizeof(float)) / seconds);
  }
  return best;
}

struct Options {
  int64_t prompt = 512;
  int64_t decode = 32;
  int threads = 0;
  std::vector<std::string> configs;
};

int Run(const Options& options) {
  const int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  const double bandwidth = MeasureReadBandwidth(threads);
  std::printf("memory read bandwidth: %.2f GB/s (%d threads)\n\n", bandwidth / 1e9, threads);
  std::printf(
      "| config | params (M) | prefill %lld tok/s | decode tok/s | roofline tok/s | %% of roofline "
      "|\n",
      static_cast<long long>(options.prompt));
  std::printf("|---|---|---|---|---|---|\n");
  for (const std::string& path : options.configs) {
    std::ifstream file(path);
    const nlohmann::json config = nlohmann::json::parse(file, nullptr, false);
    if (config.is_discarded()) {
      std::fprintf(stderr, "%s: not valid JSON\n", path.c_str());
      return 1;
    }
    const std::string dir =
        (fs::temp_directory_path() / "hybridserve-bench" / fs::path(path).stem()).string();
    if (auto status = hybridserve::engine::WriteRandomCheckpoint(config, dir); !status.ok()) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), std::string(status.message()).c_str());
      return 1;
    }
    hybridserve::engine::CpuModelOptions model_options;
    model_options.num_threads = threads;
    auto model = CpuModel::Load(dir, model_options);
    if (!model.ok()) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), std::string(model.status().message()).c_str());
      return 1;
    }
    const int64_t V = (*model)->spec().vocab_size;
    const int64_t total = options.prompt + options.decode + 1;
    const int64_t block = 16, blocks = (total + block - 1) / block;
    CacheStore cache((*model)->spec(), blocks, block, 1);
    std::vector<int32_t> table(static_cast<size_t>(blocks));
    std::iota(table.begin(), table.end(), 0);
    std::vector<int32_t> prompt(static_cast<size_t>(options.prompt));
    for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<int32_t>((i * 7919) % V);

    std::vector<float> logits;
    SequenceChunk chunk{prompt, 0, table, 0, false};
    auto begin = Clock::now();
    if (auto s = (*model)->Forward({&chunk, 1}, &cache, &logits); !s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 1;
    }
    const double prefill_s = Seconds(begin);
    int32_t token = hybridserve::engine::ArgMax(logits);
    begin = Clock::now();
    for (int64_t i = 0; i < options.decode; ++i) {
      logits.clear();
      SequenceChunk step{absl::MakeConstSpan(&token, 1), options.prompt + i, table, 0, false, true};
      if (auto s = (*model)->Forward({&step, 1}, &cache, &logits); !s.ok()) {
        std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
        return 1;
      }
      token = hybridserve::engine::ArgMax(logits);
    }
    const double decode_s = Seconds(begin);
    // Bytes read per decoded token: every stored weight except the embedding table, of which a
    // single row is read (when the lm_head is tied, the table is read in full as the lm_head).
    const auto& spec = (*model)->spec();
    const double params = static_cast<double>((*model)->weights().num_stored_floats());
    const bool tied = spec.lm_head.weight.name == spec.embedding.name;
    const double embed = static_cast<double>(spec.vocab_size * spec.hidden_size);
    const double bytes_per_token = 4.0 * (tied ? params : params - embed + spec.hidden_size);
    const double decode_tps = options.decode / decode_s;
    const double roofline = bandwidth / bytes_per_token;
    std::printf("| %s | %.1f | %.1f | %.2f | %.2f | %.0f%% |\n", fs::path(path).stem().c_str(),
                params / 1e6, options.prompt / prefill_s, decode_tps, roofline,
                100.0 * decode_tps / roofline);
    std::fflush(stdout);
    fs::remove_all(dir);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--prompt") {
      options.prompt = std::stoll(next());
    } else if (arg == "--decode") {
      options.decode = std::stoll(next());
    } else if (arg == "--threads") {
      options.threads = std::stoi(next());
    } else if (arg == "--help" || arg == "-h") {
      std::puts(
          "usage: cpu_model_bench [--prompt 512] [--decode 32] [--threads 0] [config.json ...]");
      return 0;
    } else {
      options.configs.push_back(arg);
    }
  }
  if (options.configs.empty()) {
    const fs::path dir = fs::path(HS_BENCH_CONFIG_DIR);
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() == ".json") options.configs.push_back(entry.path().string());
    }
    std::sort(options.configs.begin(), options.configs.end());
  }
  if (options.prompt < 1 || options.decode < 1) {
    std::fputs("--prompt and --decode must be >= 1\n", stderr);
    return 2;
  }
  return Run(options);
}
