// A plain snapshot of the engine's counters and gauges (the server's metrics read it).
#ifndef HYBRIDSERVE_ENGINE_SERVING_ENGINE_STATS_H_
#define HYBRIDSERVE_ENGINE_SERVING_ENGINE_STATS_H_

#include <cstdint>

namespace hybridserve::engine {

struct EngineStats {
  int64_t num_waiting = 0;
  int64_t num_running = 0;
  int64_t kv_blocks_used = 0;
  int64_t kv_blocks_total = 0;
  int64_t ssm_slots_used = 0;
  int64_t ssm_slots_total = 0;
  int64_t prompt_tokens_computed = 0;  // prefill tokens, recomputation included
  int64_t generated_tokens = 0;
  int64_t num_preemptions = 0;
  int64_t num_steps = 0;
  int64_t requests_finished = 0;
  // Cumulative step-time breakdown.
  double schedule_seconds = 0.0;
  double forward_seconds = 0.0;
  double sample_seconds = 0.0;
  double last_step_seconds = 0.0;

  double kv_usage() const {
    return kv_blocks_total > 0 ? static_cast<double>(kv_blocks_used) / kv_blocks_total : 0.0;
  }
  double ssm_usage() const {
    return ssm_slots_total > 0 ? static_cast<double>(ssm_slots_used) / ssm_slots_total : 0.0;
  }
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_SERVING_ENGINE_STATS_H_
