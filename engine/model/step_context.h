// What every block of one forward step needs to know: the batch layout (which rows of the
// flattened [T, D] activations belong to which sequence), the token positions, the caches and
// the thread pool.
#ifndef HYBRIDSERVE_ENGINE_MODEL_STEP_CONTEXT_H_
#define HYBRIDSERVE_ENGINE_MODEL_STEP_CONTEXT_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "engine/model/cache_store.h"
#include "engine/model/weight_store.h"
#include "kernels/cpu/thread_pool.h"

namespace hybridserve::engine {

// One sequence's share of a step: T_i new tokens appended after start_position cached ones.
struct SequenceChunk {
  absl::Span<const int32_t> tokens;       // [T_i]
  int64_t start_position = 0;             // tokens of this sequence already in the caches
  absl::Span<const int32_t> block_table;  // KV blocks covering positions [0, start + T_i)
  int32_t ssm_slot = 0;                   // SSM state slot of this sequence
  bool all_logits = false;                // logits for every token, else the last one only
  // A decode step feeds one generated token (the single-step state update); otherwise the tokens
  // are prompt tokens, whatever their number (the chunked scan), so a prompt gives the same
  // result however it is split into chunks.
  bool decode = false;
};

struct StepContext {
  absl::Span<const SequenceChunk> chunks;
  std::vector<int64_t>
      row_begin;  // [num_chunks + 1]: rows of chunk c are [row_begin[c], row_begin[c+1])
  std::vector<int64_t> positions;  // [T]
  int64_t num_tokens = 0;          // T
  CacheStore* cache = nullptr;
  const WeightStore* weights = nullptr;
  kernels::cpu::ThreadPool* pool = nullptr;

  int64_t rows(size_t chunk) const { return row_begin[chunk + 1] - row_begin[chunk]; }
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_STEP_CONTEXT_H_
