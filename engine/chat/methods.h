// Python methods templates call on values: str (strip, lstrip, rstrip, split, rsplit,
// startswith, endswith, replace, title, upper, lower, capitalize, find, count, join,
// splitlines, is*), dict (items, keys, values, get) and list (index, count). Methods that would
// modify a value (list.append, dict.update, ...) are refused, as in Jinja's immutable sandbox.
#ifndef HYBRIDSERVE_ENGINE_CHAT_METHODS_H_
#define HYBRIDSERVE_ENGINE_CHAT_METHODS_H_

#include <string>

#include "absl/status/statusor.h"
#include "engine/chat/callable.h"
#include "engine/chat/value.h"

namespace hybridserve::engine::chat {

bool HasMethod(const Value& receiver, const std::string& name);
// A callable bound to receiver; HasMethod(receiver, name) must hold.
Value BindMethod(const Value& receiver, const std::string& name);
absl::StatusOr<Value> CallMethod(const Value& receiver, const std::string& name,
                                 const CallArgs& args, Interpreter& interpreter);

}  // namespace hybridserve::engine::chat

#endif  // HYBRIDSERVE_ENGINE_CHAT_METHODS_H_
