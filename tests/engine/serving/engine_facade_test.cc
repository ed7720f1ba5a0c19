// The thread-safe facade and the request lifecycle: concurrent submitters and readers, cancel at
// each stage, deadlines, failures, stop strings and stop tokens, the bounded queue and a reader
// that stops reading. After every test both pools are fully free. These tests run under TSan:
// the model runs on the calling thread (num_threads = 1, OpenBLAS limited to one thread).
#include <cblas.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/check.h"
#include "engine/model/cpu_model.h"
#include "engine/model/greedy_run.h"
#include "engine/serving/engine.h"
#include "gtest/gtest.h"

namespace hybridserve::engine {
namespace {

const std::filesystem::path kData = std::filesystem::path(HS_TEST_DATA_DIR) / "golden" / "data";

std::unique_ptr<CpuModel> LoadModel() {
  openblas_set_num_threads(1);
  auto model = CpuModel::Load((kData / "bamba").string(), {.num_threads = 1});
  HS_CHECK(model.ok());
  return std::move(*model);
}

GenerationRequest Greedy(int i, int64_t max_tokens) {
  GenerationRequest r;
  for (int t = 0; t < 4 + i % 9; ++t) r.prompt.push_back((t * 13 + i * 7 + 1) % 180);
  r.sampling.temperature = 0.0f;
  r.sampling.max_tokens = max_tokens;
  r.sampling.ignore_eos = true;
  return r;
}

// A fake tokenizer: token t is the two characters "<letter><digit>".
class FakeText : public TokenTextSource {
 public:
  std::string TokenBytes(int32_t token) const override {
    return {static_cast<char>('a' + token % 26), static_cast<char>('0' + token % 10)};
  }
};

// As FakeText, but a token that begins the text reads "^<letter><digit>" (as SentencePiece
// decoders read the first token differently), and token 0 has no text (a special token).
class FirstAwareText : public FakeText {
 public:
  std::string TokenBytes(int32_t token) const override {
    return token == 0 ? "" : FakeText::TokenBytes(token);
  }
  std::string FirstTokenBytes(int32_t token) const override {
    return absl::StrCat("^", TokenBytes(token));
  }
};

// Fails every step that contains the token kPoison.
class PoisonedModel : public ModelRunner {
 public:
  static constexpr int32_t kPoison = 181;
  explicit PoisonedModel(ModelRunner* inner) : inner_(inner) {}
  const ModelSpec& spec() const override { return inner_->spec(); }
  absl::StatusOr<std::unique_ptr<ModelCache>> CreateCache(int64_t num_blocks,
                                                          int64_t block_size_tokens,
                                                          int64_t num_slots) override {
    return inner_->CreateCache(num_blocks, block_size_tokens, num_slots);
  }
  absl::Status Forward(absl::Span<const SequenceChunk> chunks, ModelCache* cache,
                       std::vector<float>* logits) override {
    for (const SequenceChunk& c : chunks) {
      for (int32_t t : c.tokens) {
        if (t == kPoison) return absl::InternalError("poisoned token");
      }
    }
    return inner_->Forward(chunks, cache, logits);
  }

 private:
  ModelRunner* inner_;
};

void ExpectPoolsFree(Engine& engine) {
  engine.Shutdown();
  const EngineStats stats = engine.GetStats();
  EXPECT_EQ(stats.kv_blocks_used, 0);
  EXPECT_EQ(stats.ssm_slots_used, 0);
  EXPECT_EQ(stats.num_running, 0);
  EXPECT_EQ(stats.num_waiting, 0);
}

EngineOptions SmallOptions() {
  EngineOptions o;
  o.cache.block_size_tokens = 4;
  o.cache.num_blocks = 48;  // small enough to preempt with 16 requests in flight
  o.cache.num_slots = 16;
  o.max_prefill_chunk_tokens = 5;
  return o;
}

TEST(EngineFacadeTest, ConcurrentSubmittersGetTheirAloneTokens) {
  auto model = LoadModel();
  auto engine = Engine::Create(model.get(), SmallOptions());
  ASSERT_TRUE(engine.ok()) << engine.status();
  constexpr int kThreads = 4, kPerThread = 6;
  std::vector<std::vector<std::vector<int32_t>>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kPerThread; ++k) {
        auto stream = (*engine)->Submit(Greedy(t * kPerThread + k, 6 + k));
        ASSERT_TRUE(stream.ok()) << stream.status();
        RequestOutput all = (*stream)->ReadAll();
        EXPECT_EQ(all.finish_reason, FinishReason::kLength) << all.status;
        got[t].push_back(all.tokens);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int k = 0; k < kPerThread; ++k) {
      const GenerationRequest r = Greedy(t * kPerThread + k, 6 + k);
      auto alone = RunGreedy(*model, r.prompt, r.sampling.max_tokens);
      ASSERT_TRUE(alone.ok());
      EXPECT_EQ(got[t][k], alone->generated_tokens);
    }
  }
  const EngineStats stats = (*engine)->GetStats();
  EXPECT_GT(stats.generated_tokens, 0);
  EXPECT_GT(stats.prompt_tokens_computed, 0);
  EXPECT_GT(stats.num_steps, 0);
  ExpectPoolsFree(**engine);
}

