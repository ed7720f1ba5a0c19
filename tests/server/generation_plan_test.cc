#include "server/openai/generation_plan.h"

#include "gtest/gtest.h"
#include "server/fake_backend.h"
#include "server/openai/request_parser.h"
#include "server/status_mapping.h"

namespace hybridserve::server::openai {
namespace {

class GenerationPlanTest : public ::testing::Test {
 protected:
  GenerationPlanTest() : backend_(Options()) {}
  static FakeBackendOptions Options() {
    FakeBackendOptions options;
    options.model_name = "m";
    options.max_model_len = 32;
    return options;
  }
  absl::StatusOr<GenerationPlan> Plan(const std::string& body, bool chat = false) {
    absl::StatusOr<OpenAiRequest> request =
        chat ? ParseChatRequest(body) : ParseCompletionRequest(body);
    if (!request.ok()) return request.status();
    return PlanGeneration(*request, backend_, "cmpl-x");
  }
  FakeBackend backend_;
};

TEST_F(GenerationPlanTest, ExpandsNAndPrompts) {
  absl::StatusOr<GenerationPlan> plan =
      Plan(R"({"model": "m", "prompt": ["ab", "cde"], "n": 2, "max_tokens": 4, "seed": 7})");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->submissions.size(), 4u);
  EXPECT_EQ(plan->submissions[0].prompt_token_ids.size(), 3u);  // BOS + 2 bytes
  EXPECT_EQ(plan->submissions[2].prompt_token_ids.size(), 4u);
  EXPECT_EQ(plan->num_prompt_tokens, 7);
  EXPECT_EQ(plan->submissions[0].sampling.seed, 7u);
  EXPECT_EQ(plan->submissions[1].sampling.seed, 8u);
  EXPECT_EQ(plan->submissions[3].request_id, "cmpl-x-3");
}

TEST_F(GenerationPlanTest, UnknownModelIs404) {
  absl::StatusOr<GenerationPlan> plan = Plan(R"({"model": "other", "prompt": "a"})");
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusErrorCode(plan.status()), "model_not_found");
}

TEST_F(GenerationPlanTest, PromptLongerThanTheContext) {
  absl::StatusOr<GenerationPlan> plan =
      Plan(R"({"model": "m", "prompt": ")" + std::string(40, 'x') + R"("})");
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusParam(plan.status()), "prompt");
  EXPECT_NE(plan.status().message().find("maximum context length is 32"), std::string::npos);
}

TEST_F(GenerationPlanTest, MaxTokensBeyondTheContext) {
  absl::StatusOr<GenerationPlan> plan =
      Plan(R"({"model": "m", "prompt": "abc", "max_tokens": 29})");
  EXPECT_EQ(StatusParam(plan.status()), "max_tokens");
  EXPECT_TRUE(Plan(R"({"model": "m", "prompt": "abc", "max_tokens": 28})").ok());
}

TEST_F(GenerationPlanTest, ChatDefaultsToTheRemainingContext) {
  absl::StatusOr<GenerationPlan> plan =
      Plan(R"({"model": "m", "messages": [{"role": "user", "content": "a"}]})", true);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const int64_t prompt = static_cast<int64_t>(plan->submissions[0].prompt_token_ids.size());
  EXPECT_EQ(plan->submissions[0].sampling.max_tokens, 32 - prompt);
}

TEST_F(GenerationPlanTest, EchoKeepsThePromptText) {
  absl::StatusOr<GenerationPlan> plan =
      Plan(R"({"model": "m", "prompt": "hey", "echo": true, "max_tokens": 2})");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->echo_prefixes, (std::vector<std::string>{"hey"}));
}

}  // namespace
}  // namespace hybridserve::server::openai
