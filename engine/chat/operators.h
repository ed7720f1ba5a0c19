// Arithmetic, concatenation and comparison with Python semantics: int/float promotion, floor
// division and modulo signs, str/list repetition, `~` as str() concatenation, chained
// comparisons and `in`. Integer overflow and division by zero are errors, never undefined
// behaviour.
#ifndef HYBRIDSERVE_ENGINE_CHAT_OPERATORS_H_
#define HYBRIDSERVE_ENGINE_CHAT_OPERATORS_H_

#include <string>

#include "absl/status/statusor.h"
#include "engine/chat/value.h"

namespace hybridserve::engine::chat {

class Interpreter;

// op: "-" or "+".
absl::StatusOr<Value> UnaryOp(const std::string& op, const Value& operand);
// op: + - * / // % ** ~
absl::StatusOr<Value> BinaryOp(const std::string& op, const Value& a, const Value& b,
                               Interpreter& interpreter);
// op: == != < <= > >= in notin
absl::StatusOr<bool> CompareOp(const std::string& op, const Value& a, const Value& b);
// Python `needle in haystack`.
absl::StatusOr<bool> Contains(const Value& haystack, const Value& needle);

}  // namespace hybridserve::engine::chat

#endif  // HYBRIDSERVE_ENGINE_CHAT_OPERATORS_H_
