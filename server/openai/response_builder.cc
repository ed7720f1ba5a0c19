#include "server/openai/response_builder.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "server/status_mapping.h"

namespace hybridserve::server::openai {
namespace {

using nlohmann::json;

json NullableReason(const ChoiceOutput& choice) {
  return choice.finish_reason.empty() ? json(nullptr) : json(choice.finish_reason);
}

json Bytes(const std::string& token) {
  json bytes = json::array();
  for (char c : token) bytes.push_back(static_cast<int>(static_cast<unsigned char>(c)));
  return bytes;
}

// Completions: {"tokens", "token_logprobs", "top_logprobs": [{token: logprob}], "text_offset"}.
json CompletionLogprobs(const ChoiceOutput& choice) {
  if (!choice.has_logprobs) return nullptr;
  json tokens = json::array(), token_logprobs = json::array(), top = json::array(),
       offsets = json::array();
  int64_t offset = choice.text_offset;
  for (const TokenLogprob& lp : choice.logprobs) {
    tokens.push_back(lp.token);
    token_logprobs.push_back(lp.logprob);
    json alternatives = json::object();
    for (const TopLogprob& alt : lp.top) {
      if (!alternatives.contains(alt.token)) alternatives[alt.token] = alt.logprob;
    }
    top.push_back(std::move(alternatives));
    offsets.push_back(offset);
    offset += static_cast<int64_t>(lp.token.size());
  }
  return {{"tokens", tokens},
          {"token_logprobs", token_logprobs},
          {"top_logprobs", top},
          {"text_offset", offsets}};
}

// Chat: {"content": [{"token", "logprob", "bytes", "top_logprobs": [...]}], "refusal": null}.
json ChatLogprobs(const ChoiceOutput& choice) {
  if (!choice.has_logprobs) return nullptr;
  json content = json::array();
  for (const TokenLogprob& lp : choice.logprobs) {
    json top = json::array();
    for (const TopLogprob& alt : lp.top) {
      top.push_back({{"token", alt.token}, {"logprob", alt.logprob}, {"bytes", Bytes(alt.token)}});
    }
    content.push_back({{"token", lp.token},
                       {"logprob", lp.logprob},
                       {"bytes", Bytes(lp.token)},
                       {"top_logprobs", std::move(top)}});
  }
  return {{"content", std::move(content)}, {"refusal", nullptr}};
}

json Envelope(const ResponseHeader& header, const char* object) {
  return {{"id", header.id},
          {"object", object},
          {"created", header.created},
          {"model", header.model},
          {"system_fingerprint", nullptr}};
}

}  // namespace

std::string NewResponseId(Endpoint endpoint) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = endpoint == Endpoint::kChat ? "chatcmpl-" : "cmpl-";
  for (int i = 0; i < 32; ++i) id += kHex[rng() % 16];
  return id;
}

json UsageJson(const Usage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens},
          {"completion_tokens", usage.completion_tokens},
          {"total_tokens", usage.prompt_tokens + usage.completion_tokens}};
}

json CompletionResponse(const ResponseHeader& header, const std::vector<ChoiceOutput>& choices,
                        const Usage& usage) {
  json body = Envelope(header, "text_completion");
  json list = json::array();
  for (const ChoiceOutput& choice : choices) {
    list.push_back({{"index", choice.index},
                    {"text", choice.text},
                    {"logprobs", CompletionLogprobs(choice)},
                    {"finish_reason", NullableReason(choice)}});
  }
  body["choices"] = std::move(list);
  body["usage"] = UsageJson(usage);
  return body;
}

json CompletionChunk(const ResponseHeader& header, const ChoiceOutput& choice, bool include_usage) {
  json body = Envelope(header, "text_completion");
  body["choices"] = json::array({{{"index", choice.index},
                                  {"text", choice.text},
                                  {"logprobs", CompletionLogprobs(choice)},
                                  {"finish_reason", NullableReason(choice)}}});
  if (include_usage) body["usage"] = nullptr;
  return body;
}

json ChatResponse(const ResponseHeader& header, const std::vector<ChoiceOutput>& choices,
                  const Usage& usage) {
  json body = Envelope(header, "chat.completion");
  json list = json::array();
  for (const ChoiceOutput& choice : choices) {
    list.push_back(
        {{"index", choice.index},
         {"message", {{"role", "assistant"}, {"content", choice.text}, {"refusal", nullptr}}},
         {"logprobs", ChatLogprobs(choice)},
         {"finish_reason", NullableReason(choice)}});
  }
  body["choices"] = std::move(list);
  body["usage"] = UsageJson(usage);
  return body;
}

json ChatRoleChunk(const ResponseHeader& header, int32_t index, bool include_usage) {
  json body = Envelope(header, "chat.completion.chunk");
  body["choices"] = json::array({{{"index", index},
                                  {"delta", {{"role", "assistant"}, {"content", ""}}},
                                  {"logprobs", nullptr},
                                  {"finish_reason", nullptr}}});
  if (include_usage) body["usage"] = nullptr;
  return body;
}

json ChatChunk(const ResponseHeader& header, const ChoiceOutput& choice, bool include_usage) {
  json body = Envelope(header, "chat.completion.chunk");
  json delta = json::object();
  if (!choice.text.empty() || choice.finish_reason.empty()) delta["content"] = choice.text;
  body["choices"] = json::array({{{"index", choice.index},
                                  {"delta", std::move(delta)},
                                  {"logprobs", ChatLogprobs(choice)},
                                  {"finish_reason", NullableReason(choice)}}});
  if (include_usage) body["usage"] = nullptr;
  return body;
}

json UsageChunk(const ResponseHeader& header, Endpoint endpoint, const Usage& usage) {
  json body =
      Envelope(header, endpoint == Endpoint::kChat ? "chat.completion.chunk" : "text_completion");
  body["choices"] = json::array();
  body["usage"] = UsageJson(usage);
  return body;
}

std::string SseEvent(const json& data) { return absl::StrCat("data: ", DumpJson(data), "\n\n"); }

json ModelJson(const ModelDescription& model) {
  return {{"id", model.name},
          {"object", "model"},
          {"created", model.created_unix_seconds},
          {"owned_by", "hybridserve"},
          {"root", model.name},
          {"parent", nullptr},
          {"max_model_len", model.max_model_len}};
}

json ModelListJson(const ModelDescription& model) {
  return {{"object", "list"}, {"data", json::array({ModelJson(model)})}};
}

HttpError ErrorJson(int http_status, absl::string_view message, absl::string_view type,
                    std::optional<std::string> param, std::optional<std::string> code) {
  json error = {{"message", std::string(message)},
                {"type", std::string(type)},
                {"param", param.has_value() ? json(*param) : json(nullptr)},
                {"code", code.has_value() ? json(*code) : json(nullptr)}};
  return {http_status, {{"error", std::move(error)}}};
}

HttpError ErrorFromStatus(const absl::Status& status) {
  const StatusMapping mapping = MapStatusCode(status.code());
  return ErrorJson(mapping.http_status, status.message(), mapping.error_type, StatusParam(status),
                   StatusErrorCode(status));
}

std::string DumpJson(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace hybridserve::server::openai
