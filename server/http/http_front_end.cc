#include "server/http/http_front_end.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "server/http/generate_route.h"
#include "server/http/info_routes.h"
#include "server/status_mapping.h"

namespace hybridserve::server::http {
namespace {

// Routes that need the API key (health, readiness and metrics stay open for probes/scrapers).
bool NeedsKey(const std::string& path) {
  return absl::StartsWith(path, "/v1/") || path == "/tokenize" || path == "/detokenize";
}

// Compares without an early exit on the first difference.
bool SameKey(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

HttpFrontEnd::HttpFrontEnd(HttpOptions options, RouteContext context)
    : options_(std::move(options)),
      context_(context),
      server_(std::make_unique<httplib::Server>()) {}

HttpFrontEnd::~HttpFrontEnd() { Stop(); }

bool HttpFrontEnd::Authorized(const std::string& authorization,
                              const std::string& x_api_key) const {
  if (options_.api_key.empty()) return true;
  constexpr absl::string_view kBearer = "Bearer ";
  if (absl::StartsWith(authorization, kBearer) &&
      SameKey(authorization.substr(kBearer.size()), options_.api_key)) {
    return true;
  }
  return !x_api_key.empty() && SameKey(x_api_key, options_.api_key);
}

void HttpFrontEnd::AddRoutes() {
  const RouteContext context = context_;
  httplib::Server& server = *server_;
  server.Post("/v1/completions", [context](const httplib::Request& req, httplib::Response& res) {
    HandleGenerate(openai::Endpoint::kCompletions, context, req, res);
  });
  server.Post("/v1/chat/completions",
              [context](const httplib::Request& req, httplib::Response& res) {
                HandleGenerate(openai::Endpoint::kChat, context, req, res);
              });
  auto route =
      [context](void (*handler)(const RouteContext&, const httplib::Request&, httplib::Response&)) {
        return [context, handler](const httplib::Request& req, httplib::Response& res) {
          handler(context, req, res);
        };
      };
  server.Get("/v1/models", route(&HandleListModels));
  server.Get("/v1/models/(.+)", route(&HandleGetModel));
  server.Post("/tokenize", route(&HandleTokenize));
  server.Post("/detokenize", route(&HandleDetokenize));
  server.Get("/health", route(&HandleHealth));
  server.Get("/ready", route(&HandleReady));
  server.Get("/metrics", route(&HandleMetrics));
}

absl::Status HttpFrontEnd::Start() {
  httplib::Server& server = *server_;
  const int num_threads = options_.num_threads;
  server.new_task_queue = [num_threads] { return new httplib::ThreadPool(num_threads); };
  server.set_payload_max_length(options_.max_body_bytes);
  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!NeedsKey(req.path) ||
        Authorized(req.get_header_value("Authorization"), req.get_header_value("X-Api-Key"))) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    SendError(
        res, WithErrorCode(absl::UnauthenticatedError("invalid or missing API key; send the header "
                                                      "'Authorization: Bearer <key>'"),
                           "invalid_api_key"));
    return httplib::Server::HandlerResponse::Handled;
  });
  // Fills in OpenAI-shaped bodies for errors httplib produces itself (unknown route, body too
  // large, unreadable request); responses our handlers wrote are left alone.
  const size_t max_body_bytes = options_.max_body_bytes;
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [max_body_bytes](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        openai::HttpError error;
        if (res.status == 404) {
          error =
              openai::ErrorJson(404, absl::StrCat("invalid URL (", req.method, " ", req.path, ")"),
                                "invalid_request_error", std::nullopt, "unknown_url");
        } else if (res.status == kHttpPayloadTooLarge) {
          error = openai::ErrorJson(kHttpPayloadTooLarge,
                                    absl::StrCat("the request body is larger than ", max_body_bytes,
                                                 " bytes; send a smaller request"),
                                    kPayloadTooLargeType, std::nullopt, "request_too_large");
        } else {
          error = openai::ErrorJson(
              res.status, absl::StrCat("the request could not be served (HTTP ", res.status, ")"),
              res.status >= 500 ? "server_error" : "invalid_request_error", std::nullopt,
              std::nullopt);
        }
        SendError(res, error);
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        SendError(res, absl::InternalError("internal error while serving the request"));
      });
  Logger* logger = context_.logger;
  server.set_logger([logger](const httplib::Request& req, const httplib::Response& res) {
    if (!logger->Enabled(LogLevel::kDebug)) return;
    logger->Log(LogLevel::kDebug, "http_access",
                {{"method", req.method},
                 {"path", req.path},
                 {"status", res.status},
                 {"remote", req.remote_addr}});
  });
  AddRoutes();

  if (options_.port == 0) {
    port_ = server.bind_to_any_port(options_.host);
    if (port_ <= 0) {
      return absl::UnavailableError(absl::StrCat("cannot bind HTTP on ", options_.host));
    }
  } else {
    if (!server.bind_to_port(options_.host, options_.port)) {
      return absl::UnavailableError(
          absl::StrCat("cannot bind HTTP on ", options_.host, ":", options_.port,
                       "; is the port in use? choose another with --http-port"));
    }
    port_ = options_.port;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return absl::OkStatus();
}

void HttpFrontEnd::Stop() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace hybridserve::server::http
