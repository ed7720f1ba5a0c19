#include "engine/sampling/sampling_params.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace hybridserve::engine {

absl::Status ValidateSamplingParams(const SamplingParams& p, int64_t vocab_size) {
  auto bad = [](auto... parts) { return absl::InvalidArgumentError(absl::StrCat(parts...)); };
  if (!std::isfinite(p.temperature) || p.temperature < 0.0f) {
    return bad("temperature ", p.temperature, " must be a finite number >= 0 (0: greedy)");
  }
  if (p.top_k < -1) return bad("top_k ", p.top_k, " must be >= 1, or 0 / -1 to disable it");
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) {
    return bad("top_p ", p.top_p, " must be in (0, 1]");
  }
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) return bad("min_p ", p.min_p, " must be in [0, 1]");
  if (!(std::isfinite(p.repetition_penalty) && p.repetition_penalty > 0.0f)) {
    return bad("repetition_penalty ", p.repetition_penalty, " must be > 0 (1: off)");
  }
  if (!(p.presence_penalty >= -2.0f && p.presence_penalty <= 2.0f)) {
    return bad("presence_penalty ", p.presence_penalty, " must be in [-2, 2]");
  }
  if (!(p.frequency_penalty >= -2.0f && p.frequency_penalty <= 2.0f)) {
    return bad("frequency_penalty ", p.frequency_penalty, " must be in [-2, 2]");
  }
  if (p.logprobs < 0 || p.logprobs > kMaxLogprobs) {
    return bad("logprobs ", p.logprobs, " must be in [0, ", kMaxLogprobs, "]");
  }
  if (p.max_tokens < 1) return bad("max_tokens ", p.max_tokens, " must be >= 1");
  if (p.min_tokens < 0 || p.min_tokens > p.max_tokens) {
    return bad("min_tokens ", p.min_tokens, " must be in [0, max_tokens = ", p.max_tokens, "]");
  }
  for (int32_t id : p.stop_token_ids) {
    if (id < 0 || id >= vocab_size) {
      return bad("stop token id ", id, " is outside the vocabulary [0, ", vocab_size, ")");
    }
  }
  for (const std::string& s : p.stop) {
    if (s.empty()) return bad("stop strings must not be empty");
  }
  return absl::OkStatus();
}

}  // namespace hybridserve::engine
