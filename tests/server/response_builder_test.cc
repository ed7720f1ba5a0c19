#include "server/openai/response_builder.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "server/status_mapping.h"

namespace hybridserve::server::openai {
namespace {

using nlohmann::json;

std::set<std::string> Keys(const json& object) {
  std::set<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.insert(it.key());
  return keys;
}

const ResponseHeader kHeader = {.id = "cmpl-abc", .created = 1700000001, .model = "m"};

ChoiceOutput Choice(int index, const std::string& text, const std::string& reason) {
  ChoiceOutput choice;
  choice.index = index;
  choice.text = text;
  choice.finish_reason = reason;
  return choice;
}

TEST(ResponseBuilderTest, ResponseIdsHaveOpenAiPrefixes) {
  const std::string completion = NewResponseId(Endpoint::kCompletions);
  const std::string chat = NewResponseId(Endpoint::kChat);
  EXPECT_EQ(completion.rfind("cmpl-", 0), 0u);
  EXPECT_EQ(chat.rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(completion.size(), 5u + 32u);
  EXPECT_NE(completion, NewResponseId(Endpoint::kCompletions));
}

TEST(ResponseBuilderTest, CompletionResponseShape) {
  const json body =
      CompletionResponse(kHeader, {Choice(0, "hi", "stop"), Choice(1, "yo", "length")},
                         {.prompt_tokens = 3, .completion_tokens = 4});
  EXPECT_EQ(Keys(body), (std::set<std::string>{"id", "object", "created", "model",
                                               "system_fingerprint", "choices", "usage"}));
  EXPECT_EQ(body["object"], "text_completion");
  EXPECT_EQ(body["id"], "cmpl-abc");
  EXPECT_EQ(body["created"], 1700000001);
  ASSERT_EQ(body["choices"].size(), 2u);
  const json& choice = body["choices"][1];
  EXPECT_EQ(Keys(choice), (std::set<std::string>{"index", "text", "logprobs", "finish_reason"}));
  EXPECT_EQ(choice["index"], 1);
  EXPECT_EQ(choice["text"], "yo");
  EXPECT_TRUE(choice["logprobs"].is_null());
  EXPECT_EQ(choice["finish_reason"], "length");
  EXPECT_EQ(body["usage"],
            json({{"prompt_tokens", 3}, {"completion_tokens", 4}, {"total_tokens", 7}}));
}

TEST(ResponseBuilderTest, CompletionLogprobsShape) {
  ChoiceOutput choice = Choice(0, "ab", "stop");
  choice.has_logprobs = true;
  choice.text_offset = 10;
  choice.logprobs = {{.token_id = 1,
                      .token = "a",
                      .logprob = -0.5f,
                      .top = {{.token_id = 1, .token = "a", .logprob = -0.5f},
                              {.token_id = 2, .token = "z", .logprob = -1.5f}}},
                     {.token_id = 3, .token = "b", .logprob = -0.25f, .top = {}}};
  const json logprobs = CompletionChunk(kHeader, choice, false)["choices"][0]["logprobs"];
  EXPECT_EQ(logprobs["tokens"], json({"a", "b"}));
  EXPECT_EQ(logprobs["token_logprobs"], json({-0.5, -0.25}));
  EXPECT_EQ(logprobs["text_offset"], json({10, 11}));
  ASSERT_EQ(logprobs["top_logprobs"].size(), 2u);
  EXPECT_EQ(logprobs["top_logprobs"][0], json({{"a", -0.5}, {"z", -1.5}}));
  EXPECT_EQ(logprobs["top_logprobs"][1], json::object());
}

TEST(ResponseBuilderTest, ChatResponseShape) {
  ResponseHeader header = kHeader;
  header.id = "chatcmpl-abc";
  ChoiceOutput choice = Choice(0, "hello", "stop");
  choice.has_logprobs = true;
  choice.logprobs = {{.token_id = 7,
                      .token = "he",
                      .logprob = -0.1f,
                      .top = {{.token_id = 7, .token = "he", .logprob = -0.1f}}}};
  const json body = ChatResponse(header, {choice}, {.prompt_tokens = 5, .completion_tokens = 1});
  EXPECT_EQ(body["object"], "chat.completion");
  const json& out = body["choices"][0];
  EXPECT_EQ(Keys(out), (std::set<std::string>{"index", "message", "logprobs", "finish_reason"}));
  EXPECT_EQ(out["message"],
            json({{"role", "assistant"}, {"content", "hello"}, {"refusal", nullptr}}));
  const json& content = out["logprobs"]["content"];
  ASSERT_EQ(content.size(), 1u);
  EXPECT_EQ(content[0]["token"], "he");
  EXPECT_FLOAT_EQ(content[0]["logprob"].get<float>(), -0.1f);
  EXPECT_EQ(content[0]["bytes"], json({104, 101}));
  EXPECT_EQ(content[0]["top_logprobs"][0]["token"], "he");
  EXPECT_TRUE(out["logprobs"]["refusal"].is_null());
  EXPECT_EQ(body["usage"]["total_tokens"], 6);
}

TEST(ResponseBuilderTest, ChatChunks) {
  const json role = ChatRoleChunk(kHeader, 1, true);
  EXPECT_EQ(role["object"], "chat.completion.chunk");
  EXPECT_EQ(role["choices"][0]["index"], 1);
  EXPECT_EQ(role["choices"][0]["delta"], json({{"role", "assistant"}, {"content", ""}}));
  EXPECT_TRUE(role["choices"][0]["finish_reason"].is_null());
  EXPECT_TRUE(role.contains("usage") && role["usage"].is_null());

  const json piece = ChatChunk(kHeader, Choice(0, "x", ""), false);
  EXPECT_EQ(piece["choices"][0]["delta"], json({{"content", "x"}}));
  EXPECT_FALSE(piece.contains("usage"));

  const json last = ChatChunk(kHeader, Choice(0, "", "stop"), false);
  EXPECT_EQ(last["choices"][0]["delta"], json::object());
  EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");
}

TEST(ResponseBuilderTest, UsageChunkHasNoChoices) {
  const json chunk =
      UsageChunk(kHeader, Endpoint::kCompletions, {.prompt_tokens = 2, .completion_tokens = 3});
  EXPECT_EQ(chunk["object"], "text_completion");
  EXPECT_EQ(chunk["choices"], json::array());
  EXPECT_EQ(chunk["usage"]["total_tokens"], 5);
  EXPECT_EQ(UsageChunk(kHeader, Endpoint::kChat, {})["object"], "chat.completion.chunk");
}

TEST(ResponseBuilderTest, SseFraming) {
  EXPECT_EQ(SseEvent(json({{"a", 1}})), "data: {\"a\":1}\n\n");
  EXPECT_EQ(kSseDone, "data: [DONE]\n\n");
}

TEST(ResponseBuilderTest, InvalidUtf8IsReplacedNotThrown) {
  const std::string dumped = DumpJson(json({{"t", std::string("a\xff")}}));
  EXPECT_EQ(dumped, "{\"t\":\"a\xEF\xBF\xBD\"}");
}

TEST(ResponseBuilderTest, ErrorShape) {
  const HttpError error = ErrorFromStatus(InvalidParam("top_p", "'top_p' must be ..."));
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.body, json({{"error",
                               {{"message", "'top_p' must be ..."},
                                {"type", "invalid_request_error"},
                                {"param", "top_p"},
                                {"code", nullptr}}}}));
  EXPECT_EQ(ErrorFromStatus(absl::ResourceExhaustedError("full")).http_status, 429);
}

TEST(ResponseBuilderTest, ModelList) {
  const json list = ModelListJson({.name = "m",
                                   .version = "v",
                                   .family = "",
                                   .max_model_len = 64,
                                   .vocab_size = 0,
                                   .created_unix_seconds = 5});
  EXPECT_EQ(list["object"], "list");
  ASSERT_EQ(list["data"].size(), 1u);
  EXPECT_EQ(list["data"][0]["id"], "m");
  EXPECT_EQ(list["data"][0]["object"], "model");
  EXPECT_EQ(list["data"][0]["created"], 5);
  EXPECT_TRUE(list["data"][0].contains("owned_by"));
}

}  // namespace
}  // namespace hybridserve::server::openai
