// The batched-equals-alone cases of the batching engine, for any backend. A test program includes
// this file once and defines LoadTestRunner (the backend under test):
//   32 requests of different prompt and output lengths run together through the engine give each
//   the tokens it gets alone: greedy (against RunGreedy, which never goes through the engine) and
//   seeded sampling (against the engine with that request alone), with prefill chunks of 1, 7 and
//   64 tokens, and with a KV pool so small that sequences are preempted and recomputed. After each
//   run both pools are fully free.
//
//   Nemotron-H and Zamba2 clamp dt differently in their decode path; the engine then recomputes a
//   preempted sequence's generated tokens one decode step each (DecodeMatchesPrefill), so they are
//   covered here too.
#ifndef HYBRIDSERVE_TESTS_ENGINE_SERVING_ENGINE_EQUIVALENCE_CASES_H_
#define HYBRIDSERVE_TESTS_ENGINE_SERVING_ENGINE_EQUIVALENCE_CASES_H_

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/greedy_run.h"
#include "engine/model/model_runner.h"
#include "engine/serving/engine_core.h"
#include "gtest/gtest.h"

namespace hybridserve::engine {

// Defined by the including test program.
absl::StatusOr<std::unique_ptr<ModelRunner>> LoadTestRunner(const std::string& dir);

namespace {

namespace fs = std::filesystem;
const fs::path kData = fs::path(HS_TEST_DATA_DIR) / "golden" / "data";
constexpr int kNumRequests = 32;

std::vector<int32_t> Prompt(int64_t length, int64_t vocab, int seed) {
  std::vector<int32_t> out(static_cast<size_t>(length));
  for (int64_t i = 0; i < length; ++i) {
    out[i] = static_cast<int32_t>((i * 37 + seed * 11 + (i * i * seed) % 13 + 5) % vocab);
  }
  return out;
}

GenerationRequest MakeRequest(int i, int64_t vocab, bool sampled) {
  GenerationRequest r;
  r.prompt = Prompt(3 + (i * 7) % 29, vocab, i);
  r.sampling.max_tokens = 2 + (i * 5) % 23;
  r.sampling.ignore_eos = true;
  if (sampled) {
    r.sampling.temperature = 0.9f;
    r.sampling.top_k = 40;
    r.sampling.top_p = 0.95f;
    r.sampling.min_p = 0.02f;
    r.sampling.repetition_penalty = 1.1f;
    r.sampling.presence_penalty = 0.2f;
    r.sampling.frequency_penalty = 0.1f;
    r.sampling.seed = 1000 + i;
  } else {
    r.sampling.temperature = 0.0f;
  }
  return r;
}

// Runs requests to completion; returns each one's tokens and checks each finished by length.
std::vector<std::vector<int32_t>> RunAll(EngineCore& core,
                                         const std::vector<GenerationRequest>& requests) {
  std::vector<std::vector<int32_t>> tokens(requests.size());
  std::vector<bool> done(requests.size(), false);
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_TRUE(core.AddRequest(static_cast<int64_t>(i), requests[i]).ok());
  }
  int steps = 0;
  while (core.HasWork() && steps++ < 100000) {
    for (RequestOutput& out : core.Step()) {
      auto& t = tokens[out.request_id];
      t.insert(t.end(), out.tokens.begin(), out.tokens.end());
      if (out.finished) {
        EXPECT_EQ(out.finish_reason, FinishReason::kLength) << out.status;
        done[out.request_id] = true;
      }
    }
  }
  for (size_t i = 0; i < requests.size(); ++i) EXPECT_TRUE(done[i]) << "request " << i;
  return tokens;
}

void ExpectPoolsFree(const EngineCore& core) {
  EXPECT_EQ(core.kv_pool().num_free(), core.kv_pool().num_blocks());
  EXPECT_EQ(core.slot_pool().num_free(), core.slot_pool().num_slots());
}

enum class RunSetup { kChunk1, kChunk7, kChunk64, kTinyKvPool };

EngineOptions OptionsFor(RunSetup setup) {
  EngineOptions o;
  o.max_num_batched_tokens = 96;
  o.cache.block_size_tokens = 4;
  o.cache.num_slots = kNumRequests;
  o.cache.num_blocks = 1024;
  switch (setup) {
    case RunSetup::kChunk1:
      o.max_prefill_chunk_tokens = 1;
      break;
    case RunSetup::kChunk7:
      o.max_prefill_chunk_tokens = 7;
      break;
    case RunSetup::kChunk64:
      o.max_prefill_chunk_tokens = 64;
      break;
    case RunSetup::kTinyKvPool:
      o.max_prefill_chunk_tokens = 7;
      o.cache.num_blocks = 40;  // 160 positions for 32 sequences of up to 55 tokens
      break;
  }
  return o;
}

class EngineEquivalenceTest : public ::testing::TestWithParam<std::tuple<std::string, RunSetup>> {
 protected:
  void SetUp() override {
    auto loaded = LoadTestRunner((kData / std::get<0>(GetParam())).string());
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    model_ = std::move(*loaded);
    setup_ = std::get<1>(GetParam());
    ASSERT_FALSE(setup_ == RunSetup::kTinyKvPool && model_->spec().num_kv_layers == 0)
        << "a model without attention layers never runs out of KV blocks";
  }
  void CheckPreemptions(const EngineCore& core) {
    if (setup_ == RunSetup::kTinyKvPool) {
      EXPECT_GT(core.stats().num_preemptions, 0) << "the tiny pool should force preemptions";
    }
  }

