// Iteration over template values as Python iterates them: lists and tuples by item, strings by
// character, dicts by key; an undefined value is empty; anything else is an error.
#ifndef HYBRIDSERVE_ENGINE_CHAT_SEQUENCE_H_
#define HYBRIDSERVE_ENGINE_CHAT_SEQUENCE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "engine/chat/value.h"

namespace hybridserve::engine::chat {

class Interpreter;

absl::StatusOr<std::vector<Value>> Iterate(const Value& value, Interpreter& interpreter);

}  // namespace hybridserve::engine::chat

#endif  // HYBRIDSERVE_ENGINE_CHAT_SEQUENCE_H_
