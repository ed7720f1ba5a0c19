// Tokenizer encode throughput, one thread, on deterministic text (the generator of
// tests/golden/tokenizer/bench_text.py, reimplemented here byte for byte: ~4 MB of mixed
// English/multilingual/code-like documents of ~4 KB each), for each committed tokenizer kind.
//
//   build/benchmarks/tokenizer_bench --benchmark_min_time=2
//
// Reports bytes_per_second (MB/s = that / 1e6). The tokenizer files are read from
// $HS_TOKENIZER_DATA_DIR, default tests/golden/tokenizer/data next to this source tree.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace hybridserve::engine {
namespace {

const char* const kWords[] = {
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "he",
    "I",
    "this",
    "are",
    "or",
    "his",
    "from",
    "at",
    "which",
    "but",
    "have",
    "an",
    "had",
    "they",
    "you",
    "were",
    "their",
    "one",
    "all",
    "we",
    "can",
    "her",
    "has",
    "there",
    "been",
    "if",
    "more",
    "when",
    "will",
    "would",
    "who",
    "so",
    "no",
    "model",
    "state",
    "space",
    "tokenizer",
    "inference",
    "server",
    "attention",
    "sequence",
    "Mamba",
    "hybrid",
    "don't",
    "it's",
    "we're",
    "they've",
    "I'll",
    "she'd",
    "HTTP",
    "JSON",
    "GPU",
    "(x)",
    "[1]",
    "x = f(y);",
    "return",
    "def",
    "self.value",
    "{\"key\": 1}",
    "--flag",
    "a/b/c",
    "e.g.",
    "naïve",
    "café",
    "Zürich",
    "São",
    "Paulo",
    "Ελλάδα",
    "Москва",
    "привет",
    "мир",
    "東京",
    "日本語",
    "中文",
    "北京",
    "한국어",
    "مرحبا",
    "العالم",
    "हिन्दी",
    "😀",
    "👍🏽",
    "🚀",
    "extraordinarily",
    "internationalization",
    "tokenization",
    "synchronization",
};
constexpr uint64_t kNumWords = sizeof(kWords) / sizeof(kWords[0]);
constexpr size_t kDocBytes = 4096;
constexpr size_t kTotalBytes = 4'000'000;

class Lcg {
 public:
  explicit Lcg(uint64_t seed) : state_(seed) {}
  uint64_t Draw() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return state_ >> 33;
  }

 private:
  uint64_t state_;
};

std::vector<std::string> Documents(size_t total_bytes) {
  Lcg rng(0x5EED);
  std::vector<std::string> docs;
  size_t total = 0;
  while (total < total_bytes) {
    std::string doc;
    while (doc.size() < kDocBytes) {
      const uint64_t num_words = 4 + rng.Draw() % 16;
      for (uint64_t i = 0; i < num_words; ++i) {
        if (i > 0) doc.push_back(' ');
        const uint64_t d = rng.Draw();
        if (d % 11 == 0) {
          doc += std::to_string(rng.Draw() % 100000);
        } else {
          doc += kWords[d % kNumWords];
        }
      }
      doc += rng.Draw() % 5 == 0 ? ".\n" : ". ";
    }
    total += doc.size();
    docs.push_back(std::move(doc));
  }
  return docs;
}

const std::vector<std::string>& BenchDocuments() {
  static const auto* docs = new std::vector<std::string>(Documents(kTotalBytes));
  return *docs;
}

std::string DataDir() {
  if (const char* dir = std::getenv("HS_TOKENIZER_DATA_DIR")) return dir;
  std::string file = __FILE__;
  return file.substr(0, file.rfind('/')) + "/../tests/golden/tokenizer/data";
}

void BM_Encode(benchmark::State& state, const std::string& kind) {
  auto tokenizer = Tokenizer::FromFile(DataDir() + "/" + kind + "/tokenizer.json");
  if (!tokenizer.ok()) {
    state.SkipWithError(std::string(tokenizer.status().message()).c_str());
    return;
  }
  const auto& docs = BenchDocuments();
  size_t bytes = 0;
  for (const auto& doc : docs) bytes += doc.size();
  size_t num_tokens = 0;
  for (auto _ : state) {
    num_tokens = 0;
    for (const auto& doc : docs) {
      auto ids = (*tokenizer)->Encode(doc, /*add_special_tokens=*/false);
      num_tokens += ids->size();
      benchmark::DoNotOptimize(ids->data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["tokens"] = static_cast<double>(num_tokens);
  state.counters["docs"] = static_cast<double>(docs.size());
}

void BM_EncodeCold(benchmark::State& state, const std::string& kind) {
  // A fresh tokenizer (empty word cache) per iteration; loading is not timed.
  const auto& docs = BenchDocuments();
  size_t bytes = 0;
  for (const auto& doc : docs) bytes += doc.size();
  for (auto _ : state) {
    state.PauseTiming();
    auto tokenizer = Tokenizer::FromFile(DataDir() + "/" + kind + "/tokenizer.json");
    state.ResumeTiming();
    if (!tokenizer.ok()) {
      state.SkipWithError(std::string(tokenizer.status().message()).c_str());
      return;
    }
    for (const auto& doc : docs) {
      auto ids = (*tokenizer)->Encode(doc, /*add_special_tokens=*/false);
      benchmark::DoNotOptimize(ids->data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

int RegisterAll() {
  for (const char* kind : {"gpt2", "llama3", "spm", "spm_metaspace", "nfkc"}) {
    benchmark::RegisterBenchmark((std::string("BM_Encode/") + kind).c_str(), BM_Encode, kind)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((std::string("BM_EncodeCold/") + kind).c_str(), BM_EncodeCold,
                                 kind)
        ->Unit(benchmark::kMillisecond);
  }
  return 0;
}
const int kRegistered = RegisterAll();

}  // namespace
}  // namespace hybridserve::engine

BENCHMARK_MAIN();