  std::unique_ptr<ModelRunner> model_;
  RunSetup setup_ = RunSetup::kChunk1;
};

TEST_P(EngineEquivalenceTest, GreedyBatchedEqualsAlone) {
  const int64_t V = model_->spec().vocab_size;
  std::vector<GenerationRequest> requests;
  for (int i = 0; i < kNumRequests; ++i) requests.push_back(MakeRequest(i, V, false));
  auto core = EngineCore::Create(model_.get(), OptionsFor(setup_));
  ASSERT_TRUE(core.ok()) << core.status();
  const auto batched = RunAll(**core, requests);
  for (int i = 0; i < kNumRequests; ++i) {
    auto alone = RunGreedy(*model_, requests[i].prompt, requests[i].sampling.max_tokens);
    ASSERT_TRUE(alone.ok()) << alone.status();
    EXPECT_EQ(batched[i], alone->generated_tokens) << "request " << i;
  }
  CheckPreemptions(**core);
  ExpectPoolsFree(**core);
}

TEST_P(EngineEquivalenceTest, SeededSamplingBatchedEqualsAlone) {
  const int64_t V = model_->spec().vocab_size;
  std::vector<GenerationRequest> requests;
  for (int i = 0; i < kNumRequests; ++i) requests.push_back(MakeRequest(i, V, true));
  auto core = EngineCore::Create(model_.get(), OptionsFor(setup_));
  ASSERT_TRUE(core.ok()) << core.status();
  const auto batched = RunAll(**core, requests);
  CheckPreemptions(**core);
  ExpectPoolsFree(**core);
  EngineOptions alone_options;
  alone_options.cache.num_blocks = 64;
  alone_options.cache.num_slots = 1;
  bool any_differs_from_greedy = false;
  for (int i = 0; i < kNumRequests; ++i) {
    auto alone_core = EngineCore::Create(model_.get(), alone_options);
    ASSERT_TRUE(alone_core.ok()) << alone_core.status();
    const auto alone = RunAll(**alone_core, {requests[i]});
    EXPECT_EQ(batched[i], alone[0]) << "request " << i;
    auto greedy = RunGreedy(*model_, requests[i].prompt, requests[i].sampling.max_tokens);
    ASSERT_TRUE(greedy.ok());
    any_differs_from_greedy |= greedy->generated_tokens != alone[0];
  }
  EXPECT_TRUE(any_differs_from_greedy) << "sampling should not reduce to greedy";
}

std::vector<std::string> Families() {
  return {"bamba",      "falcon_h1", "granitemoehybrid_moe_rope", "jamba", "mamba2",
          "nemotron_h", "zamba2"};
}

std::string CaseName(const ::testing::TestParamInfo<std::tuple<std::string, RunSetup>>& info) {
  static const char* kNames[] = {"chunk1", "chunk7", "chunk64", "tiny_kv_pool"};
  return std::get<0>(info.param) + "_" + kNames[static_cast<int>(std::get<1>(info.param))];
}

// Every family with every chunk size; the tiny KV pool only for families with attention layers
// (mamba2 has none, so it can never run out of KV blocks).
std::vector<std::tuple<std::string, RunSetup>> Cases() {
  std::vector<std::tuple<std::string, RunSetup>> cases;
  for (const std::string& family : Families()) {
    for (RunSetup setup :
         {RunSetup::kChunk1, RunSetup::kChunk7, RunSetup::kChunk64, RunSetup::kTinyKvPool}) {
      if (setup == RunSetup::kTinyKvPool && family == "mamba2") continue;
      cases.emplace_back(family, setup);
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Golden, EngineEquivalenceTest, ::testing::ValuesIn(Cases()), CaseName);

}  // namespace
}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_TESTS_ENGINE_SERVING_ENGINE_EQUIVALENCE_CASES_H_
