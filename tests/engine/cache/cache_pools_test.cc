// KV block pool (reference counts, all-or-nothing allocation), SSM slot pool, and the cache plan
// (independent sizing, max_running derived from both pools and clamped, dtype knob).
#include <algorithm>
#include <filesystem>

#include "base/check.h"
#include "engine/cache/cache_plan.h"
#include "engine/cache/kv_block_pool.h"
#include "engine/cache/ssm_slot_pool.h"
#include "engine/model/cpu_model.h"
#include "gtest/gtest.h"

namespace hybridserve::engine {
namespace {

TEST(KvBlockPoolTest, AllocatesAllOrNothingAndFreesOnLastReference) {
  KvBlockPool pool(5, 4);
  EXPECT_EQ(pool.BlocksFor(9), 3);
  std::vector<int32_t> a, b;
  ASSERT_TRUE(pool.EnsureCapacity(9, &a));
  EXPECT_EQ(a.size(), 3u);
  EXPECT_FALSE(pool.Allocate(3, &b));  // only 2 left
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(pool.num_free(), 2);
  ASSERT_TRUE(pool.EnsureCapacity(12, &a));  // still 3 blocks
  EXPECT_EQ(a.size(), 3u);
  pool.AddRef(a[0]);
  b.push_back(a[0]);
  EXPECT_EQ(pool.ref_count(a[0]), 2);
  pool.Release(&a);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(pool.num_free(), 4);  // a[0] still held by b
  pool.Release(&b);
  EXPECT_EQ(pool.num_free(), 5);
}

TEST(SsmSlotPoolTest, HandsOutEachSlotOnce) {
  SsmSlotPool pool(3);
  std::vector<int32_t> slots;
  for (int i = 0; i < 3; ++i) {
    auto slot = pool.Allocate();
    ASSERT_TRUE(slot.has_value());
    EXPECT_TRUE(pool.in_use(*slot));
    slots.push_back(*slot);
  }
  EXPECT_FALSE(pool.Allocate().has_value());
  std::sort(slots.begin(), slots.end());
  EXPECT_EQ(slots, (std::vector<int32_t>{0, 1, 2}));
  pool.Release(1);
  EXPECT_EQ(pool.num_free(), 1);
  EXPECT_EQ(pool.Allocate(), std::optional<int32_t>(1));
}

ModelSpec LoadSpec(const std::string& name) {
  auto model =
      CpuModel::Load((std::filesystem::path(HS_TEST_DATA_DIR) / "golden" / "data" / name).string());
  HS_CHECK(model.ok());
  return (*model)->spec();
}

TEST(CachePlanTest, SizesEachPoolFromItsOwnBudgetAndClampsMaxRunning) {
  const ModelSpec spec = LoadSpec("bamba");
  CacheOptions options;
  options.block_size_tokens = 8;
  options.kv_cache_bytes = 1 << 20;
  options.ssm_cache_bytes = 1 << 20;
  auto plan = PlanCache(spec, options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_GT(plan->kv_bytes_per_block, 0);
  ASSERT_GT(plan->ssm_bytes_per_slot, 0);
  EXPECT_EQ(plan->num_blocks, (1 << 20) / plan->kv_bytes_per_block);
  const int64_t slots = (1 << 20) / plan->ssm_bytes_per_slot;
  EXPECT_EQ(plan->max_running, std::min({slots, plan->num_blocks, kDefaultMaxRunning}));
  EXPECT_TRUE(plan->warnings.empty());
  EXPECT_NE(plan->report.find("max running sequences"), std::string::npos);

  // A different block size changes the KV pool only.
  options.block_size_tokens = 16;
  auto other = PlanCache(spec, options);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->ssm_bytes_per_slot, plan->ssm_bytes_per_slot);
  EXPECT_EQ(other->kv_bytes_per_block, 2 * plan->kv_bytes_per_block);

  // A 2-byte KV cache (bf16/fp16 on the GPU) fits twice the blocks in the same budget.
  CacheOptions half = options;
  half.kv_element_bytes = 2;
  auto bf16 = PlanCache(spec, half);
  ASSERT_TRUE(bf16.ok());
  EXPECT_EQ(2 * bf16->kv_bytes_per_block, other->kv_bytes_per_block);
  EXPECT_EQ(bf16->num_blocks, options.kv_cache_bytes / bf16->kv_bytes_per_block);
  EXPECT_GE(bf16->num_blocks, 2 * other->num_blocks);
  half.kv_element_bytes = 3;
  EXPECT_EQ(PlanCache(spec, half).status().code(), absl::StatusCode::kInvalidArgument);

  // The SSM budget limits concurrency: a larger request is clamped with a warning.
  options.ssm_cache_bytes = 3 * plan->ssm_bytes_per_slot + 1;
  options.max_running = 10;
  auto clamped = PlanCache(spec, options);
  ASSERT_TRUE(clamped.ok());
  EXPECT_EQ(clamped->max_running, 3);
  EXPECT_EQ(clamped->num_slots, 3);
  ASSERT_EQ(clamped->warnings.size(), 1u);
  EXPECT_NE(clamped->warnings[0].find("ssm state slots"), std::string::npos);
}

TEST(CachePlanTest, RefusesBudgetsThatHoldNothingAndUnimplementedDtype) {
  const ModelSpec spec = LoadSpec("bamba");
  CacheOptions options;
  options.ssm_cache_bytes = 10;
  EXPECT_EQ(PlanCache(spec, options).status().code(), absl::StatusCode::kInvalidArgument);
  options = {};
  options.kv_cache_bytes = 10;
  EXPECT_EQ(PlanCache(spec, options).status().code(), absl::StatusCode::kInvalidArgument);
  options = {};
  options.state_dtype = StateDType::kBFloat16;
  EXPECT_EQ(PlanCache(spec, options).status().code(), absl::StatusCode::kUnimplemented);
}

TEST(CachePlanTest, PureSsmModelIsLimitedBySlotsOnly) {
  const ModelSpec spec = LoadSpec("mamba2");
  CacheOptions options;
  options.kv_cache_bytes = 0;
  options.num_slots = 4;
  auto plan = PlanCache(spec, options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->kv_bytes_per_block, 0);
  EXPECT_EQ(plan->max_running, 4);
  // No KV pool to bound a sequence: only the model's own maximum (if it states one).
  EXPECT_GE(plan->max_sequence_tokens, std::max<int64_t>(spec.max_position_embeddings, 1024));
}

}  // namespace
}  // namespace hybridserve::engine
