// JSON in and out of template values. FromJson keeps object key order (callers parse with
// nlohmann::ordered_json). DumpJson is Python's json.dumps, which is what transformers' tojson
// filter calls: ", " and ": " separators (or "," with an indent), floats as Python repr,
// non-ASCII kept unless ensure_ascii.
#ifndef HYBRIDSERVE_ENGINE_CHAT_JSON_TEXT_H_
#define HYBRIDSERVE_ENGINE_CHAT_JSON_TEXT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "engine/chat/value.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine::chat {

struct JsonDumpOptions {
  std::optional<std::string> indent;  // the indent unit; none: single line
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;
};

absl::StatusOr<Value> FromJson(const nlohmann::ordered_json& json, int max_depth);
absl::StatusOr<std::string> DumpJson(const Value& value, const JsonDumpOptions& options);

}  // namespace hybridserve::engine::chat

#endif  // HYBRIDSERVE_ENGINE_CHAT_JSON_TEXT_H_
