// libFuzzer target: the OpenAI request parser (server/openai/request_parser.h) on arbitrary
// bytes, as a completions body and as a chat body. It must never crash, throw or accept a
// request that breaks the documented ranges; every rejection must be InvalidArgument.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/openai/request_parser.h"
#include "server/status_mapping.h"

namespace {

using hybridserve::server::openai::OpenAiRequest;

void Check(const absl::StatusOr<OpenAiRequest>& parsed) {
  if (!parsed.ok()) {
    if (parsed.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return;
  }
  const auto& s = parsed->sampling;
  if (parsed->n < 1 || parsed->n > hybridserve::server::openai::kMaxN) std::abort();
  if (!(s.temperature >= 0.0f && s.temperature <= 2.0f)) std::abort();
  if (!(s.top_p > 0.0f && s.top_p <= 1.0f)) std::abort();
  if (s.top_logprobs < 0 || s.top_logprobs > hybridserve::server::openai::kMaxLogprobs) {
    std::abort();
  }
  if (parsed->max_tokens.has_value() && *parsed->max_tokens < 1) std::abort();
  if (static_cast<int64_t>(s.stop.size()) > hybridserve::server::openai::kMaxStopStrings) {
    std::abort();
  }
  for (const auto& stop : s.stop) {
    if (stop.empty()) std::abort();
  }
  if (parsed->include_usage && !parsed->stream) std::abort();
  if (parsed->endpoint == hybridserve::server::openai::Endpoint::kChat &&
      parsed->messages.empty()) {
    std::abort();
  }
  if (parsed->endpoint == hybridserve::server::openai::Endpoint::kCompletions &&
      parsed->prompts.empty()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  Check(hybridserve::server::openai::ParseCompletionRequest(body));
  Check(hybridserve::server::openai::ParseChatRequest(body));
  return 0;
}
