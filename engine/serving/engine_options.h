// Everything that configures an engine: cache budgets, the scheduler's limits and policy, the
// per-stream buffer, and where token text comes from.
#ifndef HYBRIDSERVE_ENGINE_SERVING_ENGINE_OPTIONS_H_
#define HYBRIDSERVE_ENGINE_SERVING_ENGINE_OPTIONS_H_

#include <cstdint>

#include "engine/cache/cache_plan.h"
#include "engine/sampling/token_text_source.h"

namespace hybridserve::engine {

enum class SchedulingPolicyKind { kFcfs, kPriority };

struct EngineOptions {
  CacheOptions cache;
  int64_t max_num_batched_tokens = 512;
  int64_t max_prefill_chunk_tokens = 64;
  int64_t max_waiting = 1024;
  SchedulingPolicyKind policy = SchedulingPolicyKind::kFcfs;
  // Events a stream buffers for its reader; a request whose reader falls this far behind is
  // ended with ResourceExhausted (the final event always fits), so a slow reader never blocks
  // the engine and an abandoned stream frees its sequence.
  int64_t stream_buffer_events = 1024;
  // Token bytes for text streaming and stop strings; requests with stop strings are refused
  // without one. Not owned; must outlive the engine.
  const TokenTextSource* text_source = nullptr;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_SERVING_ENGINE_OPTIONS_H_
