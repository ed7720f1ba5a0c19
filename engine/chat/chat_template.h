// A chat template: the Jinja program in a model's tokenizer_config.json that turns a message list
// into the prompt text. Parse() checks the whole template up front (an unsupported construct is
// an error naming it and its line); Render() runs it in the sandboxed interpreter.
#ifndef HYBRIDSERVE_ENGINE_CHAT_CHAT_TEMPLATE_H_
#define HYBRIDSERVE_ENGINE_CHAT_CHAT_TEMPLATE_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/chat/ast.h"
#include "engine/chat/interpreter.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {

using ChatRenderLimits = chat::RenderLimits;

class ChatTemplate {
 public:
  static absl::StatusOr<ChatTemplate> Parse(std::string_view source);

  // context: a JSON object whose members become template variables (messages,
  // add_generation_prompt, tools, documents, bos_token, eos_token, ...). Use ordered_json so
  // that dicts keep their key order, as Python's do (tojson output depends on it).
  absl::StatusOr<std::string> Render(const nlohmann::ordered_json& context,
                                     const ChatRenderLimits& limits = ChatRenderLimits()) const;

  const std::string& source() const { return *source_; }

 private:
  ChatTemplate(std::shared_ptr<const std::string> source, std::shared_ptr<const chat::Body> program)
      : source_(std::move(source)), program_(std::move(program)) {}

  std::shared_ptr<const std::string> source_;
  std::shared_ptr<const chat::Body> program_;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_CHAT_CHAT_TEMPLATE_H_
