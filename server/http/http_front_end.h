// The HTTP server (cpp-httplib): the OpenAI routes, /tokenize, /detokenize, /health, /ready,
// /metrics, the API key check (Bearer), the body size limit (413) and OpenAI-shaped JSON errors
// for everything else (404 for unknown routes).
#ifndef HYBRIDSERVE_SERVER_HTTP_HTTP_FRONT_END_H_
#define HYBRIDSERVE_SERVER_HTTP_HTTP_FRONT_END_H_

#include <cstddef>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "server/http/route_context.h"

namespace httplib {
class Server;
}

namespace hybridserve::server::http {

struct HttpOptions {
  std::string host = "0.0.0.0";
  int port = 8000;                          // 0: any free port (see port())
  std::string api_key;                      // empty: no key needed
  size_t max_body_bytes = 8 * 1024 * 1024;  // larger bodies get 413
  int num_threads = 64;                     // concurrent connections served
};

class HttpFrontEnd {
 public:
  HttpFrontEnd(HttpOptions options, RouteContext context);
  ~HttpFrontEnd();

  // Binds and starts serving on a thread of its own.
  absl::Status Start();
  int port() const { return port_; }
  // Stops accepting, ends idle connections and joins the serving thread.
  void Stop();

 private:
  void AddRoutes();
  bool Authorized(const std::string& authorization, const std::string& x_api_key) const;

  const HttpOptions options_;
  const RouteContext context_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace hybridserve::server::http

#endif  // HYBRIDSERVE_SERVER_HTTP_HTTP_FRONT_END_H_
