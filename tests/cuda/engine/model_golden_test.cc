// Every family on the CUDA backend against the transformers reference data of
// tests/golden/data: fp32 logits within the CPU backend's tolerance (1e-4 of max(1, max |logit|)
// per row) and the same greedy tokens, with the prompt in one step and in 5-token chunks; bf16
// weights (fp32 KV cache) within bf16 tolerance with the same greedy tokens; bf16 weights and KV
// cache with the prompt's logits within bf16 tolerance; and a forward on a cache of the wrong
// backend is refused.
//
// Greedy tokens in bf16: the tiny random-weight checkpoints have near-ties (random logits differ by
// little), and bf16 rounding of K and V alone flips a greedy token of nemotron_h on the CPU
// reference too (checked by rounding the CPU WriteKv's output). So a bf16 run must give the
// reference's tokens except where the reference's own top choice leads ours by less than the bf16
// tolerance (a near-tie, printed); the steps after such a divergence are not compared, since the
// sequences differ from there on. fp32 runs must give the same tokens, no exceptions. The
// bf16-KV variant is held to its prompt logits only.
//
// One more exception, measured on the H200: nemotron_h with bf16 weights leaves the reference at
// its third decode step by a wide margin (0.35), while the same code with fp16 weights (3 more
// mantissa bits) stays within 0.003 for every step and token, fp32 weights with a bf16 KV cache
// within 0.002, and its bf16 prompt logits within 0.02. Its MoE layer picks one of two expert
// groups per token (n_group 2, topk_group 1) and scales the routed output by 2.5, so a bf16-sized
// change of the hidden state can move a decode token to the other group: a discontinuity of the
// model, not of the kernels. transformers itself in bf16 leaves the reference at the same case and
// step and gives exactly our bf16 tokens (tests/golden/bf16_token_drift.py, whose output is
// data/nemotron_h/bf16_tokens.json). So its bf16 run (prompt in one step) must give transformers'
// bf16 tokens, every case; its logits are held to the prompt's; the fp16 variant holds its every
// decode step. (The chunked bf16 prompt rounds differently from either and is held to the prompt
// logits only.)
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/cuda/cuda_model.h"
#include "engine/model/cache_store.h"
#include "engine/model/greedy_run.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cuda/engine/golden_families.h"