TEST(EngineFacadeTest, CancelWhileRunningOrQueuedFreesEverything) {
  auto model = LoadModel();
  EngineOptions options = SmallOptions();
  options.cache.max_running = 2;
  auto engine = Engine::Create(model.get(), options);
  ASSERT_TRUE(engine.ok());
  std::vector<std::shared_ptr<RequestStream>> streams;
  for (int i = 0; i < 6; ++i) {
    auto stream = (*engine)->Submit(Greedy(i, 100));
    ASSERT_TRUE(stream.ok());
    streams.push_back(*stream);
  }
  RequestOutput first;
  ASSERT_TRUE(streams[0]->Next(&first));  // request 0 is running
  for (auto& s : streams) EXPECT_TRUE((*engine)->Cancel(s->request_id()));
  for (auto& s : streams) {
    RequestOutput all = s->ReadAll();
    EXPECT_EQ(all.finish_reason, FinishReason::kCancelled) << all.status;
    EXPECT_EQ(all.status.code(), absl::StatusCode::kCancelled);
    EXPECT_FALSE((*engine)->Cancel(s->request_id()));
  }
  ExpectPoolsFree(**engine);
}

TEST(EngineFacadeTest, AReaderThatStopsReadingEndsItsRequest) {
  auto model = LoadModel();
  EngineOptions options = SmallOptions();
  options.stream_buffer_events = 2;
  auto engine = Engine::Create(model.get(), options);
  ASSERT_TRUE(engine.ok());
  auto abandoned = (*engine)->Submit(Greedy(1, 50));
  ASSERT_TRUE(abandoned.ok());
  while (!(*abandoned)->closed()) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_EQ((*abandoned)->num_buffered(), 3);  // two outputs and the final one
  RequestOutput late = (*abandoned)->ReadAll();
  EXPECT_EQ(late.tokens.size(), 2u);
  EXPECT_EQ(late.finish_reason, FinishReason::kError);
  EXPECT_EQ(late.status.code(), absl::StatusCode::kResourceExhausted);
  ExpectPoolsFree(**engine);
}

TEST(EngineFacadeTest, RefusesBadRequestsAndAFullQueue) {
  auto model = LoadModel();
  EngineOptions options = SmallOptions();
  options.max_waiting = 0;
  auto engine = Engine::Create(model.get(), options);
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ((*engine)->Submit(Greedy(0, 4)).status().code(), absl::StatusCode::kResourceExhausted);
  GenerationRequest empty;
  EXPECT_EQ((*engine)->Submit(empty).status().code(), absl::StatusCode::kInvalidArgument);
  GenerationRequest huge = Greedy(0, 4);
  huge.prompt.assign(200, 5);  // longer than the model's 128 positions
  auto refused = (*engine)->Submit(huge);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(refused.status().message()).find("200 tokens"), std::string::npos);
  GenerationRequest stops = Greedy(0, 4);
  stops.sampling.stop = {"x"};  // no tokenizer configured
  EXPECT_EQ((*engine)->Submit(stops).status().code(), absl::StatusCode::kInvalidArgument);
  GenerationRequest bad = Greedy(0, 4);
  bad.sampling.top_p = 2.0f;
  EXPECT_EQ((*engine)->Submit(bad).status().code(), absl::StatusCode::kInvalidArgument);
  ExpectPoolsFree(**engine);
}

