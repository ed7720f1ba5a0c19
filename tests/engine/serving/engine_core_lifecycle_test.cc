// Cancellation at each stage of a request, driven step by step through the core: queued,
// mid-prefill (prompt partly computed), mid-decode. Each frees everything the request held.
#include <filesystem>

#include "engine/model/cpu_model.h"
#include "engine/serving/engine_core.h"
#include "gtest/gtest.h"

namespace hybridserve::engine {
namespace {

TEST(EngineCoreLifecycleTest, CancelQueuedMidPrefillAndMidDecode) {
  auto model = CpuModel::Load(
      (std::filesystem::path(HS_TEST_DATA_DIR) / "golden" / "data" / "jamba").string(),
      {.num_threads = 1});
  ASSERT_TRUE(model.ok());
  EngineOptions options;
  options.max_prefill_chunk_tokens = 4;
  options.cache.block_size_tokens = 4;
  options.cache.num_blocks = 64;
  options.cache.max_running = 2;
  auto core = EngineCore::Create(model->get(), options);
  ASSERT_TRUE(core.ok());
  GenerationRequest r;
  r.prompt.assign(10, 7);
  r.sampling.max_tokens = 50;
  r.sampling.ignore_eos = true;
  for (int64_t id : {0, 1, 2}) ASSERT_TRUE((*core)->AddRequest(id, r).ok());
  (*core)->Step();  // 0 and 1 prefill their first 4 tokens; 2 waits (max_running 2)
  EXPECT_EQ((*core)->num_waiting(), 1);
  EXPECT_TRUE((*core)->Abort(2, absl::CancelledError("queued")));
  EXPECT_TRUE((*core)->Abort(1, absl::CancelledError("mid-prefill")));
  EXPECT_FALSE((*core)->Abort(1, absl::CancelledError("again")));
  std::vector<RequestOutput> outs = (*core)->Step();
  ASSERT_EQ(outs.size(), 2u);
  for (const RequestOutput& out : outs) {
    EXPECT_TRUE(out.finished);
    EXPECT_EQ(out.finish_reason, FinishReason::kCancelled);
  }
  while ((*core)->stats().generated_tokens < 3) (*core)->Step();
  EXPECT_GT((*core)->kv_pool().num_used(), 0);
  EXPECT_TRUE((*core)->Abort(0, absl::CancelledError("mid-decode")));
  outs = (*core)->Step();
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_EQ(outs[0].status.code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE((*core)->HasWork());
  EXPECT_EQ((*core)->kv_pool().num_free(), (*core)->kv_pool().num_blocks());
  EXPECT_EQ((*core)->slot_pool().num_free(), (*core)->slot_pool().num_slots());
}

}  // namespace
}  // namespace hybridserve::engine
