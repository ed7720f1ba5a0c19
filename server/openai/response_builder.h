// OpenAI response bodies, byte-for-byte in OpenAI's shapes: completions ("text_completion"),
// chat completions ("chat.completion" and "chat.completion.chunk"), server-sent events, usage,
// log-probabilities (the completions and the chat shapes differ), the model list and errors.
#ifndef HYBRIDSERVE_SERVER_OPENAI_RESPONSE_BUILDER_H_
#define HYBRIDSERVE_SERVER_OPENAI_RESPONSE_BUILDER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "server/generation_backend.h"
#include "server/openai/request.h"

namespace hybridserve::server::openai {

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

// What one choice produced (all of it, or one streamed piece of it).
struct ChoiceOutput {
  int32_t index = 0;
  std::string text;
  std::vector<TokenLogprob> logprobs;
  bool has_logprobs = false;  // the request asked for them
  std::string finish_reason;  // "" while unfinished
  int64_t text_offset = 0;    // completions logprobs: where text starts in the choice's text
};

// The identity shared by every chunk of one response.
struct ResponseHeader {
  std::string id;  // "cmpl-..." or "chatcmpl-..."
  int64_t created = 0;
  std::string model;
};

// "cmpl-<32 hex>" or "chatcmpl-<32 hex>".
std::string NewResponseId(Endpoint endpoint);

nlohmann::json UsageJson(const Usage& usage);

nlohmann::json CompletionResponse(const ResponseHeader& header,
                                  const std::vector<ChoiceOutput>& choices, const Usage& usage);
// include_usage: the chunk carries "usage": null (stream_options.include_usage).
nlohmann::json CompletionChunk(const ResponseHeader& header, const ChoiceOutput& choice,
                               bool include_usage);

nlohmann::json ChatResponse(const ResponseHeader& header, const std::vector<ChoiceOutput>& choices,
                            const Usage& usage);
// The first chunk of a choice carries the role ("assistant", content ""); later ones the content
// piece; the last one an empty delta and the finish reason.
nlohmann::json ChatRoleChunk(const ResponseHeader& header, int32_t index, bool include_usage);
nlohmann::json ChatChunk(const ResponseHeader& header, const ChoiceOutput& choice,
                         bool include_usage);

// The final chunk of a stream with include_usage: "choices": [] and the usage.
nlohmann::json UsageChunk(const ResponseHeader& header, Endpoint endpoint, const Usage& usage);

// "data: <json>\n\n" and the terminator "data: [DONE]\n\n".
std::string SseEvent(const nlohmann::json& data);
inline constexpr absl::string_view kSseDone = "data: [DONE]\n\n";

// {"object": "list", "data": [{"id", "object": "model", "created", "owned_by", ...}]}.
nlohmann::json ModelListJson(const ModelDescription& model);
nlohmann::json ModelJson(const ModelDescription& model);

// {"error": {"message", "type", "param", "code"}} for a failed status, and the HTTP status.
struct HttpError {
  int http_status = 500;
  nlohmann::json body;
};
HttpError ErrorFromStatus(const absl::Status& status);
HttpError ErrorJson(int http_status, absl::string_view message, absl::string_view type,
                    std::optional<std::string> param, std::optional<std::string> code);

// Serializes without throwing: invalid UTF-8 (a partial character in a token's text) becomes
// U+FFFD.
std::string DumpJson(const nlohmann::json& value);

}  // namespace hybridserve::server::openai

#endif  // HYBRIDSERVE_SERVER_OPENAI_RESPONSE_BUILDER_H_
