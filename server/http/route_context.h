// What every HTTP route handler needs, and the helpers that write JSON and OpenAI-shaped errors.
#ifndef HYBRIDSERVE_SERVER_HTTP_ROUTE_CONTEXT_H_
#define HYBRIDSERVE_SERVER_HTTP_ROUTE_CONTEXT_H_

#include "absl/status/status.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "server/generation_backend.h"
#include "server/metrics.h"
#include "server/openai/response_builder.h"
#include "server/request_log.h"
#include "server/server_state.h"

namespace hybridserve::server::http {

struct RouteContext {
  GenerationBackend* backend;
  ServerMetrics* metrics;
  ServerState* state;
  Logger* logger;
};

inline void SendJson(httplib::Response& res, int http_status, const nlohmann::json& body) {
  res.status = http_status;
  res.set_content(openai::DumpJson(body), "application/json");
}

inline void SendError(httplib::Response& res, const openai::HttpError& error) {
  SendJson(res, error.http_status, error.body);
}

inline void SendError(httplib::Response& res, const absl::Status& status) {
  SendError(res, openai::ErrorFromStatus(status));
}

// Unavailable while draining or before the model is ready (503); OK otherwise.
inline absl::Status CheckServing(const RouteContext& context) {
  if (context.state->draining()) {
    return absl::UnavailableError("the server is shutting down; retry on another replica");
  }
  if (!context.backend->IsReady()) {
    return absl::UnavailableError("the model is still loading; retry when GET /ready returns 200");
  }
  return absl::OkStatus();
}

}  // namespace hybridserve::server::http

#endif  // HYBRIDSERVE_SERVER_HTTP_ROUTE_CONTEXT_H_
