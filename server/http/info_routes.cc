#include "server/http/info_routes.h"

#include <string>
#include <vector>

#include "base/status_macros.h"
#include "server/openai/generation_plan.h"
#include "server/openai/json_reader.h"
#include "server/openai/request_parser.h"
#include "server/status_mapping.h"

namespace hybridserve::server::http {
namespace {

using nlohmann::json;

absl::Status CheckOptionalModel(const json& body, const ModelDescription& model) {
  std::string name;
  HS_RETURN_IF_ERROR(openai::ReadString(body, "model", &name));
  if (name.empty()) return absl::OkStatus();
  return openai::CheckModelName(name, model);
}

absl::StatusOr<json> Tokenize(const RouteContext& context, const std::string& body) {
  HS_RETURN_IF_ERROR(CheckServing(context));
  HS_ASSIGN_OR_RETURN(json document, openai::ParseJsonObject(body));
  const ModelDescription model = context.backend->Model();
  HS_RETURN_IF_ERROR(CheckOptionalModel(document, model));
  std::vector<int32_t> ids;
  if (openai::FindField(document, "messages") != nullptr) {
    // Reuse the chat parser's message checks on a minimal chat body.
    json chat = {{"model", model.name}, {"messages", document["messages"]}};
    if (document.contains("add_generation_prompt")) {
      chat["add_generation_prompt"] = document["add_generation_prompt"];
    }
    HS_ASSIGN_OR_RETURN(openai::OpenAiRequest request, openai::ParseChatRequest(chat.dump()));
    HS_ASSIGN_OR_RETURN(std::string prompt, context.backend->ApplyChatTemplate(
                                                request.messages, request.add_generation_prompt));
    bool add_special_tokens = !context.backend->ChatTemplateAddsSpecialTokens();
    HS_RETURN_IF_ERROR(openai::ReadBool(document, "add_special_tokens", &add_special_tokens));
    HS_ASSIGN_OR_RETURN(ids, context.backend->Tokenize(prompt, add_special_tokens));
  } else {
    const json* prompt = openai::FindField(document, "prompt");
    if (prompt == nullptr || !prompt->is_string()) {
      return InvalidParam("prompt", "'prompt' (a string) or 'messages' is required");
    }
    bool add_special_tokens = true;
    HS_RETURN_IF_ERROR(openai::ReadBool(document, "add_special_tokens", &add_special_tokens));
    HS_ASSIGN_OR_RETURN(ids,
                        context.backend->Tokenize(prompt->get<std::string>(), add_special_tokens));
  }
  return json{{"count", ids.size()}, {"max_model_len", model.max_model_len}, {"tokens", ids}};
}

absl::StatusOr<json> Detokenize(const RouteContext& context, const std::string& body) {
  HS_RETURN_IF_ERROR(CheckServing(context));
  HS_ASSIGN_OR_RETURN(json document, openai::ParseJsonObject(body));
  HS_RETURN_IF_ERROR(CheckOptionalModel(document, context.backend->Model()));
  const json* tokens = openai::FindField(document, "tokens");
  if (tokens == nullptr || !tokens->is_array()) {
    return InvalidParam("tokens", "'tokens' (an array of token ids) is required");
  }
  std::vector<int32_t> ids;
  for (const json& token : *tokens) {
    std::optional<int64_t> id = token.is_number() ? openai::AsInteger(token) : std::nullopt;
    if (!id.has_value() || *id < 0 || *id > INT32_MAX) {
      return InvalidParam("tokens",
                          "'tokens' must hold non-negative integer token ids, got " + token.dump());
    }
    ids.push_back(static_cast<int32_t>(*id));
  }
  HS_ASSIGN_OR_RETURN(std::string text, context.backend->Detokenize(ids, false));
  return json{{"prompt", text}};
}

void Reply(httplib::Response& res, const absl::StatusOr<json>& body) {
  if (body.ok()) {
    SendJson(res, 200, *body);
  } else {
    SendError(res, body.status());
  }
}

}  // namespace

void HandleListModels(const RouteContext& context, const httplib::Request& /*req*/,
                      httplib::Response& res) {
  SendJson(res, 200, openai::ModelListJson(context.backend->Model()));
}

void HandleGetModel(const RouteContext& context, const httplib::Request& req,
                    httplib::Response& res) {
  const ModelDescription model = context.backend->Model();
  const absl::Status status = openai::CheckModelName(req.matches[1].str(), model);
  if (!status.ok()) {
    SendError(res, status);
    return;
  }
  SendJson(res, 200, openai::ModelJson(model));
}

void HandleTokenize(const RouteContext& context, const httplib::Request& req,
                    httplib::Response& res) {
  Reply(res, Tokenize(context, req.body));
}

void HandleDetokenize(const RouteContext& context, const httplib::Request& req,
                      httplib::Response& res) {
  Reply(res, Detokenize(context, req.body));
}

void HandleHealth(const RouteContext& /*context*/, const httplib::Request& /*req*/,
                  httplib::Response& res) {
  SendJson(res, 200, {{"status", "alive"}});
}

void HandleReady(const RouteContext& context, const httplib::Request& /*req*/,
                 httplib::Response& res) {
  const absl::Status status = CheckServing(context);
  if (!status.ok()) {
    SendError(res, status);
    return;
  }
  SendJson(res, 200, {{"status", "ready"}});
}

void HandleMetrics(const RouteContext& context, const httplib::Request& /*req*/,
                   httplib::Response& res) {
  res.status = 200;
  res.set_content(context.metrics->Render(context.backend->Stats()),
                  "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace hybridserve::server::http
