// The engine against transformers: every committed reference checkpoint under
// tests/golden/data/<case>/ (made by make_reference.py) must reproduce transformers' prompt
// logits, greedy tokens and per-step decode logits, within 1e-4 x max(1, max |logit|) per row.
// Each case also runs with the prompt split into 3-token chunks (continuation from the caches).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/model/cpu_model.h"
#include "engine/model/greedy_run.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {
namespace {

namespace fs = std::filesystem;

const fs::path kDataDir = fs::path(HS_TEST_DATA_DIR) / "golden" / "data";

std::vector<std::string> ReferenceCases() {
  std::vector<std::string> names;
  if (!fs::exists(kDataDir)) return names;
  for (const auto& entry : fs::directory_iterator(kDataDir)) {
    if (fs::exists(entry.path() / "reference.json")) names.push_back(entry.path().filename());
  }
  std::sort(names.begin(), names.end());
  return names;
}

nlohmann::json ReadJson(const fs::path& path) {
  std::ifstream file(path);
  return nlohmann::json::parse(file);
}

// Max |a - b| over a row, and the tolerance 1e-4 x max(1, max |reference|).
void ExpectRowClose(const std::vector<float>& actual, const nlohmann::json& expected,
                    double relative, const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  double max_ref = 1.0, max_diff = 0.0;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double ref = expected[i].get<double>();
    max_ref = std::max(max_ref, std::abs(ref));
    max_diff = std::max(max_diff, std::abs(ref - actual[i]));
  }
  EXPECT_LE(max_diff, relative * max_ref) << what << ": max |diff| " << max_diff;
}

class ReferenceLogitsTest : public ::testing::TestWithParam<std::string> {};

void CheckCases(CpuModel& model, const nlohmann::json& reference, int64_t prefill_chunk) {
  for (const auto& c : reference["cases"]) {
    const std::string name =
        c["name"].get<std::string>() + " chunk " + std::to_string(prefill_chunk);
    const std::vector<int32_t> prompt = c["prompt"].get<std::vector<int32_t>>();
    const std::vector<int32_t> expected_tokens = c["generated_tokens"].get<std::vector<int32_t>>();
    auto result =
        RunGreedy(model, prompt, static_cast<int64_t>(expected_tokens.size()), prefill_chunk);
    ASSERT_TRUE(result.ok()) << name << ": " << result.status();
    ASSERT_EQ(result->prompt_logits.size(), c["prompt_logits"].size()) << name;
    for (size_t t = 0; t < result->prompt_logits.size(); ++t) {
      ExpectRowClose(result->prompt_logits[t], c["prompt_logits"][t], 1e-4,
                     name + " prompt position " + std::to_string(t));
    }
    EXPECT_EQ(result->generated_tokens, expected_tokens) << name;
    const size_t steps = std::min(result->step_logits.size(), c["step_logits"].size());
    for (size_t s = 0; s < steps; ++s) {
      ExpectRowClose(result->step_logits[s], c["step_logits"][s], 1e-4,
                     name + " decode step " + std::to_string(s));
    }
  }
}

TEST_P(ReferenceLogitsTest, MatchesTransformers) {
  const fs::path dir = kDataDir / GetParam();
  auto model = CpuModel::Load(dir.string());
  ASSERT_TRUE(model.ok()) << model.status();
  const nlohmann::json reference = ReadJson(dir / "reference.json");
  CheckCases(**model, reference, /*prefill_chunk=*/0);
  CheckCases(**model, reference, /*prefill_chunk=*/3);
}

INSTANTIATE_TEST_SUITE_P(Golden, ReferenceLogitsTest, ::testing::ValuesIn(ReferenceCases()),
                         [](const auto& info) { return info.param; });

TEST(ReferenceData, EveryFamilyIsCovered) {
  const std::vector<std::string> cases = ReferenceCases();
  std::vector<std::string> architectures;
  for (const std::string& name : cases) {
    architectures.push_back(
        ReadJson(kDataDir / name / "reference.json")["architecture"].get<std::string>());
  }
  for (const char* expected : {"Mamba2ForCausalLM", "BambaForCausalLM", "NemotronHForCausalLM",
                               "GraniteMoeHybridForCausalLM", "FalconH1ForCausalLM",
                               "Zamba2ForCausalLM", "JambaForCausalLM"}) {
    EXPECT_NE(std::find(architectures.begin(), architectures.end(), expected), architectures.end())
        << "no reference data for " << expected;
  }
}

}  // namespace
}  // namespace hybridserve::engine
