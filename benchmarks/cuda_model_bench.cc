// Whole-model speed on the GPU, beside the hardware's limits: random-weight models of real
// checkpoints' shapes (benchmarks/configs), bf16 weights and KV, fp32 SSM state.
//   prefill: one sequence of L prompt tokens in one step -> tokens/s and % of the matmul roofline
//            (FLOPs / 790 TFLOP/s: 2 x matmul params x L + causal attention 2 x nq x hd x L^2)
//   decode:  B sequences, each with C tokens of context, one token each per step -> tokens/s and %
//            of the bandwidth roofline (bytes moved per step / 4.3 TB/s: every weight but the
//            embedding table once, the KV of C tokens per sequence, the SSM and conv states read
//            and written)
// The caches' contents are zeros (a decode step's cost does not depend on them), so no prefill
// of B x C tokens is needed. Times are wall-clock per Forward (host work, launches and the logits
// copy included), after warm-up.
//
// --tp N splits the model over GPUs 0..N-1 (tensor parallelism, NCCL); the rooflines are then
// those of N GPUs (N times the bandwidth and FLOP/s), and scaling efficiency is
// (tokens/s at N) / (N x tokens/s at 1).
//
//   cuda_model_bench [--configs nemotron_h_8b,falcon_h1_1p5b] [--dtype bf16|f16|f32]
//                    [--prefill 512,4096,32768] [--batches 1,16,64,256] [--contexts 1024,8192]
//                    [--iters 20] [--tp 1] [--graphs 1] [--decode-split-keys 64] [--json FILE]
// --graphs 0 launches decode steps kernel by kernel instead of replaying CUDA graphs.
// --decode-split-keys sets the decode attention kernel's shortest key partition.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "engine/cuda/cuda_model.h"
#include "engine/cuda/tensor_parallel_model.h"
#include "engine/model/cache_store.h"
#include "engine/model/config_reader.h"
#include "engine/model/families/family_registry.h"
#include "engine/model/tensor_refs.h"
#include "kernels/cuda/attention_decode.h"
#include "nlohmann/json.hpp"

namespace hs = hybridserve::engine;
namespace kc = hybridserve::kernels::cuda;

