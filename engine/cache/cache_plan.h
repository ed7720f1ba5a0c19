// Sizing of the two cache pools from memory budgets. The KV pool is sized from its own budget in
// blocks of block_size_tokens; the SSM pool from its own budget in slots of the model's state
// size (from the spec's SSM layer shapes). Neither page size depends on the other. The number of
// sequences that may run at once is derived from both pools (one slot and at least one block
// each); a requested value that cannot fit is clamped with a warning, and the plan carries a
// one-paragraph report for startup logs.
#ifndef HYBRIDSERVE_ENGINE_CACHE_CACHE_PLAN_H_
#define HYBRIDSERVE_ENGINE_CACHE_CACHE_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/model_spec.h"

namespace hybridserve::engine {

// Element type of the SSM state slots. Only fp32 is implemented on the CPU backend.
enum class StateDType { kFloat32, kBFloat16 };

struct CacheOptions {
  int64_t kv_cache_bytes = int64_t{256} << 20;
  int64_t ssm_cache_bytes = int64_t{256} << 20;
  int64_t block_size_tokens = 16;
  // Exact pool sizes instead of the byte budgets (0: from the budget).
  int64_t num_blocks = 0;
  int64_t num_slots = 0;
  // Sequences running at once (0: as many as the pools hold, at most kDefaultMaxRunning).
  int64_t max_running = 0;
  StateDType state_dtype = StateDType::kFloat32;
  // Bytes of one stored K or V element (4: fp32; 2: a bf16/fp16 KV cache on the GPU). The engine
  // sets it from its model runner.
  int64_t kv_element_bytes = 4;
};

struct CachePlan {
  int64_t num_blocks = 0;
  int64_t block_size_tokens = 0;
  int64_t num_slots = 0;
  int64_t max_running = 0;
  int64_t kv_bytes_per_block = 0;  // 0 for a model without attention layers
  int64_t ssm_bytes_per_slot = 0;  // 0 for a model without SSM layers
  // The longest sequence (prompt + output) the model and the whole KV pool allow.
  int64_t max_sequence_tokens = 0;
  std::vector<std::string> warnings;
  std::string report;
};

inline constexpr int64_t kDefaultMaxRunning = 256;

absl::StatusOr<CachePlan> PlanCache(const ModelSpec& spec, const CacheOptions& options);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_CACHE_CACHE_PLAN_H_
