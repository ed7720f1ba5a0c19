// Turns one row of logits into the next token of a sequence: penalties (repetition over prompt
// and output, presence and frequency over the output), EOS/stop-token masking before min_tokens,
// then greedy argmax or temperature + top-k + top-p + min-p and an inverse-CDF draw with the
// request's counter-based uniform (token_rng.h). Optionally reports the log-probability of the
// sampled token and the n most likely tokens under the model's unmodified distribution.
#ifndef HYBRIDSERVE_ENGINE_SAMPLING_SAMPLER_H_
#define HYBRIDSERVE_ENGINE_SAMPLING_SAMPLER_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "engine/sampling/sampling_params.h"

namespace hybridserve::engine {

struct TokenLogprobs {
  int32_t token = 0;
  float logprob = 0.0f;                        // of the sampled token
  std::vector<std::pair<int32_t, float>> top;  // n most likely (token, logprob), best first
};

struct SampledToken {
  int32_t token = 0;
  TokenLogprobs logprobs;  // filled when params.logprobs > 0
};

struct SamplerInput {
  absl::Span<const float> logits;           // [V]
  absl::Span<const int32_t> prompt_tokens;  // [L]
  absl::Span<const int32_t> output_tokens;  // [num_output]: generated so far
  absl::Span<const int64_t> eos_token_ids;  // the model's EOS ids
  uint64_t seed = 0;
};

// params must have passed ValidateSamplingParams.
SampledToken SampleToken(const SamplerInput& input, const SamplingParams& params);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_SAMPLING_SAMPLER_H_
