// The one table from absl::StatusCode to what each front end sends: the gRPC status code, the
// HTTP status and OpenAI's error "type" and "code". Also carries the offending parameter's name
// (OpenAI's error "param") inside a Status as a payload.
#ifndef HYBRIDSERVE_SERVER_STATUS_MAPPING_H_
#define HYBRIDSERVE_SERVER_STATUS_MAPPING_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hybridserve::server {

struct StatusMapping {
  int grpc_code;           // grpc::StatusCode value
  int http_status;         // e.g. 400
  const char* error_type;  // OpenAI error "type", e.g. "invalid_request_error"
};

StatusMapping MapStatusCode(absl::StatusCode code);

// InvalidArgument naming the request parameter; the HTTP error body reports it as "param".
absl::Status InvalidParam(absl::string_view param, absl::string_view message);
// The parameter attached by InvalidParam, if any.
std::optional<std::string> StatusParam(const absl::Status& status);

// An OpenAI error "code" for statuses that have one ("model_not_found", "invalid_api_key", ...),
// attached as a payload; StatusErrorCode reads it back.
absl::Status WithErrorCode(absl::Status status, absl::string_view code);
std::optional<std::string> StatusErrorCode(const absl::Status& status);

// HTTP-only statuses that have no absl::StatusCode of their own.
inline constexpr int kHttpPayloadTooLarge = 413;
inline constexpr const char* kPayloadTooLargeType = "invalid_request_error";

}  // namespace hybridserve::server

#endif  // HYBRIDSERVE_SERVER_STATUS_MAPPING_H_
