// Sampler, parameter validation, counter-based randomness and the stop-string matcher.
#include <cmath>
#include <map>
#include <vector>

#include "engine/sampling/sampler.h"
#include "engine/sampling/sampling_params.h"
#include "engine/sampling/stop_string_matcher.h"
#include "engine/sampling/token_rng.h"
#include "gtest/gtest.h"

namespace hybridserve::engine {
namespace {

SamplerInput Input(const std::vector<float>& logits, const std::vector<int32_t>& prompt,
                   const std::vector<int32_t>& output, uint64_t seed = 1) {
  static const std::vector<int64_t> kEos = {3};
  SamplerInput in;
  in.logits = logits;
  in.prompt_tokens = prompt;
  in.output_tokens = output;
  in.eos_token_ids = kEos;
  in.seed = seed;
  return in;
}

TEST(SamplerTest, GreedyPenaltiesAndMinTokens) {
  const std::vector<float> logits = {1.0f, 3.0f, 2.9f, 5.0f};  // 3 is EOS
  SamplingParams p;
  p.temperature = 0.0f;
  EXPECT_EQ(SampleToken(Input(logits, {}, {}), p).token, 3);
  p.min_tokens = 2;
  EXPECT_EQ(SampleToken(Input(logits, {}, {7 % 4}), p).token, 1);  // EOS masked: 1 output < 2
  p.min_tokens = 0;
  p.repetition_penalty = 2.0f;  // 5.0 -> 2.5 for the seen EOS, 3.0 -> 1.5 for seen 1
  EXPECT_EQ(SampleToken(Input(logits, {3}, {1}), p).token, 2);
  p.repetition_penalty = 1.0f;
  p.frequency_penalty = 1.0f;  // 5 - 3 * 1
  EXPECT_EQ(SampleToken(Input(logits, {}, {3, 3, 3}), p).token, 1);
  p.frequency_penalty = 0.0f;
  p.presence_penalty = 2.0f;  // 5 - 2 = 3.0 ties with token 1: the lower id wins
  EXPECT_EQ(SampleToken(Input(logits, {}, {3, 3}), p).token, 1);
}

TEST(SamplerTest, TruncationLeavesOnlyTheAllowedTokens) {
  const std::vector<float> logits = {0.0f, 2.0f, 1.0f, -1.0f};
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 1;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    EXPECT_EQ(SampleToken(Input(logits, {}, {}, seed), p).token, 1);
  }
  p.top_k = 0;
  p.min_p = 0.3f;  // exp(-1) = 0.37 >= 0.3 keeps token 2; exp(-2) = 0.14 drops token 0
  std::map<int32_t, int> seen;
  for (uint64_t seed = 0; seed < 400; ++seed)
    ++seen[SampleToken(Input(logits, {}, {}, seed), p).token];
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_GT(seen[1], seen[2]);
  p.min_p = 0.0f;
  p.top_p = 0.5f;  // token 1 alone has p = 0.64
  for (uint64_t seed = 0; seed < 50; ++seed) {
    EXPECT_EQ(SampleToken(Input(logits, {}, {}, seed), p).token, 1);
  }
}

TEST(SamplerTest, DrawsFollowTheDistributionAndDependOnlyOnSeedAndIndex) {
  const std::vector<float> logits = {0.0f, std::log(3.0f)};  // p = 0.25, 0.75
  SamplingParams p;
  int ones = 0;
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) ones += SampleToken(Input(logits, {}, {}, i), p).token;
  EXPECT_NEAR(static_cast<double>(ones) / kDraws, 0.75, 0.02);
  EXPECT_EQ(TokenUniform(42, 7), TokenUniform(42, 7));
  EXPECT_NE(TokenUniform(42, 7), TokenUniform(42, 8));
  EXPECT_NE(TokenUniform(42, 7), TokenUniform(43, 7));
}

TEST(SamplerTest, ReportsLogprobsOfTheUnmodifiedDistribution) {
  const std::vector<float> logits = {0.0f, 1.0f, 2.0f};
  SamplingParams p;
  p.temperature = 0.0f;
  p.logprobs = 2;
  p.repetition_penalty = 100.0f;  // changes the choice, not the reported logprobs
  const SampledToken t = SampleToken(Input(logits, {2}, {}), p);
  EXPECT_EQ(t.token, 1);
  const double z = std::log(1.0 + std::exp(1.0) + std::exp(2.0));
  EXPECT_NEAR(t.logprobs.logprob, 1.0 - z, 1e-5);
  ASSERT_EQ(t.logprobs.top.size(), 2u);
  EXPECT_EQ(t.logprobs.top[0].first, 2);
  EXPECT_NEAR(t.logprobs.top[0].second, 2.0 - z, 1e-5);
  EXPECT_EQ(t.logprobs.top[1].first, 1);
}

TEST(SamplingParamsTest, RefusesInvalidValuesWithTheirName) {
  auto check = [](auto mutate, const char* field) {
    SamplingParams p;
    mutate(p);
    const absl::Status s = ValidateSamplingParams(p, 100);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_NE(std::string(s.message()).find(field), std::string::npos) << s;
  };
  EXPECT_TRUE(ValidateSamplingParams(SamplingParams{}, 100).ok());
  check([](SamplingParams& p) { p.temperature = -1; }, "temperature");
  check([](SamplingParams& p) { p.temperature = NAN; }, "temperature");
  check([](SamplingParams& p) { p.top_k = -2; }, "top_k");
  check([](SamplingParams& p) { p.top_p = 0; }, "top_p");
  check([](SamplingParams& p) { p.min_p = 1.5f; }, "min_p");
  check([](SamplingParams& p) { p.repetition_penalty = 0; }, "repetition_penalty");
  check([](SamplingParams& p) { p.presence_penalty = 3; }, "presence_penalty");
  check([](SamplingParams& p) { p.frequency_penalty = -3; }, "frequency_penalty");
  check([](SamplingParams& p) { p.logprobs = 21; }, "logprobs");
  check([](SamplingParams& p) { p.max_tokens = 0; }, "max_tokens");
  check([](SamplingParams& p) { p.min_tokens = 20; }, "min_tokens");
  check([](SamplingParams& p) { p.stop_token_ids = {100}; }, "stop token id");
  check([](SamplingParams& p) { p.stop = {""}; }, "stop strings");
}

TEST(StopStringMatcherTest, HoldsBackPossibleStartsAndCutsAtTheStop) {
  StopStringMatcher m({"END", "xyz"});
  auto r = m.Append("abE");
  EXPECT_EQ(r.text, "ab");  // "E" may start "END"
  EXPECT_FALSE(r.stopped);
  r = m.Append("Nx");
  EXPECT_EQ(r.text, "EN");  // "ENx" is not "END"; "x" may start "xyz"
  r = m.Append("yzEND");
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "");  // "xyz" comes first
  EXPECT_TRUE(m.Append("more").stopped);
}

TEST(StopStringMatcherTest, FlushReleasesHeldTextAndUtf8IsNeverSplit) {
  StopStringMatcher m({"END"});
  EXPECT_EQ(m.Append("ok E").text, "ok ");
  EXPECT_EQ(m.Flush(), "E");
  StopStringMatcher plain({});
  EXPECT_EQ(plain.Append("a\xC3").text, "a");  // first byte of a 2-byte character
  EXPECT_EQ(plain.Append("\xA9!").text, "\xC3\xA9!");
  StopStringMatcher late({"ab"});
  EXPECT_EQ(late.Append("ab", /*check_stops=*/false).text, "ab");
  EXPECT_FALSE(late.stopped());
}

}  // namespace
}  // namespace hybridserve::engine
