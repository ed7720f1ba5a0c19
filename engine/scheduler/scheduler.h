// Continuous-batching scheduler. Each step it decides how many tokens every sequence gets, under
// a per-step token budget: a running sequence that has caught up gets one decode token, one
// still in its prompt gets a prefill chunk, so prefill chunks and decodes share one batch.
// Running sequences are served first (in policy order); waiting ones are admitted in policy
// order while the budget, max_running, a free SSM slot and KV blocks for their first chunk allow.
// When the KV pool runs dry, the last running sequence in policy order is preempted: its blocks
// and slot are freed and it goes back to the waiting queue with all its tokens (prompt and
// generated) to be recomputed. The scheduler never sees SSM dimensions: a sequence needs exactly
// one slot, whatever its size.
// Not thread-safe: the engine loop is its only user.
#ifndef HYBRIDSERVE_ENGINE_SCHEDULER_SCHEDULER_H_
#define HYBRIDSERVE_ENGINE_SCHEDULER_SCHEDULER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "engine/cache/kv_block_pool.h"
#include "engine/cache/ssm_slot_pool.h"
#include "engine/scheduler/scheduling_policy.h"
#include "engine/scheduler/sequence.h"

namespace hybridserve::engine {

struct SchedulerConfig {
  int64_t max_num_batched_tokens = 512;   // token budget of one step
  int64_t max_prefill_chunk_tokens = 64;  // longest prefill chunk of one sequence in one step
  int64_t max_running = 1;
  int64_t max_waiting = 1024;  // submissions beyond this are refused (preempted ones never are)
  // How a preempted sequence recomputes its generated tokens: as prompt tokens in chunks (true),
  // or one decode step each (false). The second reproduces the original computation exactly
  // where a model's decode path differs from its prompt path (see ModelSpec's decode_dt_*).
  bool replay_generated_as_prompt = true;
};

struct ScheduledChunk {
  Sequence* sequence = nullptr;
  int64_t num_tokens = 0;  // fed this step, starting at sequence->num_computed_tokens
  bool decode = false;     // one generated token through the single-step path
};

struct SchedulerOutput {
  std::vector<ScheduledChunk> chunks;
  std::vector<int64_t> preempted;  // ids preempted during this step's scheduling
  int64_t num_tokens = 0;
};

class Scheduler {
 public:
  Scheduler(SchedulerConfig config, std::unique_ptr<SchedulingPolicy> policy, KvBlockPool* kv,
            SsmSlotPool* slots);

  const SchedulerConfig& config() const { return config_; }

  // Queues a new sequence (status waiting, no blocks, no slot). ResourceExhausted when the
  // waiting queue is full.
  absl::Status Add(std::unique_ptr<Sequence> sequence);
  SchedulerOutput Schedule();
  // Takes a sequence out wherever it is (finished, cancelled, failed), freeing its blocks and
  // slot. nullptr for an unknown id.
  std::unique_ptr<Sequence> Remove(int64_t id);
  Sequence* Find(int64_t id);

  int64_t num_waiting() const { return static_cast<int64_t>(waiting_.size()); }
  int64_t num_running() const { return static_cast<int64_t>(running_.size()); }
  bool HasWork() const { return !waiting_.empty() || !running_.empty(); }
  int64_t num_preemptions() const { return num_preemptions_; }
  std::vector<int64_t> SequenceIds() const;

 private:
  struct Share {
    int64_t num_tokens = 0;
    bool decode = false;
  };
  Share NextShare(const Sequence& sequence, int64_t budget) const;
  void Preempt(Sequence* sequence);
  void InsertWaiting(Sequence* sequence);

  SchedulerConfig config_;
  std::unique_ptr<SchedulingPolicy> policy_;
  KvBlockPool* kv_;
  SsmSlotPool* slots_;
  absl::flat_hash_map<int64_t, std::unique_ptr<Sequence>> sequences_;
  std::deque<Sequence*> waiting_;   // policy order
  std::vector<Sequence*> running_;  // policy order after each Schedule's sort
  int64_t num_preemptions_ = 0;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_SCHEDULER_SCHEDULER_H_
