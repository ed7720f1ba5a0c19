// Jinja's attribute and item lookup: `a.b` tries a method/attribute first and then the item,
// `a[b]` tries the item first and then the attribute; a missing item is undefined, and looking
// into an undefined value is an error. Slicing follows Python (negative indices, steps, [::-1]).
#ifndef HYBRIDSERVE_ENGINE_CHAT_ACCESS_H_
#define HYBRIDSERVE_ENGINE_CHAT_ACCESS_H_

#include <string>

#include "absl/status/statusor.h"
#include "engine/chat/value.h"

namespace hybridserve::engine::chat {

class Interpreter;

absl::StatusOr<Value> GetAttr(const Value& object, const std::string& name);
absl::StatusOr<Value> GetItem(const Value& object, const Value& key);
// start/stop/step are None when omitted.
absl::StatusOr<Value> GetSlice(const Value& object, const Value& start, const Value& stop,
                               const Value& step, Interpreter& interpreter);

}  // namespace hybridserve::engine::chat

#endif  // HYBRIDSERVE_ENGINE_CHAT_ACCESS_H_