namespace {

constexpr double kBandwidth = 4.3e12;   // bytes/s, measured H200
constexpr double kMatmulPeak = 7.9e14;  // bf16 FLOP/s, measured H200
constexpr int64_t kBlock = 16;

std::vector<int64_t> Ints(const std::string& text) {
  std::vector<int64_t> out;
  for (absl::string_view piece : absl::StrSplit(text, ',')) {
    int64_t v = 0;
    if (absl::SimpleAtoi(piece, &v)) out.push_back(v);
  }
  return out;
}

struct Shape {
  int64_t matmul_params = 0;  // every GEMM weight (lm_head included, embedding table excluded)
  int64_t weight_bytes_read = 0;
  int64_t attention_layers = 0;
  int64_t nq = 0, nkv = 0, hd = 0;
  int64_t ssm_state_floats = 0;  // per sequence, all layers
  int64_t conv_floats = 0;       // per sequence, all layers
};

Shape Measure(const hs::ModelSpec& spec, int64_t dtype_bytes) {
  Shape s;
  hs::ForEachTensorRef(spec, [&](std::string_view path, const hs::TensorRef& ref) {
    if (!ref.present()) return;
    const int64_t n = hs::NumElements(ref.shape);
    if (path == "embedding") return;
    s.weight_bytes_read += n * dtype_bytes;
    if (ref.shape.size() == 2 && path.find("weight") != std::string_view::npos) {
      s.matmul_params += n;
    }
  });
  for (const hs::KvLayerShape& kv : hs::KvLayerShapes(spec)) {
    ++s.attention_layers;
    s.nkv = kv.num_kv_heads;
    s.hd = kv.head_dim;
  }
  for (const hs::LayerSpec& layer : spec.layers) {
    if (layer.attention) s.nq = layer.attention->num_heads;
  }
  for (const hs::SsmLayerShape& ssm : hs::SsmLayerShapes(spec)) {
    s.ssm_state_floats += ssm.state_floats;
    s.conv_floats += ssm.conv_channels * ssm.conv_width;
  }
  return s;
}

double TimeSteps(hs::ModelRunner& model, hs::ModelCache* cache,
                 const std::vector<hs::SequenceChunk>& chunks, int warmup, int iters) {
  std::vector<float> logits;
  for (int i = 0; i < warmup; ++i) {
    logits.clear();
    const absl::Status status = model.Forward(chunks, cache, &logits);
    if (!status.ok()) {
      std::fprintf(stderr, "forward failed: %s\n", std::string(status.message()).c_str());
      std::exit(1);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) {
    logits.clear();
    (void)model.Forward(chunks, cache, &logits);
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return elapsed.count() / iters;
}

}  // namespace

int main(int argc, char** argv) {
  std::string configs = "nemotron_h_8b,falcon_h1_1p5b", dtype_name = "bf16", json_path;
  std::vector<int64_t> prefill = {512, 4096, 32768}, batches = {1, 16, 64, 256},
                       contexts = {1024, 8192};
  int iters = 20, tp = 1;
  bool graphs = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--configs")
      configs = value;
    else if (flag == "--dtype")
      dtype_name = value;
    else if (flag == "--prefill")
      prefill = Ints(value);
    else if (flag == "--batches")
      batches = Ints(value);
    else if (flag == "--contexts")
      contexts = Ints(value);
    else if (flag == "--iters")
      iters = std::stoi(value);
    else if (flag == "--graphs")
      graphs = value != "0";
    else if (flag == "--tp")
      tp = std::stoi(value);
    else if (flag == "--decode-split-keys")
      kc::SetDecodeAttentionMinSplitKeys(std::stoi(value));
    else if (flag == "--json")
      json_path = value;
    else {
      std::fprintf(stderr, "unknown flag %s (see the comment at the top of the source)\n",
                   flag.c_str());
      return 2;
    }
  }
  const kc::DType dtype = dtype_name == "f32"   ? kc::DType::kF32
                          : dtype_name == "f16" ? kc::DType::kF16
                                                : kc::DType::kBF16;
  nlohmann::json report = nlohmann::json::array();
  std::mt19937 rng(7);
  for (absl::string_view config_name : absl::StrSplit(configs, ',')) {
    const std::string path =
        std::string(HS_BENCH_CONFIG_DIR) + "/" + std::string(config_name) + ".json";
    auto config = hs::LoadConfigJsonFile(path);
    if (!config.ok()) {
      std::fprintf(stderr, "%s\n", std::string(config.status().message()).c_str());
      return 1;
    }
    auto spec = hs::BuildModelSpec(*config);
    if (!spec.ok()) {
      std::fprintf(stderr, "%s\n", std::string(spec.status().message()).c_str());
      return 1;
    }
    const Shape shape = Measure(*spec, kc::DTypeBytes(dtype));
    absl::StatusOr<std::unique_ptr<hs::ModelRunner>> model;
    if (tp > 1) {
      auto split = hs::TensorParallelModel::CreateRandom(*spec, dtype, 1, {.world = tp});
      if (split.ok()) (*split)->set_decode_graphs(graphs);
      model = std::move(split);
    } else {
      auto single = hs::CudaModel::CreateRandom(*spec, dtype, 1);
      if (single.ok()) (*single)->set_decode_graphs(graphs);
      model = std::move(single);
    }
    if (!model.ok()) {
      std::fprintf(stderr, "%s\n", std::string(model.status().message()).c_str());
      return 1;
    }
    std::printf(
        "== %s (%s, %d GPU, decode graphs %s): %.2fB matmul params, %.2f GB of weights read per "
        "decode step\n",
        std::string(config_name).c_str(), dtype_name.c_str(), tp, graphs ? "on" : "off",
        shape.matmul_params / 1e9, shape.weight_bytes_read / 1e9);
    std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(spec->vocab_size - 1));

    for (int64_t L : prefill) {
      auto cache = (*model)->CreateCache((L + kBlock - 1) / kBlock, kBlock, 1);
      if (!cache.ok()) {
        std::fprintf(stderr, "%s\n", std::string(cache.status().message()).c_str());
        continue;
      }
      std::vector<int32_t> tokens(L), table((L + kBlock - 1) / kBlock);
      for (auto& t : tokens) t = token(rng);
      std::iota(table.begin(), table.end(), 0);
      hs::SequenceChunk chunk;
      chunk.tokens = tokens;
      chunk.block_table = table;
      const int reps = L >= 16384 ? 3 : 5;
      const double seconds = TimeSteps(**model, cache->get(), {chunk}, 1, reps);
      const double flops = 2.0 * shape.matmul_params * L +
                           2.0 * shape.attention_layers * shape.nq * shape.hd * double(L) * L;
      const double roofline = flops / (kMatmulPeak * tp);
      std::printf("prefill L=%-6lld %10.0f tok/s  %8.2f ms  matmul roofline %8.2f ms  %5.1f%%\n",
                  static_cast<long long>(L), L / seconds, seconds * 1e3, roofline * 1e3,
                  100.0 * roofline / seconds);
      report.push_back({{"model", config_name},
                        {"tp", tp},
                        {"kind", "prefill"},
                        {"tokens", L},
                        {"tokens_per_s", L / seconds},
                        {"ms", seconds * 1e3},
                        {"roofline_ms", roofline * 1e3},
                        {"percent", 100.0 * roofline / seconds}});
    }

    for (int64_t C : contexts) {
      for (int64_t B : batches) {
        const int64_t blocks_per_seq = (C + 1 + kBlock - 1) / kBlock;
        auto cache = (*model)->CreateCache(B * blocks_per_seq, kBlock, B);
        if (!cache.ok()) {
          std::fprintf(stderr, "decode B=%lld C=%lld: %s\n", static_cast<long long>(B),
                       static_cast<long long>(C), std::string(cache.status().message()).c_str());
          continue;
        }
        std::vector<int32_t> tokens(B);
        for (auto& t : tokens) t = token(rng);
        std::vector<std::vector<int32_t>> tables(B, std::vector<int32_t>(blocks_per_seq));
        std::vector<hs::SequenceChunk> chunks(B);
        for (int64_t b = 0; b < B; ++b) {
          std::iota(tables[b].begin(), tables[b].end(), static_cast<int32_t>(b * blocks_per_seq));
          chunks[b].tokens = absl::MakeConstSpan(&tokens[b], 1);
          chunks[b].start_position = C;
          chunks[b].block_table = tables[b];
          chunks[b].ssm_slot = static_cast<int32_t>(b);
          chunks[b].decode = true;
        }
        const double seconds = TimeSteps(**model, cache->get(), chunks, 3, iters);
        const double bytes = shape.weight_bytes_read +
                             double(B) * (C + 1) * shape.attention_layers * 2 * shape.nkv *
                                 shape.hd * kc::DTypeBytes(dtype) +
                             double(B) * 2 * 4 * (shape.ssm_state_floats + shape.conv_floats);
        const double roofline = bytes / (kBandwidth * tp);
        std::printf(
            "decode  B=%-4lld C=%-6lld %10.0f tok/s  %8.3f ms/step  %7.2f GB/step  bandwidth "
            "roofline %8.3f ms  %5.1f%%\n",
            static_cast<long long>(B), static_cast<long long>(C), B / seconds, seconds * 1e3,
            bytes / 1e9, roofline * 1e3, 100.0 * roofline / seconds);
        report.push_back({{"model", config_name},
                          {"tp", tp},
                          {"graphs", graphs},
                          {"kind", "decode"},
                          {"batch", B},
                          {"context", C},
                          {"tokens_per_s", B / seconds},
                          {"ms_per_step", seconds * 1e3},
                          {"gb_per_step", bytes / 1e9},
                          {"roofline_ms", roofline * 1e3},
                          {"percent", 100.0 * roofline / seconds}});
      }
    }
  }
  if (!json_path.empty()) std::ofstream(json_path) << report.dump(2) << "\n";
  return 0;
}
