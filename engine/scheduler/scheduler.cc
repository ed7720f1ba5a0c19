#include "engine/scheduler/scheduler.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/check.h"

namespace hybridserve::engine {

Scheduler::Scheduler(SchedulerConfig config, std::unique_ptr<SchedulingPolicy> policy,
                     KvBlockPool* kv, SsmSlotPool* slots)
    : config_(config), policy_(std::move(policy)), kv_(kv), slots_(slots) {
  HS_CHECK(policy_ != nullptr && kv_ != nullptr && slots_ != nullptr);
  HS_CHECK(config_.max_num_batched_tokens > 0 && config_.max_prefill_chunk_tokens > 0);
  HS_CHECK(config_.max_running > 0 && config_.max_waiting >= 0);
}

absl::Status Scheduler::Add(std::unique_ptr<Sequence> sequence) {
  HS_CHECK(sequence != nullptr && sequence->num_prompt_tokens > 0);
  HS_CHECK(sequence->num_computed_tokens == 0 && sequence->block_table.empty());
  if (static_cast<int64_t>(waiting_.size()) >= config_.max_waiting) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the waiting queue is full (", config_.max_waiting, " requests); retry later"));
  }
  HS_CHECK_MSG(!sequences_.contains(sequence->id), "duplicate sequence id");
  Sequence* raw = sequence.get();
  raw->status = SequenceStatus::kWaiting;
  sequences_[raw->id] = std::move(sequence);
  InsertWaiting(raw);
  return absl::OkStatus();
}

void Scheduler::InsertWaiting(Sequence* sequence) {
  // After every sequence that is not served after this one: stable among equals.
  auto it = std::upper_bound(
      waiting_.begin(), waiting_.end(), sequence,
      [&](const Sequence* a, const Sequence* b) { return policy_->Before(*a, *b); });
  waiting_.insert(it, sequence);
}

Scheduler::Share Scheduler::NextShare(const Sequence& s, int64_t budget) const {
  const int64_t computed = s.num_computed_tokens;
  const int64_t pending = s.num_tokens() - computed;
  HS_CHECK(pending > 0);
  if (computed >= s.num_prompt_tokens && (pending == 1 || !config_.replay_generated_as_prompt)) {
    return {1, true};  // a generated token through the single-step path
  }
  const int64_t end = config_.replay_generated_as_prompt
                          ? s.num_tokens()
                          : std::min(s.num_tokens(), s.num_prompt_tokens);
  const int64_t n = std::min({end - computed, config_.max_prefill_chunk_tokens, budget});
  return {n, false};
}

void Scheduler::Preempt(Sequence* sequence) {
  auto it = std::find(running_.begin(), running_.end(), sequence);
  HS_CHECK(it != running_.end());
  running_.erase(it);
  kv_->Release(&sequence->block_table);
  slots_->Release(sequence->ssm_slot);
  sequence->ssm_slot = -1;
  sequence->num_computed_tokens = 0;
  sequence->status = SequenceStatus::kWaiting;
  ++sequence->num_preemptions;
  ++num_preemptions_;
  InsertWaiting(sequence);
}

SchedulerOutput Scheduler::Schedule() {
  SchedulerOutput out;
  int64_t budget = config_.max_num_batched_tokens;
  std::stable_sort(running_.begin(), running_.end(),
                   [&](const Sequence* a, const Sequence* b) { return policy_->Before(*a, *b); });

  // Running sequences first, in policy order.
  for (size_t i = 0; i < running_.size() && budget > 0;) {
    Sequence* s = running_[i];
    const Share share = NextShare(*s, budget);
    bool have_blocks = true;
    while (!kv_->EnsureCapacity(s->num_computed_tokens + share.num_tokens, &s->block_table)) {
      // Everything from i on is not scheduled yet; the last of them goes first.
      Sequence* victim = running_.back();
      out.preempted.push_back(victim->id);
      Preempt(victim);
      if (victim == s) {
        have_blocks = false;
        break;
      }
    }
    if (!have_blocks) break;
    out.chunks.push_back({s, share.num_tokens, share.decode});
    out.num_tokens += share.num_tokens;
    budget -= share.num_tokens;
    ++i;
  }

  // Then admissions, unless this step already had to preempt.
  while (out.preempted.empty() && !waiting_.empty() && budget > 0 &&
         static_cast<int64_t>(running_.size()) < config_.max_running && slots_->num_free() > 0) {
    Sequence* s = waiting_.front();
    const Share share = NextShare(*s, budget);
    if (!kv_->EnsureCapacity(share.num_tokens, &s->block_table)) break;
    waiting_.pop_front();
    s->ssm_slot = *slots_->Allocate();
    s->status = SequenceStatus::kRunning;
    running_.push_back(s);
    out.chunks.push_back({s, share.num_tokens, share.decode});
    out.num_tokens += share.num_tokens;
    budget -= share.num_tokens;
  }
  return out;
}

std::unique_ptr<Sequence> Scheduler::Remove(int64_t id) {
  auto found = sequences_.find(id);
  if (found == sequences_.end()) return nullptr;
  std::unique_ptr<Sequence> sequence = std::move(found->second);
  sequences_.erase(found);
  Sequence* raw = sequence.get();
  if (raw->status == SequenceStatus::kRunning) {
    running_.erase(std::find(running_.begin(), running_.end(), raw));
    kv_->Release(&raw->block_table);
    slots_->Release(raw->ssm_slot);
    raw->ssm_slot = -1;
  } else {
    auto it = std::find(waiting_.begin(), waiting_.end(), raw);
    HS_CHECK(it != waiting_.end());
    waiting_.erase(it);
    HS_CHECK(raw->block_table.empty());
  }
  raw->status = SequenceStatus::kFinished;
  return sequence;
}

Sequence* Scheduler::Find(int64_t id) {
  auto found = sequences_.find(id);
  return found == sequences_.end() ? nullptr : found->second.get();
}

std::vector<int64_t> Scheduler::SequenceIds() const {
  std::vector<int64_t> ids;
  for (const auto& [id, sequence] : sequences_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace hybridserve::engine
