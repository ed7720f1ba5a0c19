#include "engine/chat/chat_template_config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace hybridserve::engine {
namespace {

constexpr const char* kSpecialTokenKeys[] = {"bos_token", "eos_token", "unk_token", "pad_token",
                                             "sep_token", "cls_token", "mask_token"};

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::Status AddTemplate(ChatTemplateConfig* config, const std::string& name,
                         const std::string& source, std::string_view origin) {
  auto parsed = ChatTemplate::Parse(source);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(origin), ": chat template \"", name,
                                                   "\": ", parsed.status().message()));
  }
  config->templates.insert_or_assign(name, *std::move(parsed));
  return absl::OkStatus();
}

std::string TemplateNames(const ChatTemplateConfig& config) {
  std::string names;
  for (const auto& [name, unused] : config.templates) {
    absl::StrAppend(&names, names.empty() ? "" : ", ", "\"", name, "\"");
  }
  return names.empty() ? "none" : names;
}

}  // namespace

absl::StatusOr<ChatTemplateConfig> ParseChatTemplateConfig(const nlohmann::ordered_json& config,
                                                           std::string_view origin) {
  if (!config.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(origin), ": expected a JSON object"));
  }
  ChatTemplateConfig out;
  if (config.contains("chat_template") && !config["chat_template"].is_null()) {
    const auto& entry = config["chat_template"];
    if (entry.is_string()) {
      HS_RETURN_IF_ERROR(AddTemplate(&out, "default", entry.get<std::string>(), origin));
    } else if (entry.is_array()) {
      for (const auto& item : entry) {
        if (!item.is_object() || !item.contains("name") || !item["name"].is_string() ||
            !item.contains("template") || !item["template"].is_string()) {
          return absl::InvalidArgumentError(absl::StrCat(
              std::string(origin),
              ": each chat_template list entry needs string \"name\" and \"template\""));
        }
        HS_RETURN_IF_ERROR(AddTemplate(&out, item["name"].get<std::string>(),
                                       item["template"].get<std::string>(), origin));
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(origin),
                       ": chat_template must be a string or a list of {\"name\", \"template\"}"));
    }
  }
  for (const char* key : kSpecialTokenKeys) {
    if (!config.contains(key)) continue;
    const auto& token = config[key];
    if (token.is_string()) {
      out.special_tokens[key] = token.get<std::string>();
    } else if (token.is_object() && token.contains("content") && token["content"].is_string()) {
      out.special_tokens[key] = token["content"].get<std::string>();
    } else if (!token.is_null()) {
      return absl::InvalidArgumentError(absl::StrCat(
          std::string(origin), ": ", key, " must be a string, {\"content\": ...} or null"));
    }
  }
  return out;
}

absl::StatusOr<ChatTemplateConfig> LoadChatTemplateConfig(const std::string& path) {
  HS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  nlohmann::ordered_json json =
      nlohmann::ordered_json::parse(text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not valid JSON"));
  }
  HS_ASSIGN_OR_RETURN(ChatTemplateConfig config, ParseChatTemplateConfig(json, path));
  if (config.templates.empty()) {
    const std::string jinja =
        (std::filesystem::path(path).parent_path() / "chat_template.jinja").string();
    if (std::filesystem::exists(jinja)) {
      HS_ASSIGN_OR_RETURN(std::string source, ReadFile(jinja));
      HS_RETURN_IF_ERROR(AddTemplate(&config, "default", source, jinja));
    }
  }
  return config;
}

absl::StatusOr<std::string> ApplyChatTemplate(const ChatTemplateConfig& config,
                                              const ChatRequest& request,
                                              const ChatRenderLimits& limits) {
  std::string name = request.template_name;
  const bool has_tools = !request.tools.is_null();
  if (name.empty()) {
    name = has_tools && config.templates.count("tool_use") != 0 ? "tool_use" : "default";
  }
  auto it = config.templates.find(name);
  if (it == config.templates.end()) {
    if (config.templates.empty()) {
      return absl::FailedPreconditionError(
          "the tokenizer config has no chat_template; pass a model whose tokenizer_config.json "
          "has one (or a chat_template.jinja file)");
    }
    return absl::NotFoundError(
        absl::StrCat("no chat template named \"", name, "\"; available: ", TemplateNames(config)));
  }
  if (!request.messages.is_array()) {
    return absl::InvalidArgumentError("messages must be a JSON array of message objects");
  }
  if (request.messages.empty()) {
    return absl::InvalidArgumentError(
        "cannot apply a chat template to an empty conversation; provide at least one message");
  }
  nlohmann::ordered_json context = nlohmann::ordered_json::object();
  for (const auto& [key, value] : config.special_tokens) context[key] = value;
  if (request.extra_variables.is_object()) {
    for (const auto& [key, value] : request.extra_variables.items()) context[key] = value;
  }
  context["messages"] = request.messages;
  context["tools"] = request.tools;
  context["documents"] = request.documents;
  context["add_generation_prompt"] = request.add_generation_prompt;
  return it->second.Render(context, limits);
}

}  // namespace hybridserve::engine
