#include "server/status_mapping.h"

#include "gtest/gtest.h"

namespace hybridserve::server {
namespace {

TEST(StatusMappingTest, DocumentedHttpStatusesAndGrpcCodes) {
  struct Row {
    absl::StatusCode code;
    int http;
    int grpc;  // google.rpc.Code numbering
    const char* type;
  };
  const Row rows[] = {
      {absl::StatusCode::kInvalidArgument, 400, 3, "invalid_request_error"},
      {absl::StatusCode::kOutOfRange, 400, 11, "invalid_request_error"},
      {absl::StatusCode::kUnauthenticated, 401, 16, "invalid_request_error"},
      {absl::StatusCode::kNotFound, 404, 5, "invalid_request_error"},
      {absl::StatusCode::kResourceExhausted, 429, 8, "rate_limit_error"},
      {absl::StatusCode::kUnavailable, 503, 14, "service_unavailable_error"},
      {absl::StatusCode::kDeadlineExceeded, 504, 4, "timeout_error"},
      {absl::StatusCode::kInternal, 500, 13, "server_error"},
      {absl::StatusCode::kCancelled, 499, 1, "cancelled"},
  };
  for (const Row& row : rows) {
    const StatusMapping mapping = MapStatusCode(row.code);
    EXPECT_EQ(mapping.http_status, row.http) << absl::StatusCodeToString(row.code);
    EXPECT_EQ(mapping.grpc_code, row.grpc) << absl::StatusCodeToString(row.code);
    EXPECT_STREQ(mapping.error_type, row.type) << absl::StatusCodeToString(row.code);
  }
}

TEST(StatusMappingTest, EveryCodeMapsToAnErrorStatus) {
  for (int code = 1; code <= 16; ++code) {
    const StatusMapping mapping = MapStatusCode(static_cast<absl::StatusCode>(code));
    EXPECT_GE(mapping.http_status, 400) << code;
    EXPECT_NE(mapping.grpc_code, 0) << code;
  }
  EXPECT_EQ(MapStatusCode(absl::StatusCode::kOk).http_status, 200);
}

TEST(StatusMappingTest, ParamAndCodePayloadsRoundTrip) {
  const absl::Status status = WithErrorCode(InvalidParam("top_p", "bad top_p"), "bad_value");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "bad top_p");
  EXPECT_EQ(StatusParam(status), "top_p");
  EXPECT_EQ(StatusErrorCode(status), "bad_value");
  EXPECT_FALSE(StatusParam(absl::InternalError("x")).has_value());
}

}  // namespace
}  // namespace hybridserve::server
