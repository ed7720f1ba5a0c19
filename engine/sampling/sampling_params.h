// Per-request sampling and stopping parameters, with the OpenAI/vLLM meanings, and their checks.
#ifndef HYBRIDSERVE_ENGINE_SAMPLING_SAMPLING_PARAMS_H_
#define HYBRIDSERVE_ENGINE_SAMPLING_SAMPLING_PARAMS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace hybridserve::engine {

inline constexpr int kMaxLogprobs = 20;

struct SamplingParams {
  float temperature = 1.0f;  // 0: greedy (argmax)
  int32_t top_k = 0;         // 0 or -1: off
  float top_p = 1.0f;        // (0, 1]; 1: off
  float min_p = 0.0f;        // [0, 1]; 0: off
  // > 0; 1: off. Applies to tokens seen in the prompt or the output (logit / p if > 0, * p else).
  float repetition_penalty = 1.0f;
  float presence_penalty = 0.0f;   // [-2, 2]; subtracted once from each token in the output
  float frequency_penalty = 0.0f;  // [-2, 2]; subtracted per occurrence in the output
  // Random stream of this request; the engine picks one when absent. The same seed, prompt and
  // parameters give the same output whatever else runs in the batch.
  std::optional<uint64_t> seed;
  // Log-probabilities of each sampled token plus the n most likely ones (0: none), computed
  // from the model's distribution before any penalty, temperature or truncation.
  int32_t logprobs = 0;
  std::vector<int32_t> stop_token_ids;  // end the sequence (the token is kept in the output)
  std::vector<std::string> stop;        // end the sequence when the text contains one
  int64_t max_tokens = 16;              // >= 1
  int64_t min_tokens = 0;               // stop tokens, EOS and stop strings ignored before this
  bool ignore_eos = false;              // do not stop on the model's EOS tokens

  bool greedy() const { return temperature == 0.0f; }
};

// InvalidArgument naming the offending field and value. vocab_size bounds stop_token_ids.
absl::Status ValidateSamplingParams(const SamplingParams& params, int64_t vocab_size);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_SAMPLING_SAMPLING_PARAMS_H_
