#include "server/status_mapping.h"

#include "absl/strings/cord.h"

namespace hybridserve::server {
namespace {

constexpr char kParamPayload[] = "type.hybridserve/param";
constexpr char kCodePayload[] = "type.hybridserve/error_code";

// grpc::StatusCode numbering is the same as absl::StatusCode's (both follow google.rpc.Code).
constexpr int Grpc(absl::StatusCode code) { return static_cast<int>(code); }

}  // namespace

StatusMapping MapStatusCode(absl::StatusCode code) {
  using C = absl::StatusCode;
  switch (code) {
    case C::kOk:
      return {Grpc(code), 200, ""};
    case C::kInvalidArgument:
    case C::kOutOfRange:
    case C::kFailedPrecondition:
      return {Grpc(code), 400, "invalid_request_error"};
    case C::kUnauthenticated:
      return {Grpc(code), 401, "invalid_request_error"};
    case C::kPermissionDenied:
      return {Grpc(code), 403, "permission_error"};
    case C::kNotFound:
      return {Grpc(code), 404, "invalid_request_error"};
    case C::kAlreadyExists:
    case C::kAborted:
      return {Grpc(code), 409, "conflict_error"};
    case C::kResourceExhausted:
      return {Grpc(code), 429, "rate_limit_error"};
    case C::kCancelled:
      return {Grpc(code), 499, "cancelled"};
    case C::kUnimplemented:
      return {Grpc(code), 501, "not_implemented_error"};
    case C::kUnavailable:
      return {Grpc(code), 503, "service_unavailable_error"};
    case C::kDeadlineExceeded:
      return {Grpc(code), 504, "timeout_error"};
    case C::kUnknown:
    case C::kInternal:
    case C::kDataLoss:
      return {Grpc(code), 500, "server_error"};
    default:
      break;
  }
  return {Grpc(C::kUnknown), 500, "server_error"};
}

absl::Status InvalidParam(absl::string_view param, absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kParamPayload, absl::Cord(param));
  return status;
}

std::optional<std::string> StatusParam(const absl::Status& status) {
  auto payload = status.GetPayload(kParamPayload);
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

absl::Status WithErrorCode(absl::Status status, absl::string_view code) {
  status.SetPayload(kCodePayload, absl::Cord(code));
  return status;
}

std::optional<std::string> StatusErrorCode(const absl::Status& status) {
  auto payload = status.GetPayload(kCodePayload);
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

}  // namespace hybridserve::server
