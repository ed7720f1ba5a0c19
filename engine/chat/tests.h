// Jinja tests (`x is defined`, `x is not none`, `n is divisibleby 3`, ...).
#ifndef HYBRIDSERVE_ENGINE_CHAT_TESTS_H_
#define HYBRIDSERVE_ENGINE_CHAT_TESTS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/chat/callable.h"
#include "engine/chat/value.h"

namespace hybridserve::engine::chat {

bool IsKnownTest(std::string_view name);
absl::StatusOr<bool> RunTest(const std::string& name, const Value& value, const CallArgs& args,
                             Interpreter& interpreter);

}  // namespace hybridserve::engine::chat

#endif  // HYBRIDSERVE_ENGINE_CHAT_TESTS_H_
