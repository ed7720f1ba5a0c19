// POST /v1/completions and POST /v1/chat/completions: parse, plan, submit n sequences, then
// answer with one JSON body or stream server-sent events exactly as OpenAI does (a chunk per
// new piece of text, the finish reason, the usage chunk with stream_options.include_usage, and
// "data: [DONE]"). A client that disconnects mid-stream cancels its sequences at once.
#ifndef HYBRIDSERVE_SERVER_HTTP_GENERATE_ROUTE_H_
#define HYBRIDSERVE_SERVER_HTTP_GENERATE_ROUTE_H_

#include "httplib.h"
#include "server/http/route_context.h"
#include "server/openai/request.h"

namespace hybridserve::server::http {

void HandleGenerate(openai::Endpoint endpoint, const RouteContext& context,
                    const httplib::Request& req, httplib::Response& res);

}  // namespace hybridserve::server::http

#endif  // HYBRIDSERVE_SERVER_HTTP_GENERATE_ROUTE_H_
