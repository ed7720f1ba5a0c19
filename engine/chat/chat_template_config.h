// The chat side of a tokenizer_config.json: its chat template(s), parsed at load time, and the
// special tokens templates refer to (bos_token, eos_token, ...). ApplyChatTemplate renders a
// request the way transformers' apply_chat_template(..., tokenize=False) does.
#ifndef HYBRIDSERVE_ENGINE_CHAT_CHAT_TEMPLATE_CONFIG_H_
#define HYBRIDSERVE_ENGINE_CHAT_CHAT_TEMPLATE_CONFIG_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/chat/chat_template.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {

struct ChatTemplateConfig {
  // Template name -> template. A plain string chat_template is named "default".
  std::map<std::string, ChatTemplate> templates;
  // bos_token, eos_token, unk_token, pad_token, sep_token, cls_token, mask_token when set
  // (strings, or the "content" of {"content": ...} objects).
  std::map<std::string, std::string> special_tokens;
};

// Reads tokenizer_config.json. A chat_template is a string or a list of {"name", "template"};
// without one, chat_template.jinja next to the file is used when present. Every template is
// parsed here, so an unsupported construct fails the load.
absl::StatusOr<ChatTemplateConfig> LoadChatTemplateConfig(const std::string& path);
// The same from an already parsed config; origin names it in errors.
absl::StatusOr<ChatTemplateConfig> ParseChatTemplateConfig(const nlohmann::ordered_json& config,
                                                           std::string_view origin);

struct ChatRequest {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  nlohmann::ordered_json tools;      // null: none
  nlohmann::ordered_json documents;  // null: none
  bool add_generation_prompt = false;
  // Empty: "tool_use" when tools are given and such a template exists, else "default".
  std::string template_name;
  // More template variables (e.g. {"enable_thinking": false}); they override nothing above.
  nlohmann::ordered_json extra_variables = nlohmann::ordered_json::object();
};

// Picks the template, builds the context (messages, tools, documents, add_generation_prompt,
// the special tokens, extra variables) and renders it. An empty message list is an error, as in
// transformers.
absl::StatusOr<std::string> ApplyChatTemplate(const ChatTemplateConfig& config,
                                              const ChatRequest& request,
                                              const ChatRenderLimits& limits = ChatRenderLimits());

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_CHAT_CHAT_TEMPLATE_CONFIG_H_
