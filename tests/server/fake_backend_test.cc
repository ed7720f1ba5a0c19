#include "server/fake_backend.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace hybridserve::server {
namespace {

struct Result {
  std::string text;
  std::vector<int32_t> token_ids;
  std::vector<TokenLogprob> logprobs;
  GenerationDelta last;
};

Result ReadAll(GenerationStream& stream) {
  Result result;
  GenerationDelta delta;
  while (stream.Next(absl::Seconds(5), &delta) == StreamRead::kDelta) {
    result.text += delta.text;
    result.token_ids.insert(result.token_ids.end(), delta.token_ids.begin(), delta.token_ids.end());
    result.logprobs.insert(result.logprobs.end(), delta.logprobs.begin(), delta.logprobs.end());
    result.last = delta;
    if (delta.finished) {
      EXPECT_EQ(stream.Next(absl::ZeroDuration(), &delta), StreamRead::kEnd);
      break;
    }
  }
  return result;
}

GenerationRequest Request(int64_t max_tokens) {
  GenerationRequest request;
  request.prompt_token_ids = {1, 50, 51};
  request.sampling.max_tokens = max_tokens;
  return request;
}

FakeBackendOptions Fast() {
  FakeBackendOptions options;
  options.token_delay = absl::ZeroDuration();
  return options;
}

TEST(FakeBackendTest, TokenizeRoundTrips) {
  FakeBackend backend(Fast());
  absl::StatusOr<std::vector<int32_t>> ids = backend.Tokenize("hé", true);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->size(), 4u);  // BOS + 3 bytes
  EXPECT_EQ((*ids)[0], kFakeBosId);
  absl::StatusOr<std::string> text = backend.Detokenize(*ids, true);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "hé");
  EXPECT_FALSE(backend.Detokenize({9999}, true).ok());
}

TEST(FakeBackendTest, MaxTokensEndsWithLength) {
  FakeBackend backend(Fast());
  auto stream = backend.Submit(Request(5));
  ASSERT_TRUE(stream.ok());
  const Result result = ReadAll(**stream);
  EXPECT_EQ(result.text, std::string(kFakeOutputText).substr(0, 5));
  EXPECT_EQ(result.token_ids.size(), 5u);
  EXPECT_TRUE(result.last.finished);
  EXPECT_EQ(result.last.finish_reason, FinishReason::kLength);
  EXPECT_EQ(result.last.num_prompt_tokens, 3);
  EXPECT_EQ(result.last.num_generated_tokens, 5);
}

TEST(FakeBackendTest, StopStringIsCutAndHeldBack) {
  FakeBackend backend(Fast());
  GenerationRequest request = Request(100);
  request.sampling.stop = {"brown"};
  auto stream = backend.Submit(std::move(request));
  ASSERT_TRUE(stream.ok());
  const Result result = ReadAll(**stream);
  EXPECT_EQ(result.text, "The quick ");
  EXPECT_EQ(result.last.finish_reason, FinishReason::kStop);
}

TEST(FakeBackendTest, MinTokensDelaysStops) {
  FakeBackend backend(Fast());
  GenerationRequest request = Request(100);
  request.sampling.stop = {"T"};
  request.sampling.min_tokens = 3;
  auto stream = backend.Submit(std::move(request));
  ASSERT_TRUE(stream.ok());
  const Result result = ReadAll(**stream);
  // The first 'T' (token 1) comes before min_tokens; the next one is a cycle later.
  EXPECT_EQ(result.text, std::string(kFakeOutputText));
  EXPECT_EQ(result.last.finish_reason, FinishReason::kStop);
}

TEST(FakeBackendTest, StopTokenIdAndLogprobs) {
  FakeBackend backend(Fast());
  GenerationRequest request = Request(100);
  request.sampling.stop_token_ids = {'q' + kFakeByteOffset};
  request.sampling.logprobs = true;
  request.sampling.top_logprobs = 2;
  auto stream = backend.Submit(std::move(request));
  ASSERT_TRUE(stream.ok());
  const Result result = ReadAll(**stream);
  EXPECT_EQ(result.text, "The ");
  EXPECT_EQ(result.token_ids.size(), 5u);  // the stop token is kept in the ids
  ASSERT_EQ(result.logprobs.size(), 5u);
  EXPECT_EQ(result.logprobs[0].token, "T");
  ASSERT_EQ(result.logprobs[0].top.size(), 2u);
  EXPECT_GE(result.logprobs[0].top[0].logprob, result.logprobs[0].top[1].logprob);
}

TEST(FakeBackendTest, CancelReleasesThePools) {
  FakeBackendOptions options = Fast();
  options.token_delay = absl::Milliseconds(50);
  FakeBackend backend(options);
  auto stream = backend.Submit(Request(1000));
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(backend.Stats().num_running, 1);
  EXPECT_GT(backend.Stats().kv_blocks_used, 0);
  (*stream)->Cancel();
  EXPECT_EQ(backend.Stats().num_running, 0);
  EXPECT_EQ(backend.Stats().kv_blocks_used, 0);
  GenerationDelta delta;
  ASSERT_EQ((*stream)->Next(absl::Seconds(1), &delta), StreamRead::kDelta);
  EXPECT_TRUE(delta.finished);
  EXPECT_EQ(delta.finish_reason, FinishReason::kCancelled);
  EXPECT_EQ(delta.status.code(), absl::StatusCode::kCancelled);
}

TEST(FakeBackendTest, DestroyingAnUnfinishedStreamReleases) {
  FakeBackend backend(Fast());
  {
    auto stream = backend.Submit(Request(1000));
    ASSERT_TRUE(stream.ok());
    EXPECT_EQ(backend.Stats().num_running, 1);
  }
  EXPECT_EQ(backend.Stats().num_running, 0);
}

TEST(FakeBackendTest, DeadlineEndsTheSequence) {
  FakeBackendOptions options = Fast();
  options.token_delay = absl::Milliseconds(20);
  FakeBackend backend(options);
  GenerationRequest request = Request(1000);
  request.deadline = absl::Now() + absl::Milliseconds(50);
  auto stream = backend.Submit(std::move(request));
  ASSERT_TRUE(stream.ok());
  const Result result = ReadAll(**stream);
  EXPECT_EQ(result.last.finish_reason, FinishReason::kCancelled);
  EXPECT_EQ(result.last.status.code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(FakeBackendTest, QueueLimit) {
  FakeBackendOptions options = Fast();
  options.max_running = 1;
  options.max_waiting = 1;
  FakeBackend backend(options);
  auto a = backend.Submit(Request(10));
  auto b = backend.Submit(Request(10));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(backend.Stats().num_waiting, 1);
  auto c = backend.Submit(Request(10));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(FakeBackendTest, RejectsBadPrompts) {
  FakeBackend backend(Fast());
  GenerationRequest empty = Request(1);
  empty.prompt_token_ids.clear();
  EXPECT_EQ(backend.Submit(empty).status().code(), absl::StatusCode::kInvalidArgument);
  GenerationRequest outside = Request(1);
  outside.prompt_token_ids = {100000};
  EXPECT_EQ(backend.Submit(outside).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hybridserve::server
