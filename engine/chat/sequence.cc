#include "engine/chat/sequence.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/chat/interpreter.h"
#include "engine/chat/utf8_text.h"

namespace hybridserve::engine::chat {

absl::StatusOr<std::vector<Value>> Iterate(const Value& value, Interpreter& interpreter) {
  std::vector<Value> out;
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      return out;
    case Value::Kind::kList:
      HS_RETURN_IF_ERROR(interpreter.Charge(static_cast<int64_t>(value.items().size())));
      return value.items();
    case Value::Kind::kDict:
      HS_RETURN_IF_ERROR(interpreter.Charge(static_cast<int64_t>(value.dict().items.size())));
      for (const auto& [key, item] : value.dict().items) out.push_back(Value::String(key));
      return out;
    case Value::Kind::kString: {
      std::u32string cps = DecodeUtf8(value.string_value());
      HS_RETURN_IF_ERROR(interpreter.Charge(static_cast<int64_t>(cps.size())));
      for (char32_t cp : cps) {
        std::string ch;
        AppendUtf8(cp, &ch);
        out.push_back(Value::String(std::move(ch)));
      }
      return out;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("'", value.TypeName(), "' object is not iterable"));
  }
}

}  // namespace hybridserve::engine::chat