TEST(EngineFacadeTest, StopStringsStopTokensDeadlinesAndFailures) {
  auto model = LoadModel();
  PoisonedModel poisoned(model.get());
  FakeText text;
  EngineOptions options = SmallOptions();
  options.text_source = &text;
  auto engine = Engine::Create(&poisoned, options);
  ASSERT_TRUE(engine.ok());
  const GenerationRequest base = Greedy(3, 12);
  auto reference = RunGreedy(*model, base.prompt, 12);
  ASSERT_TRUE(reference.ok());
  const std::vector<int32_t>& ref = reference->generated_tokens;

  // Stop string = the text of reference tokens 4 and 5: output ends at token 5, text before it.
  GenerationRequest with_stop = base;
  with_stop.sampling.stop = {text.TokenBytes(ref[4]) + text.TokenBytes(ref[5])};
  std::string expected_text;
  for (int i = 0; i < 4; ++i) expected_text += text.TokenBytes(ref[i]);
  // Stop token: the first occurrence of reference token 2 ends the output.
  GenerationRequest with_stop_token = base;
  with_stop_token.sampling.stop_token_ids = {ref[2]};
  const size_t stop_at = std::find(ref.begin(), ref.end(), ref[2]) - ref.begin();
  GenerationRequest late = base;
  late.deadline = absl::Now() - absl::Seconds(1);
  GenerationRequest poison = base;
  poison.prompt.push_back(PoisonedModel::kPoison);

  auto s1 = (*engine)->Submit(with_stop);
  auto s2 = (*engine)->Submit(with_stop_token);
  auto s3 = (*engine)->Submit(late);
  ASSERT_TRUE(s1.ok() && s2.ok() && s3.ok());
  RequestOutput o1 = (*s1)->ReadAll();
  EXPECT_EQ(o1.finish_reason, FinishReason::kStop) << o1.status;
  EXPECT_EQ(o1.tokens, std::vector<int32_t>(ref.begin(), ref.begin() + 6));
  EXPECT_EQ(o1.text, expected_text);
  RequestOutput o2 = (*s2)->ReadAll();
  EXPECT_EQ(o2.finish_reason, FinishReason::kStop);
  EXPECT_EQ(o2.tokens, std::vector<int32_t>(ref.begin(), ref.begin() + stop_at + 1));
  RequestOutput o3 = (*s3)->ReadAll();
  EXPECT_EQ(o3.status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(o3.tokens.empty());
  // A failing step ends every request in it, so this one runs on its own.
  auto s4 = (*engine)->Submit(poison);
  ASSERT_TRUE(s4.ok());
  RequestOutput o4 = (*s4)->ReadAll();
  EXPECT_EQ(o4.finish_reason, FinishReason::kError);
  EXPECT_EQ(o4.status.code(), absl::StatusCode::kInternal);
  ExpectPoolsFree(**engine);
}

// The streamed text starts with FirstTokenBytes of the first token with text, then TokenBytes.
TEST(EngineFacadeTest, TheTextsFirstTokenReadsAsFirstTokenBytes) {
  auto model = LoadModel();
  FirstAwareText text;
  EngineOptions options = SmallOptions();
  options.text_source = &text;
  auto engine = Engine::Create(model.get(), options);
  ASSERT_TRUE(engine.ok());
  auto stream = (*engine)->Submit(Greedy(5, 8));
  ASSERT_TRUE(stream.ok());
  const RequestOutput out = (*stream)->ReadAll();
  ASSERT_EQ(out.tokens.size(), 8u);
  std::string expected;
  for (const int32_t token : out.tokens) {
    expected += expected.empty() ? text.FirstTokenBytes(token) : text.TokenBytes(token);
    if (expected == "^") expected.clear();  // a token without text does not begin it
  }
  EXPECT_EQ(out.text, expected);
  EXPECT_EQ(out.text.substr(0, 1), "^");
  ExpectPoolsFree(**engine);
}

}  // namespace
}  // namespace hybridserve::engine
