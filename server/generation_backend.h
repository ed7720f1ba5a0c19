// The narrow interface the front ends (HTTP, gRPC) call: everything they need from the engine,
// the tokenizer and the chat template, in plain structs. The production implementation adapts
// engine/serving's Engine; fake_backend.h is a deterministic stand-in for tests.
//
// Front ends validate and tokenize first (Tokenize / ApplyChatTemplate), then submit one
// GenerationRequest per sequence (OpenAI's n becomes n submissions) and read its stream:
//
//   auto stream = backend->Submit(std::move(request));
//   GenerationDelta delta;
//   while ((*stream)->Next(absl::Milliseconds(100), &delta) != StreamRead::kEnd) { ... }
#ifndef HYBRIDSERVE_SERVER_GENERATION_BACKEND_H_
#define HYBRIDSERVE_SERVER_GENERATION_BACKEND_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace hybridserve::server {

// Sampling and stopping, with the OpenAI/vLLM meanings. Front ends have range-checked them.
struct SamplingOptions {
  float temperature = 1.0f;  // 0: greedy
  float top_p = 1.0f;        // (0, 1]
  int32_t top_k = 0;         // 0 or -1: off
  float min_p = 0.0f;
  float repetition_penalty = 1.0f;
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  std::optional<uint64_t> seed;
  int64_t max_tokens = 16;  // >= 1, and prompt + max_tokens <= max_model_len
  int64_t min_tokens = 0;
  std::vector<std::string> stop;  // stop strings; the matched string is not in the output
  std::vector<int32_t> stop_token_ids;
  bool ignore_eos = false;
  bool logprobs = false;     // log-probability of each sampled token
  int32_t top_logprobs = 0;  // plus this many alternatives, best first
};

struct GenerationRequest {
  std::string request_id;  // for logs; unique per sequence
  std::vector<int32_t> prompt_token_ids;
  SamplingOptions sampling;
  std::optional<absl::Time> deadline;  // the backend ends the sequence with DeadlineExceeded
};

struct TopLogprob {
  int32_t token_id = 0;
  std::string token;  // the token's text (may be a partial UTF-8 character)
  float logprob = 0.0f;
};

struct TokenLogprob {
  int32_t token_id = 0;
  std::string token;
  float logprob = 0.0f;
  std::vector<TopLogprob> top;
};

enum class FinishReason { kNone, kStop, kLength, kCancelled, kError };

// "stop", "length", "abort", "error" (vLLM's finished_reason label values); "" for kNone.
const char* FinishReasonName(FinishReason reason);

// Engine-side timings of a finished sequence (for the queue/prefill/decode histograms).
struct SequenceTimings {
  absl::Duration queue;    // submitted -> first scheduled
  absl::Duration prefill;  // first scheduled -> first token
  absl::Duration decode;   // first token -> last token
};

// New output of one sequence. The last delta has finished = true, the finish reason, the usage
// and the timings; status is not OK for kCancelled (Cancelled or DeadlineExceeded) and kError.
struct GenerationDelta {
  std::string text;  // newly released text, whole UTF-8 characters
  std::vector<int32_t> token_ids;
  std::vector<TokenLogprob> logprobs;  // one per token id when requested
  bool finished = false;
  FinishReason finish_reason = FinishReason::kNone;
  absl::Status status;
  int64_t num_prompt_tokens = 0;     // on the last delta
  int64_t num_generated_tokens = 0;  // on the last delta
  SequenceTimings timings;           // on the last delta
};

enum class StreamRead { kDelta, kTimeout, kEnd };

// One submitted sequence. Next is called from one thread at a time; Cancel from any thread, at
// any time (also after the end), and releases the sequence's cache blocks and state slot at once.
// Destroying an unfinished stream cancels it.
class GenerationStream {
 public:
  virtual ~GenerationStream() = default;
  // kDelta: *delta holds the next output; kTimeout: nothing within timeout; kEnd: the final
  // delta was already returned.
  virtual StreamRead Next(absl::Duration timeout, GenerationDelta* delta) = 0;
  virtual void Cancel() = 0;
};

struct ChatMessage {
  std::string role;  // system, developer, user, assistant, tool
  std::string content;
  std::string name;  // optional
};

struct ModelDescription {
  std::string name;     // the id clients put in "model"
  std::string version;  // the loaded checkpoint's version
  std::string family;
  int64_t max_model_len = 0;  // prompt + generated tokens
  int64_t vocab_size = 0;
  int64_t created_unix_seconds = 0;
};

// Plain counters and gauges; cumulative ones only grow.
struct BackendStats {
  int64_t num_running = 0;
  int64_t num_waiting = 0;
  double kv_cache_usage = 0.0;   // fraction in [0, 1]
  double ssm_state_usage = 0.0;  // fraction of SSM state slots in use
  int64_t num_preemptions = 0;   // cumulative
  int64_t kv_blocks_used = 0;
  int64_t ssm_slots_used = 0;
};

class GenerationBackend {
 public:
  virtual ~GenerationBackend() = default;

  virtual ModelDescription Model() const = 0;
  // True once the model is loaded and warmed up.
  virtual bool IsReady() const = 0;

  virtual absl::StatusOr<std::vector<int32_t>> Tokenize(absl::string_view text,
                                                        bool add_special_tokens) = 0;
  // InvalidArgument for ids outside the vocabulary.
  virtual absl::StatusOr<std::string> Detokenize(absl::Span<const int32_t> token_ids,
                                                 bool skip_special_tokens) = 0;
  // The model's chat template applied to the messages; InvalidArgument when it rejects them.
  virtual absl::StatusOr<std::string> ApplyChatTemplate(absl::Span<const ChatMessage> messages,
                                                        bool add_generation_prompt) = 0;
  // Whether prompts from ApplyChatTemplate already hold the special tokens (e.g. BOS), so they
  // are tokenized with add_special_tokens = false.
  virtual bool ChatTemplateAddsSpecialTokens() const = 0;

  // InvalidArgument for a request the engine rejects, ResourceExhausted when the waiting queue
  // is full, Unavailable when shutting down.
  virtual absl::StatusOr<std::unique_ptr<GenerationStream>> Submit(GenerationRequest request) = 0;

  virtual BackendStats Stats() const = 0;
};

}  // namespace hybridserve::server

#endif  // HYBRIDSERVE_SERVER_GENERATION_BACKEND_H_
