// The request timestamps the engine reports on a final output (RequestTimes): in order, and a
// request that waited behind others shows it as queue time (first_scheduled - arrival).
#include <cblas.h>

#include <filesystem>
#include <map>
#include <vector>

#include "absl/time/clock.h"
#include "engine/model/cpu_model.h"
#include "engine/serving/engine.h"
#include "engine/serving/engine_core.h"
#include "gtest/gtest.h"

namespace hybridserve::engine {
namespace {

std::unique_ptr<CpuModel> LoadModel() {
  openblas_set_num_threads(1);
  auto model = CpuModel::Load(
      (std::filesystem::path(HS_TEST_DATA_DIR) / "golden" / "data" / "jamba").string(),
      {.num_threads = 1});
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? std::move(*model) : nullptr;
}

EngineOptions OneAtATime() {
  EngineOptions options;
  options.max_prefill_chunk_tokens = 4;
  options.cache.block_size_tokens = 4;
  options.cache.num_blocks = 64;
  options.cache.max_running = 1;  // the second request waits for the first to finish
  return options;
}

GenerationRequest Request() {
  GenerationRequest r;
  r.prompt.assign(6, 7);
  r.sampling.max_tokens = 4;
  r.sampling.ignore_eos = true;
  return r;
}

void ExpectOrdered(const RequestTimes& t) {
  ASSERT_TRUE(t.arrival && t.first_scheduled && t.first_token && t.last_token && t.finished);
  EXPECT_LE(*t.arrival, *t.first_scheduled);
  EXPECT_LT(*t.first_scheduled, *t.first_token);  // a forward pass lies between
  EXPECT_LE(*t.first_token, *t.last_token);
  EXPECT_LE(*t.last_token, *t.finished);
}

TEST(EngineCoreTimingsTest, AWaitingRequestReportsItsQueueTime) {
  auto model = LoadModel();
  ASSERT_NE(model, nullptr);
  auto core = EngineCore::Create(model.get(), OneAtATime());
  ASSERT_TRUE(core.ok());
  const absl::Time before = absl::Now();
  ASSERT_TRUE((*core)->AddRequest(1, Request()).ok());
  ASSERT_TRUE((*core)->AddRequest(2, Request()).ok());
  std::map<int64_t, RequestOutput> finals;
  while ((*core)->HasWork()) {
    for (RequestOutput& out : (*core)->Step()) {
      if (out.finished) finals[out.request_id] = std::move(out);
    }
  }
  ASSERT_EQ(finals.size(), 2u);
  for (const auto& [id, out] : finals) {
    EXPECT_EQ(out.finish_reason, FinishReason::kLength) << id;
    ExpectOrdered(out.times);
    EXPECT_GE(*out.times.arrival, before);
  }
  const RequestTimes& first = finals[1].times;
  const RequestTimes& second = finals[2].times;
  // The second was scheduled only once the first had finished: its queue time covers the
  // first's whole run.
  EXPECT_GE(*second.first_scheduled, *first.finished);
  EXPECT_GE(*second.first_scheduled - *second.arrival, *first.finished - *first.first_scheduled);
  EXPECT_GT(*second.first_scheduled - *second.arrival, absl::ZeroDuration());
}

TEST(EngineCoreTimingsTest, ACancelledQueuedRequestWasNeverScheduled) {
  auto model = LoadModel();
  ASSERT_NE(model, nullptr);
  auto core = EngineCore::Create(model.get(), OneAtATime());
  ASSERT_TRUE(core.ok());
  ASSERT_TRUE((*core)->AddRequest(1, Request()).ok());
  ASSERT_TRUE((*core)->AddRequest(2, Request()).ok());
  (*core)->Step();  // 1 runs, 2 waits
  ASSERT_TRUE((*core)->Abort(2, absl::CancelledError("queued")));
  const std::vector<RequestOutput> outs = (*core)->Step();
  bool seen = false;
  for (const RequestOutput& out : outs) {
    if (out.request_id != 2) continue;
    seen = true;
    EXPECT_TRUE(out.times.arrival.has_value());
    EXPECT_FALSE(out.times.first_scheduled.has_value());
    EXPECT_FALSE(out.times.first_token.has_value());
    EXPECT_TRUE(out.times.finished.has_value());
  }
  EXPECT_TRUE(seen);
}

// Through the facade: the arrival is the Submit time, so time spent before the engine thread
// picks the request up counts as queue time too.
TEST(EngineCoreTimingsTest, FacadeStampsArrivalAtSubmit) {
  auto model = LoadModel();
  ASSERT_NE(model, nullptr);
  auto engine = Engine::Create(model.get(), OneAtATime());
  ASSERT_TRUE(engine.ok());
  const absl::Time before = absl::Now();
  auto first = (*engine)->Submit(Request());
  auto second = (*engine)->Submit(Request());
  ASSERT_TRUE(first.ok() && second.ok());
  const RequestOutput a = (*first)->ReadAll();
  const RequestOutput b = (*second)->ReadAll();
  ExpectOrdered(a.times);
  ExpectOrdered(b.times);
  EXPECT_GE(*a.times.arrival, before);
  EXPECT_GT(*b.times.first_scheduled - *b.times.arrival, absl::ZeroDuration());
  EXPECT_GE(*b.times.first_scheduled, *a.times.finished);
}

}  // namespace
}  // namespace hybridserve::engine
