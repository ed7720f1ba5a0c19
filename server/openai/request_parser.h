// OpenAI request bodies -> OpenAiRequest. Every rejection is an InvalidArgument whose message
// names the offending parameter (and carries it as the error's "param", see status_mapping.h).
// Unknown fields are ignored, as vLLM does. Never throws, for any input bytes.
#ifndef HYBRIDSERVE_SERVER_OPENAI_REQUEST_PARSER_H_
#define HYBRIDSERVE_SERVER_OPENAI_REQUEST_PARSER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "server/openai/request.h"

namespace hybridserve::server::openai {

// Parses a JSON document that must be an object (InvalidArgument for bad JSON, invalid UTF-8 or
// a non-object).
absl::StatusOr<nlohmann::json> ParseJsonObject(absl::string_view body);

// POST /v1/completions.
absl::StatusOr<OpenAiRequest> ParseCompletionRequest(absl::string_view body);
// POST /v1/chat/completions.
absl::StatusOr<OpenAiRequest> ParseChatRequest(absl::string_view body);

}  // namespace hybridserve::server::openai

#endif  // HYBRIDSERVE_SERVER_OPENAI_REQUEST_PARSER_H_
