// The scheduler alone (no model): token budget shared by decodes and prefill chunks, admission
// against both pools, preemption by recompute, policies, replay of generated tokens.
#include <memory>

#include "engine/scheduler/fcfs_policy.h"
#include "engine/scheduler/priority_policy.h"
#include "engine/scheduler/scheduler.h"
#include "gtest/gtest.h"

namespace hybridserve::engine {
namespace {

std::unique_ptr<Sequence> Seq(int64_t id, int64_t prompt, int32_t priority = 0) {
  auto s = std::make_unique<Sequence>();
  s->id = id;
  s->arrival = id;
  s->priority = priority;
  s->tokens.assign(static_cast<size_t>(prompt), 1);
  s->num_prompt_tokens = prompt;
  return s;
}

// What the engine does after a step: advance, and append a token to completed sequences.
void Advance(const SchedulerOutput& out) {
  for (const ScheduledChunk& c : out.chunks) {
    c.sequence->num_computed_tokens += c.num_tokens;
    if (c.sequence->num_computed_tokens == c.sequence->num_tokens()) {
      c.sequence->tokens.push_back(2);
    }
  }
}

struct Fixture {
  Fixture(SchedulerConfig config, int64_t blocks, int64_t slots, bool priority = false)
      : kv(blocks, 4),
        slots_pool(slots),
        scheduler(config,
                  priority ? std::unique_ptr<SchedulingPolicy>(new PriorityPolicy())
                           : std::unique_ptr<SchedulingPolicy>(new FcfsPolicy()),
                  &kv, &slots_pool) {}
  KvBlockPool kv;
  SsmSlotPool slots_pool;
  Scheduler scheduler;
};

TEST(SchedulerTest, PrefillChunksAndDecodesShareTheBudget) {
  SchedulerConfig config;
  config.max_num_batched_tokens = 8;
  config.max_prefill_chunk_tokens = 5;
  config.max_running = 4;
  Fixture f(config, 100, 4);
  ASSERT_TRUE(f.scheduler.Add(Seq(0, 3)).ok());
  ASSERT_TRUE(f.scheduler.Add(Seq(1, 12)).ok());
  SchedulerOutput s1 = f.scheduler.Schedule();
  ASSERT_EQ(s1.chunks.size(), 2u);
  EXPECT_EQ(s1.chunks[0].num_tokens, 3);
  EXPECT_EQ(s1.chunks[1].num_tokens, 5);  // budget left 5, chunk 5
  EXPECT_EQ(s1.num_tokens, 8);
  Advance(s1);
  SchedulerOutput s2 = f.scheduler.Schedule();
  ASSERT_EQ(s2.chunks.size(), 2u);
  EXPECT_TRUE(s2.chunks[0].decode);  // sequence 0 decodes
  EXPECT_EQ(s2.chunks[0].num_tokens, 1);
  EXPECT_FALSE(s2.chunks[1].decode);  // sequence 1 continues its prompt
  EXPECT_EQ(s2.chunks[1].num_tokens, 5);
  EXPECT_EQ(f.kv.num_used(), 1 + 3);  // 4 and 10 positions of 4-token blocks
}

TEST(SchedulerTest, AdmissionNeedsAFreeSlot) {
  SchedulerConfig config;
  config.max_running = 8;
  Fixture f(config, 100, 2);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(f.scheduler.Add(Seq(i, 2)).ok());
  SchedulerOutput out = f.scheduler.Schedule();
  EXPECT_EQ(out.chunks.size(), 2u);
  EXPECT_EQ(f.scheduler.num_waiting(), 1);
  f.scheduler.Remove(0);
  EXPECT_EQ(f.slots_pool.num_free(), 1);
  EXPECT_EQ(f.scheduler.Schedule().chunks.size(), 2u);  // 1 decodes, 2 is admitted
}

TEST(SchedulerTest, PreemptsTheLastRunningSequenceWhenBlocksRunOut) {
  SchedulerConfig config;
  config.max_running = 4;
  Fixture f(config, 2, 4);
  ASSERT_TRUE(f.scheduler.Add(Seq(0, 4)).ok());
  ASSERT_TRUE(f.scheduler.Add(Seq(1, 4)).ok());
  SchedulerOutput s1 = f.scheduler.Schedule();
  ASSERT_EQ(s1.chunks.size(), 2u);
  EXPECT_EQ(f.kv.num_free(), 0);
  Advance(s1);
  // Both need a fifth position (a second block): 1 is preempted so 0 can go on.
  SchedulerOutput s2 = f.scheduler.Schedule();
  ASSERT_EQ(s2.preempted, std::vector<int64_t>{1});
  ASSERT_EQ(s2.chunks.size(), 1u);
  EXPECT_EQ(s2.chunks[0].sequence->id, 0);
  Sequence* one = f.scheduler.Find(1);
  EXPECT_EQ(one->status, SequenceStatus::kWaiting);
  EXPECT_EQ(one->num_computed_tokens, 0);
  EXPECT_TRUE(one->block_table.empty());
  EXPECT_EQ(one->ssm_slot, -1);
  EXPECT_EQ(one->num_tokens(), 5);  // prompt + its generated token, recomputed later
  EXPECT_EQ(f.scheduler.num_preemptions(), 1);
  EXPECT_EQ(f.slots_pool.num_used(), 1);
  f.scheduler.Remove(0);
  SchedulerOutput s3 = f.scheduler.Schedule();
  ASSERT_EQ(s3.chunks.size(), 1u);
  EXPECT_EQ(s3.chunks[0].num_tokens, 5);  // prompt and generated token as one prefill chunk
  EXPECT_FALSE(s3.chunks[0].decode);
}

TEST(SchedulerTest, ReplaysGeneratedTokensAsDecodeStepsWhenAsked) {
  SchedulerConfig config;
  config.max_running = 4;
  config.replay_generated_as_prompt = false;
  Fixture f(config, 100, 4);
  auto s = Seq(0, 3);
  s->tokens.insert(s->tokens.end(), {5, 6, 7});  // three generated tokens, nothing computed
  ASSERT_TRUE(f.scheduler.Add(std::move(s)).ok());
  SchedulerOutput out = f.scheduler.Schedule();
  ASSERT_EQ(out.chunks.size(), 1u);
  EXPECT_EQ(out.chunks[0].num_tokens, 3);  // the prompt only
  for (int i = 0; i < 3; ++i) {
    out.chunks[0].sequence->num_computed_tokens += out.chunks[0].num_tokens;
    out = f.scheduler.Schedule();
    ASSERT_EQ(out.chunks.size(), 1u);
    EXPECT_TRUE(out.chunks[0].decode);
    EXPECT_EQ(out.chunks[0].num_tokens, 1);
  }
}

TEST(SchedulerTest, PriorityPolicyAdmitsLowerValuesFirst) {
  SchedulerConfig config;
  config.max_running = 1;
  Fixture f(config, 100, 1, /*priority=*/true);
  ASSERT_TRUE(f.scheduler.Add(Seq(0, 2, /*priority=*/5)).ok());
  ASSERT_TRUE(f.scheduler.Add(Seq(1, 2, /*priority=*/1)).ok());
  ASSERT_TRUE(f.scheduler.Add(Seq(2, 2, /*priority=*/1)).ok());
  SchedulerOutput out = f.scheduler.Schedule();
  ASSERT_EQ(out.chunks.size(), 1u);
  EXPECT_EQ(out.chunks[0].sequence->id, 1);
}

TEST(SchedulerTest, BoundedWaitingQueueAndRemoveFreesEverything) {
  SchedulerConfig config;
  config.max_running = 2;
  config.max_waiting = 2;
  Fixture f(config, 10, 2);
  ASSERT_TRUE(f.scheduler.Add(Seq(0, 6)).ok());
  ASSERT_TRUE(f.scheduler.Add(Seq(1, 6)).ok());
  EXPECT_EQ(f.scheduler.Add(Seq(2, 6)).code(), absl::StatusCode::kResourceExhausted);
  f.scheduler.Schedule();
  ASSERT_TRUE(f.scheduler.Add(Seq(2, 6)).ok());
  EXPECT_GT(f.kv.num_used(), 0);
  for (int64_t id : {0, 1, 2}) EXPECT_NE(f.scheduler.Remove(id), nullptr);
  EXPECT_EQ(f.scheduler.Remove(7), nullptr);
  EXPECT_EQ(f.kv.num_free(), 10);
  EXPECT_EQ(f.slots_pool.num_free(), 2);
  EXPECT_FALSE(f.scheduler.HasWork());
}

}  // namespace
}  // namespace hybridserve::engine
