// What goes into the engine (a generation request) and what comes out of it (per-step output of
// one request, the last one carrying the finish reason and status).
#ifndef HYBRIDSERVE_ENGINE_SERVING_REQUEST_TYPES_H_
#define HYBRIDSERVE_ENGINE_SERVING_REQUEST_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/sampling/sampler.h"
#include "engine/sampling/sampling_params.h"

namespace hybridserve::engine {

struct GenerationRequest {
  std::vector<int32_t> prompt;  // token ids
  SamplingParams sampling;
  int32_t priority = 0;                // lower first, under the priority policy
  std::optional<absl::Time> deadline;  // ended with DeadlineExceeded when passed
  // When the request arrived (Engine::Submit sets it); unset: when the core added it.
  std::optional<absl::Time> arrival;
};

enum class FinishReason { kNone, kStop, kLength, kCancelled, kError };

const char* FinishReasonName(FinishReason reason);

// When a request reached each stage of its life (unset: it never did), as vLLM's request
// timestamps: queue time = first_scheduled - arrival, prefill time = first_token -
// first_scheduled, decode time = last_token - first_token. A preempted request keeps its first
// scheduling time.
struct RequestTimes {
  std::optional<absl::Time> arrival;          // submitted
  std::optional<absl::Time> first_scheduled;  // first given tokens to compute by the scheduler
  std::optional<absl::Time> first_token;      // first output token sampled
  std::optional<absl::Time> last_token;       // latest output token sampled
  std::optional<absl::Time> finished;         // ended, for whatever reason
};

struct RequestOutput {
  int64_t request_id = 0;
  std::vector<int32_t> tokens;          // new tokens
  std::vector<TokenLogprobs> logprobs;  // one per new token when logprobs were asked for
  std::string text;                     // newly released text (needs a TokenTextSource)
  bool finished = false;
  FinishReason finish_reason = FinishReason::kNone;
  absl::Status status;  // not OK for kCancelled (Cancelled, DeadlineExceeded, ...) and kError
  RequestTimes times;   // on the final output
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_SERVING_REQUEST_TYPES_H_
