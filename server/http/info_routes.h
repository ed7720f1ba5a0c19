// The small routes: GET /v1/models and /v1/models/{id}, POST /tokenize and /detokenize,
// GET /health (alive), GET /ready (503 until the model is loaded and while draining),
// GET /metrics (Prometheus text format).
#ifndef HYBRIDSERVE_SERVER_HTTP_INFO_ROUTES_H_
#define HYBRIDSERVE_SERVER_HTTP_INFO_ROUTES_H_

#include "httplib.h"
#include "server/http/route_context.h"

namespace hybridserve::server::http {

void HandleListModels(const RouteContext& context, const httplib::Request& req,
                      httplib::Response& res);
void HandleGetModel(const RouteContext& context, const httplib::Request& req,
                    httplib::Response& res);
void HandleTokenize(const RouteContext& context, const httplib::Request& req,
                    httplib::Response& res);
void HandleDetokenize(const RouteContext& context, const httplib::Request& req,
                      httplib::Response& res);
void HandleHealth(const RouteContext& context, const httplib::Request& req, httplib::Response& res);
void HandleReady(const RouteContext& context, const httplib::Request& req, httplib::Response& res);
void HandleMetrics(const RouteContext& context, const httplib::Request& req,
                   httplib::Response& res);

}  // namespace hybridserve::server::http

#endif  // HYBRIDSERVE_SERVER_HTTP_INFO_ROUTES_H_
