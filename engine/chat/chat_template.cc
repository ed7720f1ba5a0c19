#include "engine/chat/chat_template.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/chat/builtins.h"
#include "engine/chat/json_text.h"
#include "engine/chat/parser.h"
#include "engine/chat/utf8_text.h"

namespace hybridserve::engine {

absl::StatusOr<ChatTemplate> ChatTemplate::Parse(std::string_view source) {
  if (!chat::IsValidUtf8(source)) {
    return absl::InvalidArgumentError("chat template is not valid UTF-8");
  }
  HS_ASSIGN_OR_RETURN(chat::Body body, chat::ParseTemplate(source));
  return ChatTemplate(std::make_shared<const std::string>(source),
                      std::make_shared<const chat::Body>(std::move(body)));
}

absl::StatusOr<std::string> ChatTemplate::Render(const nlohmann::ordered_json& context,
                                                 const ChatRenderLimits& limits) const {
  if (!context.is_object()) {
    return absl::InvalidArgumentError("chat template context must be a JSON object");
  }
  absl::flat_hash_map<std::string, chat::Value> globals = chat::BuiltinGlobals();
  for (const auto& [key, value] : context.items()) {
    auto converted = chat::FromJson(value, limits.max_value_depth);
    if (!converted.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("chat template variable '", key, "': ", converted.status().message()));
    }
    globals[key] = *std::move(converted);
  }
  chat::Interpreter interpreter(limits);
  return interpreter.Run(*program_, std::move(globals));
}

}  // namespace hybridserve::engine
