#include "server/openai/request_parser.h"

#include <string>

#include "gtest/gtest.h"
#include "server/status_mapping.h"

namespace hybridserve::server::openai {
namespace {

// Expects InvalidArgument naming param, with the message mentioning it too.
void ExpectRejected(const absl::StatusOr<OpenAiRequest>& parsed, const std::string& param) {
  ASSERT_FALSE(parsed.ok()) << "accepted, expected a rejection of " << param;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusParam(parsed.status()).value_or("<none>"), param) << parsed.status();
  EXPECT_NE(parsed.status().message().find(param), absl::string_view::npos) << parsed.status();
}

std::string Completion(const std::string& extra) {
  return R"({"model": "m", "prompt": "hello")" + (extra.empty() ? "" : ", " + extra) + "}";
}

std::string Chat(const std::string& extra) {
  return R"({"model": "m", "messages": [{"role": "user", "content": "hi"}])" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

TEST(RequestParserTest, CompletionDefaults) {
  absl::StatusOr<OpenAiRequest> parsed = ParseCompletionRequest(Completion(""));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->endpoint, Endpoint::kCompletions);
  EXPECT_EQ(parsed->model, "m");
  ASSERT_EQ(parsed->prompts.size(), 1u);
  EXPECT_EQ(parsed->prompts[0].text, "hello");
  EXPECT_EQ(parsed->max_tokens, 16);
  EXPECT_EQ(parsed->sampling.max_tokens, 16);
  EXPECT_EQ(parsed->n, 1);
  EXPECT_FALSE(parsed->stream);
  EXPECT_FALSE(parsed->sampling.logprobs);
  EXPECT_FLOAT_EQ(parsed->sampling.temperature, 1.0f);
}

TEST(RequestParserTest, CompletionAllFields) {
  absl::StatusOr<OpenAiRequest> parsed = ParseCompletionRequest(Completion(
      R"("max_tokens": 7, "temperature": 0.5, "top_p": 0.9, "n": 2, "stream": true,
         "stream_options": {"include_usage": true}, "stop": ["a", "bc"], "seed": 42,
         "logprobs": 3, "presence_penalty": 0.5, "frequency_penalty": -0.5, "user": "u1",
         "top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1, "min_tokens": 2,
         "ignore_eos": true, "stop_token_ids": [5, 6], "echo": false, "best_of": 2,
         "logit_bias": {}, "unknown_field": 1)"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const SamplingOptions& s = parsed->sampling;
  EXPECT_EQ(s.max_tokens, 7);
  EXPECT_FLOAT_EQ(s.temperature, 0.5f);
  EXPECT_FLOAT_EQ(s.top_p, 0.9f);
  EXPECT_EQ(parsed->n, 2);
  EXPECT_TRUE(parsed->stream);
  EXPECT_TRUE(parsed->include_usage);
  EXPECT_EQ(s.stop, (std::vector<std::string>{"a", "bc"}));
  EXPECT_EQ(s.seed, 42u);
  EXPECT_TRUE(s.logprobs);
  EXPECT_EQ(s.top_logprobs, 3);
  EXPECT_FLOAT_EQ(s.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(s.frequency_penalty, -0.5f);
  EXPECT_EQ(parsed->user, "u1");
  EXPECT_EQ(s.top_k, 40);
  EXPECT_FLOAT_EQ(s.min_p, 0.05f);
  EXPECT_FLOAT_EQ(s.repetition_penalty, 1.1f);
  EXPECT_EQ(s.min_tokens, 2);
  EXPECT_TRUE(s.ignore_eos);
  EXPECT_EQ(s.stop_token_ids, (std::vector<int32_t>{5, 6}));
}

TEST(RequestParserTest, PromptForms) {
  absl::StatusOr<OpenAiRequest> ids = ParseCompletionRequest(R"({"model":"m","prompt":[1,2,3]})");
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->prompts.size(), 1u);
  EXPECT_TRUE(ids->prompts[0].is_tokens);
  EXPECT_EQ(ids->prompts[0].token_ids, (std::vector<int32_t>{1, 2, 3}));

  absl::StatusOr<OpenAiRequest> texts =
      ParseCompletionRequest(R"({"model":"m","prompt":["a","b"]})");
  ASSERT_TRUE(texts.ok()) << texts.status();
  ASSERT_EQ(texts->prompts.size(), 2u);
  EXPECT_EQ(texts->prompts[1].text, "b");

  absl::StatusOr<OpenAiRequest> batches =
      ParseCompletionRequest(R"({"model":"m","prompt":[[1],[2,3]]})");
  ASSERT_TRUE(batches.ok()) << batches.status();
  ASSERT_EQ(batches->prompts.size(), 2u);
  EXPECT_EQ(batches->prompts[1].token_ids, (std::vector<int32_t>{2, 3}));
}

TEST(RequestParserTest, NullMeansDefault) {
  absl::StatusOr<OpenAiRequest> parsed = ParseCompletionRequest(
      Completion(R"("temperature": null, "stop": null, "n": null, "seed": null)"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FLOAT_EQ(parsed->sampling.temperature, 1.0f);
  EXPECT_TRUE(parsed->sampling.stop.empty());
  EXPECT_EQ(parsed->n, 1);
  EXPECT_FALSE(parsed->sampling.seed.has_value());
}

TEST(RequestParserTest, BadJsonAndShapes) {
  for (const char* body : {"", "{", "not json", "{\"model\": }", "[1,2]", "\"text\"", "42"}) {
    absl::StatusOr<OpenAiRequest> parsed = ParseCompletionRequest(body);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << body;
    EXPECT_NE(parsed.status().message().find("JSON"), absl::string_view::npos) << body;
  }
}

TEST(RequestParserTest, InvalidUtf8IsRejected) {
  const std::string body = std::string(R"({"model": "m", "prompt": "ab)") + "\xff\xfe" + "\"}";
  absl::StatusOr<OpenAiRequest> parsed = ParseCompletionRequest(body);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RequestParserTest, MissingAndEmptyRequiredFields) {
  ExpectRejected(ParseCompletionRequest(R"({"prompt": "x"})"), "model");
  ExpectRejected(ParseCompletionRequest(R"({"model": "m"})"), "prompt");
  ExpectRejected(ParseCompletionRequest(R"({"model": "m", "prompt": ""})"), "prompt");
  ExpectRejected(ParseCompletionRequest(R"({"model": "m", "prompt": []})"), "prompt");
  ExpectRejected(ParseCompletionRequest(R"({"model": "m", "prompt": [""]})"), "prompt");
  ExpectRejected(ParseCompletionRequest(R"({"model": "m", "prompt": [[]]})"), "prompt");
  ExpectRejected(ParseChatRequest(R"({"model": "m"})"), "messages");
  ExpectRejected(ParseChatRequest(R"({"model": "m", "messages": []})"), "messages");
}

TEST(RequestParserTest, WrongTypes) {
  ExpectRejected(ParseCompletionRequest(R"({"model": 5, "prompt": "x"})"), "model");
  ExpectRejected(ParseCompletionRequest(R"({"model": "m", "prompt": 5})"), "prompt");
  ExpectRejected(ParseCompletionRequest(R"({"model": "m", "prompt": [1, "a"]})"), "prompt");
  ExpectRejected(ParseCompletionRequest(R"({"model": "m", "prompt": [1, -2]})"), "prompt");
  ExpectRejected(ParseCompletionRequest(Completion(R"("temperature": "hot")")), "temperature");
  ExpectRejected(ParseCompletionRequest(Completion(R"("max_tokens": "5")")), "max_tokens");
  ExpectRejected(ParseCompletionRequest(Completion(R"("max_tokens": 2.5)")), "max_tokens");
  ExpectRejected(ParseCompletionRequest(Completion(R"("n": true)")), "n");
  ExpectRejected(ParseCompletionRequest(Completion(R"("stream": "yes")")), "stream");
  ExpectRejected(ParseCompletionRequest(Completion(R"("stop": 3)")), "stop");
  ExpectRejected(ParseCompletionRequest(Completion(R"("stop": [""])")), "stop");
  ExpectRejected(ParseCompletionRequest(Completion(R"("stop": ["a","b","c","d","e"])")), "stop");
  ExpectRejected(ParseCompletionRequest(Completion(R"("user": 7)")), "user");
  ExpectRejected(ParseCompletionRequest(Completion(R"("stop_token_ids": [1.5])")),
                 "stop_token_ids");
  ExpectRejected(ParseCompletionRequest(Completion(R"("stream": true, "stream_options": 1)")),
                 "stream_options");
  ExpectRejected(ParseChatRequest(Chat(R"("logprobs": 1)")), "logprobs");
  ExpectRejected(ParseChatRequest(R"({"model": "m", "messages": "hi"})"), "messages");
  ExpectRejected(ParseChatRequest(R"({"model": "m", "messages": [5]})"), "messages[0]");
  ExpectRejected(ParseChatRequest(R"({"model": "m", "messages": [{"content": "x"}]})"),
                 "messages[0].role");
  ExpectRejected(
      ParseChatRequest(R"({"model": "m", "messages": [{"role": "king", "content": "x"}]})"),
      "messages[0].role");
  ExpectRejected(ParseChatRequest(R"({"model": "m", "messages": [{"role": "user"}]})"),
                 "messages[0].content");
  ExpectRejected(
      ParseChatRequest(R"({"model": "m", "messages": [{"role": "user", "content": 3}]})"),
      "messages[0].content");
  ExpectRejected(
      ParseChatRequest(
          R"({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]})"),
      "messages[0].content");
}

TEST(RequestParserTest, OutOfRangeValues) {
  ExpectRejected(ParseCompletionRequest(Completion(R"("temperature": 2.5)")), "temperature");
  ExpectRejected(ParseCompletionRequest(Completion(R"("temperature": -0.1)")), "temperature");
  ExpectRejected(ParseCompletionRequest(Completion(R"("top_p": 0)")), "top_p");
  ExpectRejected(ParseCompletionRequest(Completion(R"("top_p": 1.5)")), "top_p");
  ExpectRejected(ParseCompletionRequest(Completion(R"("n": 0)")), "n");
  ExpectRejected(ParseCompletionRequest(Completion(R"("n": 129)")), "n");
  ExpectRejected(ParseCompletionRequest(Completion(R"("max_tokens": 0)")), "max_tokens");
  ExpectRejected(ParseCompletionRequest(Completion(R"("max_tokens": -3)")), "max_tokens");
  ExpectRejected(ParseCompletionRequest(Completion(R"("logprobs": 21)")), "logprobs");
  ExpectRejected(ParseCompletionRequest(Completion(R"("presence_penalty": 3)")),
                 "presence_penalty");
  ExpectRejected(ParseCompletionRequest(Completion(R"("frequency_penalty": -2.5)")),
                 "frequency_penalty");
  ExpectRejected(ParseCompletionRequest(Completion(R"("top_k": -2)")), "top_k");
  ExpectRejected(ParseCompletionRequest(Completion(R"("min_p": 1.5)")), "min_p");
  ExpectRejected(ParseCompletionRequest(Completion(R"("repetition_penalty": 0)")),
                 "repetition_penalty");
  ExpectRejected(ParseCompletionRequest(Completion(R"("min_tokens": 20)")), "min_tokens");
  ExpectRejected(ParseCompletionRequest(Completion(R"("stream_options": {"include_usage": true})")),
                 "stream_options");
  ExpectRejected(ParseChatRequest(Chat(R"("top_logprobs": 21, "logprobs": true)")), "top_logprobs");
  ExpectRejected(ParseChatRequest(Chat(R"("top_logprobs": 2)")), "top_logprobs");
  ExpectRejected(ParseChatRequest(Chat(R"("max_completion_tokens": 0)")), "max_completion_tokens");
}

TEST(RequestParserTest, UnsupportedFeaturesAreNamed) {
  ExpectRejected(ParseCompletionRequest(Completion(R"("suffix": "x")")), "suffix");
  ExpectRejected(ParseCompletionRequest(Completion(R"("logit_bias": {"5": 1})")), "logit_bias");
  ExpectRejected(ParseCompletionRequest(Completion(R"("best_of": 3)")), "best_of");
  ExpectRejected(ParseCompletionRequest(Completion(R"("echo": true, "logprobs": 1)")), "echo");
  ExpectRejected(ParseChatRequest(Chat(R"("tools": [{"type": "function"}])")), "tools");
  ExpectRejected(ParseChatRequest(Chat(R"("tool_choice": "auto")")), "tool_choice");
  ExpectRejected(ParseChatRequest(Chat(R"("response_format": {"type": "json_object"})")),
                 "response_format");
}

TEST(RequestParserTest, ChatFields) {
  absl::StatusOr<OpenAiRequest> parsed = ParseChatRequest(
      R"({"model": "m", "messages": [{"role": "system", "content": "be brief"},
          {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], "name": "x"},
          {"role": "assistant", "content": null}],
          "max_tokens": 9, "max_completion_tokens": 5, "logprobs": true, "top_logprobs": 2,
          "tools": [], "tool_choice": "none", "response_format": {"type": "text"}})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->messages.size(), 3u);
  EXPECT_EQ(parsed->messages[0].role, "system");
  EXPECT_EQ(parsed->messages[1].content, "ab");
  EXPECT_EQ(parsed->messages[1].name, "x");
  EXPECT_EQ(parsed->messages[2].content, "");
  EXPECT_EQ(parsed->max_tokens, 5);  // max_completion_tokens wins
  EXPECT_TRUE(parsed->sampling.logprobs);
  EXPECT_EQ(parsed->sampling.top_logprobs, 2);
  EXPECT_TRUE(parsed->add_generation_prompt);
}

TEST(RequestParserTest, ChatMaxTokensDefaultsToUnset) {
  absl::StatusOr<OpenAiRequest> parsed = ParseChatRequest(Chat(""));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->max_tokens.has_value());
}

}  // namespace
}  // namespace hybridserve::server::openai
