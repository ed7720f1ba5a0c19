// Prefill a prompt (whole or in chunks) and decode greedily one token per step through the
// caches, recording the logits of every prompt position and of every decode step. This is what
// `hybridtool logits` prints and what the reference-logit tests compare.
#ifndef HYBRIDSERVE_ENGINE_MODEL_GREEDY_RUN_H_
#define HYBRIDSERVE_ENGINE_MODEL_GREEDY_RUN_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/model/model_runner.h"

namespace hybridserve::engine {

struct GreedyRunResult {
  std::vector<std::vector<float>> prompt_logits;  // [L][V]
  std::vector<int32_t> generated_tokens;          // [num_generate]
  // [num_generate][V]: row 0 = logits at the last prompt position, row i = logits after feeding
  // generated token i-1 (each row is what the token at that step was chosen from).
  std::vector<std::vector<float>> step_logits;
};

// prefill_chunk_tokens: 0 runs the prompt in one step, else in chunks of that many tokens.
absl::StatusOr<GreedyRunResult> RunGreedy(ModelRunner& model, absl::Span<const int32_t> prompt,
                                          int64_t num_generate, int64_t prefill_chunk_tokens = 0);

// Index of the largest value (the first one on ties, as torch.argmax).
int32_t ArgMax(absl::Span<const float> values);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_GREEDY_RUN_H_
