#include "server/openai/request_parser.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/openai/json_reader.h"
#include "server/status_mapping.h"

namespace hybridserve::server::openai {
namespace {

using nlohmann::json;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

absl::StatusOr<std::vector<int32_t>> ReadTokenIds(const json& array, const std::string& param) {
  std::vector<int32_t> ids;
  ids.reserve(array.size());
  for (const json& item : array) {
    std::optional<int64_t> id = item.is_number() ? AsInteger(item) : std::nullopt;
    if (!id.has_value() || *id < 0 || *id > kInt32Max) {
      return InvalidParam(
          param,
          absl::StrCat("'", param, "' token ids must be non-negative integers, got ", item.dump()));
    }
    ids.push_back(static_cast<int32_t>(*id));
  }
  return ids;
}

PromptInput TextPrompt(std::string text) {
  PromptInput prompt;
  prompt.text = std::move(text);
  return prompt;
}

PromptInput TokenPrompt(std::vector<int32_t> ids) {
  PromptInput prompt;
  prompt.is_tokens = true;
  prompt.token_ids = std::move(ids);
  return prompt;
}

absl::Status ReadPrompt(const json& body, OpenAiRequest* request) {
  const json* prompt = FindField(body, "prompt");
  if (prompt == nullptr) return InvalidParam("prompt", "'prompt' is required");
  const absl::Status empty = InvalidParam("prompt", "'prompt' must not be empty");
  if (prompt->is_string()) {
    if (prompt->get_ref<const std::string&>().empty()) return empty;
    request->prompts.push_back(TextPrompt(prompt->get<std::string>()));
    return absl::OkStatus();
  }
  if (!prompt->is_array()) {
    return InvalidParam("prompt", absl::StrCat("'prompt' must be a string, an array of strings or "
                                               "an array of token ids, got ",
                                               TypeName(*prompt)));
  }
  if (prompt->empty()) return empty;
  if ((*prompt)[0].is_number()) {
    HS_ASSIGN_OR_RETURN(std::vector<int32_t> ids, ReadTokenIds(*prompt, "prompt"));
    request->prompts.push_back(TokenPrompt(std::move(ids)));
    return absl::OkStatus();
  }
  for (const json& item : *prompt) {
    if (item.is_string()) {
      if (item.get_ref<const std::string&>().empty()) return empty;
      request->prompts.push_back(TextPrompt(item.get<std::string>()));
    } else if (item.is_array()) {
      if (item.empty()) return empty;
      HS_ASSIGN_OR_RETURN(std::vector<int32_t> ids, ReadTokenIds(item, "prompt"));
      request->prompts.push_back(TokenPrompt(std::move(ids)));
    } else {
      return InvalidParam("prompt", absl::StrCat("'prompt' array items must be strings or arrays "
                                                 "of token ids, got ",
                                                 TypeName(item)));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadStop(const json& body, SamplingOptions* sampling) {
  const json* stop = FindField(body, "stop");
  if (stop == nullptr) return absl::OkStatus();
  const absl::Status bad =
      InvalidParam("stop",
                   "'stop' must be a non-empty string or an array of at most 4 "
                   "non-empty strings");
  if (stop->is_string()) {
    if (stop->get_ref<const std::string&>().empty()) return bad;
    sampling->stop.push_back(stop->get<std::string>());
    return absl::OkStatus();
  }
  if (!stop->is_array() || static_cast<int64_t>(stop->size()) > kMaxStopStrings) return bad;
  for (const json& item : *stop) {
    if (!item.is_string() || item.get_ref<const std::string&>().empty()) return bad;
    sampling->stop.push_back(item.get<std::string>());
  }
  return absl::OkStatus();
}

// Rejects features we do not implement, naming them (rather than silently ignoring them).
absl::Status RejectUnsupported(const json& body, const OpenAiRequest& request) {
  if (const json* suffix = FindField(body, "suffix"); suffix != nullptr) {
    if (!suffix->is_string() || !suffix->get_ref<const std::string&>().empty()) {
      return InvalidParam("suffix", "'suffix' is not supported; leave it out");
    }
  }
  if (const json* bias = FindField(body, "logit_bias"); bias != nullptr) {
    if (!bias->is_object()) {
      return InvalidParam("logit_bias",
                          absl::StrCat("'logit_bias' must be an object, got ", TypeName(*bias)));
    }
    if (!bias->empty()) return InvalidParam("logit_bias", "'logit_bias' is not supported");
  }
  std::optional<int64_t> best_of;
  HS_RETURN_IF_ERROR(ReadInt(body, "best_of", 1, kMaxN, &best_of));
  if (best_of.has_value() && *best_of != request.n) {
    return InvalidParam("best_of", "'best_of' other than 'n' is not supported");
  }
  for (const char* name : {"tools", "functions"}) {
    if (const json* tools = FindField(body, name); tools != nullptr) {
      if (!tools->is_array()) {
        return InvalidParam(name,
                            absl::StrCat("'", name, "' must be an array, got ", TypeName(*tools)));
      }
      if (!tools->empty()) {
        return InvalidParam(name, absl::StrCat("'", name, "' (tool calling) is not supported"));
      }
    }
  }
  if (const json* format = FindField(body, "response_format"); format != nullptr) {
    const json* type = format->is_object() ? FindField(*format, "type") : nullptr;
    if (type == nullptr || !type->is_string() || type->get<std::string>() != "text") {
      return InvalidParam("response_format",
                          "'response_format' supports only {\"type\": \"text\"}");
    }
  }
  return absl::OkStatus();
}

// The fields both endpoints share.
absl::Status ReadCommon(const json& body, OpenAiRequest* request) {
  SamplingOptions& sampling = request->sampling;
  const json* model = FindField(body, "model");
  if (model == nullptr) return InvalidParam("model", "'model' is required");
  HS_RETURN_IF_ERROR(ReadString(body, "model", &request->model));

  std::optional<int64_t> value;
  HS_RETURN_IF_ERROR(ReadInt(body, "n", 1, kMaxN, &value));
  if (value.has_value()) request->n = static_cast<int32_t>(*value);
  HS_RETURN_IF_ERROR(ReadBool(body, "stream", &request->stream));
  if (const json* options = FindField(body, "stream_options"); options != nullptr) {
    if (!options->is_object()) {
      return InvalidParam("stream_options", absl::StrCat("'stream_options' must be an object, got ",
                                                         TypeName(*options)));
    }
    if (!request->stream) {
      return InvalidParam("stream_options", "'stream_options' is allowed only with stream=true");
    }
    HS_RETURN_IF_ERROR(ReadBool(*options, "include_usage", &request->include_usage));
  }
  HS_RETURN_IF_ERROR(ReadString(body, "user", &request->user));

  HS_RETURN_IF_ERROR(ReadNumber(body, "temperature", 0.0, 2.0, &sampling.temperature));
  HS_RETURN_IF_ERROR(ReadNumber(body, "top_p", 0.0, 1.0, &sampling.top_p));
  if (sampling.top_p <= 0.0f) {
    return InvalidParam("top_p", "'top_p' must be greater than 0 and at most 1, got 0");
  }
  HS_RETURN_IF_ERROR(ReadNumber(body, "presence_penalty", -2.0, 2.0, &sampling.presence_penalty));
  HS_RETURN_IF_ERROR(ReadNumber(body, "frequency_penalty", -2.0, 2.0, &sampling.frequency_penalty));
  value.reset();
  HS_RETURN_IF_ERROR(ReadInt(body, "seed", std::numeric_limits<int64_t>::min(), kInt64Max, &value));
  if (value.has_value()) sampling.seed = static_cast<uint64_t>(*value);
  HS_RETURN_IF_ERROR(ReadStop(body, &sampling));

  // The engine's extras (vLLM's names).
  value.reset();
  HS_RETURN_IF_ERROR(ReadInt(body, "top_k", -1, kInt32Max, &value));
  if (value.has_value()) sampling.top_k = static_cast<int32_t>(*value);
  HS_RETURN_IF_ERROR(ReadNumber(body, "min_p", 0.0, 1.0, &sampling.min_p));
  HS_RETURN_IF_ERROR(
      ReadNumber(body, "repetition_penalty", 0.0, 2.0, &sampling.repetition_penalty));
  if (sampling.repetition_penalty <= 0.0f) {
    return InvalidParam("repetition_penalty",
                        "'repetition_penalty' must be greater than 0 and at most 2, got 0");
  }
  HS_RETURN_IF_ERROR(ReadBool(body, "ignore_eos", &sampling.ignore_eos));
  if (const json* ids = FindField(body, "stop_token_ids"); ids != nullptr) {
    if (!ids->is_array()) {
      return InvalidParam("stop_token_ids",
                          absl::StrCat("'stop_token_ids' must be an array, got ", TypeName(*ids)));
    }
    HS_ASSIGN_OR_RETURN(sampling.stop_token_ids, ReadTokenIds(*ids, "stop_token_ids"));
  }
  value.reset();
  HS_RETURN_IF_ERROR(ReadInt(body, "min_tokens", 0, kInt64Max, &value));
  if (value.has_value()) sampling.min_tokens = *value;
  return absl::OkStatus();
}

absl::Status CheckTokenCounts(OpenAiRequest* request) {
  if (request->max_tokens.has_value()) {
    request->sampling.max_tokens = *request->max_tokens;
    if (request->sampling.min_tokens > *request->max_tokens) {
      return InvalidParam("min_tokens", absl::StrCat("'min_tokens' (", request->sampling.min_tokens,
                                                     ") must not exceed 'max_tokens' (",
                                                     *request->max_tokens, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadMessageContent(const json& message, size_t index, ChatMessage* out) {
  const std::string param = absl::StrCat("messages[", index, "].content");
  const json* content = FindField(message, "content");
  if (content == nullptr) {
    if (out->role == "assistant") return absl::OkStatus();
    return InvalidParam(param, absl::StrCat("'", param, "' is required"));
  }
  if (content->is_string()) {
    out->content = content->get<std::string>();
    return absl::OkStatus();
  }
  if (!content->is_array()) {
    return InvalidParam(param, absl::StrCat("'", param,
                                            "' must be a string or an array of "
                                            "content parts, got ",
                                            TypeName(*content)));
  }
  for (const json& part : *content) {
    const json* type = part.is_object() ? FindField(part, "type") : nullptr;
    const json* text = part.is_object() ? FindField(part, "text") : nullptr;
    if (type == nullptr || !type->is_string() || type->get<std::string>() != "text" ||
        text == nullptr || !text->is_string()) {
      return InvalidParam(param, absl::StrCat("'", param,
                                              "' parts must be {\"type\": \"text\", "
                                              "\"text\": ...}; other part types are not "
                                              "supported"));
    }
    out->content += text->get<std::string>();
  }
  return absl::OkStatus();
}

absl::Status ReadMessages(const json& body, OpenAiRequest* request) {
  const json* messages = FindField(body, "messages");
  if (messages == nullptr) return InvalidParam("messages", "'messages' is required");
  if (!messages->is_array()) {
    return InvalidParam("messages",
                        absl::StrCat("'messages' must be an array, got ", TypeName(*messages)));
  }
  if (messages->empty()) return InvalidParam("messages", "'messages' must not be empty");
  for (size_t i = 0; i < messages->size(); ++i) {
    const json& message = (*messages)[i];
    const std::string param = absl::StrCat("messages[", i, "]");
    if (!message.is_object()) {
      return InvalidParam(param,
                          absl::StrCat("'", param, "' must be an object, got ", TypeName(message)));
    }
    ChatMessage out;
    const json* role = FindField(message, "role");
    if (role == nullptr || !role->is_string()) {
      return InvalidParam(param + ".role", absl::StrCat("'", param, ".role' must be a string"));
    }
    out.role = role->get<std::string>();
    if (out.role != "system" && out.role != "developer" && out.role != "user" &&
        out.role != "assistant" && out.role != "tool") {
      return InvalidParam(param + ".role", absl::StrCat("'", param,
                                                        ".role' must be one of system, developer, "
                                                        "user, assistant, tool; got '",
                                                        out.role, "'"));
    }
    HS_RETURN_IF_ERROR(ReadMessageContent(message, i, &out));
    HS_RETURN_IF_ERROR(ReadString(message, "name", &out.name));
    request->messages.push_back(std::move(out));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<json> ParseJsonObject(absl::string_view body) {
  json document;
  try {
    document = json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("the request body is not valid JSON (", e.what(),
                                                   "); send a JSON object encoded as UTF-8"));
  }
  if (!document.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the request body must be a JSON object, got ", TypeName(document)));
  }
  return document;
}

absl::StatusOr<OpenAiRequest> ParseCompletionRequest(absl::string_view body) {
  HS_ASSIGN_OR_RETURN(json document, ParseJsonObject(body));
  OpenAiRequest request;
  request.endpoint = Endpoint::kCompletions;
  request.max_tokens = 16;  // the completions API's documented default
  HS_RETURN_IF_ERROR(ReadCommon(document, &request));
  HS_RETURN_IF_ERROR(ReadPrompt(document, &request));
  if (const json* max_tokens = FindField(document, "max_tokens"); max_tokens != nullptr) {
    HS_RETURN_IF_ERROR(ReadInt(document, "max_tokens", 1, kInt64Max, &request.max_tokens));
  } else if (document.contains("max_tokens")) {
    request.max_tokens.reset();  // explicit null: what remains of the context
  }
  HS_RETURN_IF_ERROR(ReadBool(document, "echo", &request.echo));
  std::optional<int64_t> logprobs;
  HS_RETURN_IF_ERROR(ReadInt(document, "logprobs", 0, kMaxLogprobs, &logprobs));
  if (logprobs.has_value()) {
    request.sampling.logprobs = true;
    request.sampling.top_logprobs = static_cast<int32_t>(*logprobs);
  }
  if (request.echo && request.sampling.logprobs) {
    return InvalidParam("echo", "'echo' together with 'logprobs' is not supported");
  }
  HS_RETURN_IF_ERROR(RejectUnsupported(document, request));
  HS_RETURN_IF_ERROR(CheckTokenCounts(&request));
  return request;
}

absl::StatusOr<OpenAiRequest> ParseChatRequest(absl::string_view body) {
  HS_ASSIGN_OR_RETURN(json document, ParseJsonObject(body));
  OpenAiRequest request;
  request.endpoint = Endpoint::kChat;
  HS_RETURN_IF_ERROR(ReadCommon(document, &request));
  HS_RETURN_IF_ERROR(ReadMessages(document, &request));
  HS_RETURN_IF_ERROR(ReadInt(document, "max_tokens", 1, kInt64Max, &request.max_tokens));
  HS_RETURN_IF_ERROR(ReadInt(document, "max_completion_tokens", 1, kInt64Max, &request.max_tokens));
  HS_RETURN_IF_ERROR(ReadBool(document, "logprobs", &request.sampling.logprobs));
  std::optional<int64_t> top_logprobs;
  HS_RETURN_IF_ERROR(ReadInt(document, "top_logprobs", 0, kMaxLogprobs, &top_logprobs));
  if (top_logprobs.has_value()) {
    if (!request.sampling.logprobs) {
      return InvalidParam("top_logprobs", "'top_logprobs' requires 'logprobs' to be true");
    }
    request.sampling.top_logprobs = static_cast<int32_t>(*top_logprobs);
  }
  HS_RETURN_IF_ERROR(ReadBool(document, "add_generation_prompt", &request.add_generation_prompt));
  if (const json* choice = FindField(document, "tool_choice"); choice != nullptr) {
    if (!choice->is_string() || choice->get<std::string>() != "none") {
      return InvalidParam("tool_choice", "'tool_choice' supports only \"none\"");
    }
  }
  HS_RETURN_IF_ERROR(RejectUnsupported(document, request));
  HS_RETURN_IF_ERROR(CheckTokenCounts(&request));
  return request;
}

}  // namespace hybridserve::server::openai