namespace hybridserve::engine {
namespace {

namespace fs = std::filesystem;
using testing::GoldenFamilies;
using testing::MaxRowError;
const fs::path kData = testing::GoldenData();

struct Variant {
  std::string name;
  CudaDType dtype;
  CudaDType kv_dtype;
  int64_t chunk;
  double tolerance;
  bool all_steps;  // compare every decode step and the greedy tokens, not only the prompt
};

// Families whose bf16 decode may leave the reference through an MoE routing switch (see above).
bool RoutingSensitiveInBf16(const std::string& family) { return family == "nemotron_h"; }

// transformers' bf16 greedy tokens of a case (bf16_tokens.json of the family's folder).
std::vector<int32_t> Bf16Tokens(const fs::path& dir, const std::string& case_name) {
  std::ifstream in(dir / "bf16_tokens.json");
  EXPECT_TRUE(in.good()) << dir / "bf16_tokens.json";
  if (!in.good()) return {};
  for (const auto& c : nlohmann::json::parse(in)["cases"]) {
    if (c["name"] == case_name) return c["generated_tokens"].get<std::vector<int32_t>>();
  }
  ADD_FAILURE() << "no case " << case_name << " in " << dir / "bf16_tokens.json";
  return {};
}

class CudaGoldenTest : public ::testing::TestWithParam<std::tuple<std::string, Variant>> {};

TEST_P(CudaGoldenTest, MatchesTransformers) {
  const auto& [family, variant] = GetParam();
  const fs::path dir = kData / family;
  std::ifstream in(dir / "reference.json");
  ASSERT_TRUE(in.good()) << dir;
  const nlohmann::json reference = nlohmann::json::parse(in);
  auto model =
      CudaModel::Load(dir.string(), {.dtype = variant.dtype, .kv_dtype = variant.kv_dtype});
  ASSERT_TRUE(model.ok()) << model.status();
  double worst = 0.0;
  for (const auto& c : reference["cases"]) {
    const auto prompt = c["prompt"].get<std::vector<int32_t>>();
    const auto expected_tokens = c["generated_tokens"].get<std::vector<int32_t>>();
    const auto prompt_logits = c["prompt_logits"].get<std::vector<std::vector<float>>>();
    const auto step_logits = c["step_logits"].get<std::vector<std::vector<float>>>();
    auto run =
        RunGreedy(**model, prompt, static_cast<int64_t>(expected_tokens.size()), variant.chunk);
    ASSERT_TRUE(run.ok()) << run.status();
    ASSERT_EQ(run->prompt_logits.size(), prompt_logits.size());
    for (size_t t = 0; t < prompt_logits.size(); ++t) {
      worst = std::max(worst, MaxRowError(run->prompt_logits[t], prompt_logits[t]));
    }
    if (!variant.all_steps) continue;
    if (variant.dtype == CudaDType::kBF16 && RoutingSensitiveInBf16(family)) {
      if (variant.chunk == 0) {
        EXPECT_EQ(run->generated_tokens, Bf16Tokens(dir, c["name"].get<std::string>()))
            << c["name"] << ": transformers' bf16 tokens";
      }
      continue;
    }
    const bool exact = variant.dtype == CudaDType::kF32;
    for (size_t t = 0; t < step_logits.size(); ++t) {
      worst = std::max(worst, MaxRowError(run->step_logits[t], step_logits[t]));
      const int32_t ours = run->generated_tokens[t], want = expected_tokens[t];
      if (ours == want) continue;
      const double margin =
          (step_logits[t][want] - step_logits[t][ours]) / testing::RowScale(step_logits[t]);
      std::printf("%s %s %s: step %zu chose %d, reference %d (reference margin %.3g)\n",
                  family.c_str(), variant.name.c_str(), c["name"].get<std::string>().c_str(), t,
                  ours, want, margin);
      EXPECT_FALSE(exact) << c["name"] << ": an fp32 run must give the reference's tokens";
      EXPECT_LE(margin, variant.tolerance)
          << c["name"] << ": step " << t << " is not a near-tie of the reference";
      break;
    }
  }
  EXPECT_LE(worst, variant.tolerance);
  std::printf("%s %s: max relative row error %.3g (bound %.g)\n", family.c_str(),
              variant.name.c_str(), worst, variant.tolerance);
}

INSTANTIATE_TEST_SUITE_P(
    Golden, CudaGoldenTest,
    ::testing::Combine(
        ::testing::ValuesIn(GoldenFamilies()),
        ::testing::Values(Variant{"f32", CudaDType::kF32, CudaDType::kF32, 0, 1e-4, true},
                          Variant{"f32_chunk5", CudaDType::kF32, CudaDType::kF32, 5, 1e-4, true},
                          Variant{"bf16", CudaDType::kBF16, CudaDType::kF32, 0, 0.1, true},
                          Variant{"bf16_chunk5", CudaDType::kBF16, CudaDType::kF32, 5, 0.1, true},
                          Variant{"f16", CudaDType::kF16, CudaDType::kF16, 0, 0.1, true},
                          Variant{"bf16_kv_bf16", CudaDType::kBF16, CudaDType::kBF16, 0, 0.1,
                                  false})),
    [](const auto& info) { return std::get<0>(info.param) + "_" + std::get<1>(info.param).name; });

TEST(CudaModelTest, RefusesACpuCache) {
  auto model = CudaModel::Load((kData / "bamba").string(), {.dtype = CudaDType::kF32});
  ASSERT_TRUE(model.ok()) << model.status();
  CacheStore cpu_cache((*model)->spec(), 4, 16, 1);
  const std::vector<int32_t> tokens = {1, 2, 3};
  const std::vector<int32_t> table = {0};
  SequenceChunk chunk;
  chunk.tokens = tokens;
  chunk.block_table = table;
  std::vector<float> logits;
  EXPECT_FALSE((*model)->Forward({&chunk, 1}, &cpu_cache, &logits).ok());
}

TEST(CudaModelTest, BadInputIsRefusedNotCrashed) {
  auto model = CudaModel::Load((kData / "bamba").string(), {.dtype = CudaDType::kF32});
  ASSERT_TRUE(model.ok()) << model.status();
  auto cache = (*model)->CreateCache(4, 16, 1);
  ASSERT_TRUE(cache.ok());
  const std::vector<int32_t> tokens = {1, static_cast<int32_t>((*model)->spec().vocab_size)};
  const std::vector<int32_t> table = {0};
  SequenceChunk chunk;
  chunk.tokens = tokens;
  chunk.block_table = table;
  std::vector<float> logits;
  EXPECT_EQ((*model)->Forward({&chunk, 1}, cache->get(), &logits).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hybridserve::engine
