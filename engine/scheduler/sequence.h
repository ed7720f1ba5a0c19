// What the scheduler knows of one sequence: its tokens (prompt, then generated ones), how many of
// them are already in the caches, the KV blocks and SSM slot it holds, and its ordering keys.
// Sampling state, streams and deadlines belong to the engine, not here.
#ifndef HYBRIDSERVE_ENGINE_SCHEDULER_SEQUENCE_H_
#define HYBRIDSERVE_ENGINE_SCHEDULER_SEQUENCE_H_

#include <cstdint>
#include <vector>

namespace hybridserve::engine {

enum class SequenceStatus { kWaiting, kRunning, kFinished };

struct Sequence {
  int64_t id = 0;
  int64_t arrival = 0;          // submission order, kept across preemption
  int32_t priority = 0;         // lower value runs first under the priority policy
  std::vector<int32_t> tokens;  // prompt followed by the generated tokens
  int64_t num_prompt_tokens = 0;
  // Tokens whose effect is in the caches (KV entries and SSM state).
  int64_t num_computed_tokens = 0;
  std::vector<int32_t> block_table;
  int32_t ssm_slot = -1;
  SequenceStatus status = SequenceStatus::kWaiting;
  int64_t num_preemptions = 0;

  int64_t num_tokens() const { return static_cast<int64_t>(tokens.size()); }
  int64_t num_output_tokens() const { return num_tokens() - num_prompt_tokens; }
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_SCHEDULER_SEQUENCE_H_
