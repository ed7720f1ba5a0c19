// Things a template can call: macros, builtins (range, namespace, dict, raise_exception, ...) and
// bound methods of strings, lists and dicts. Arguments arrive Python-style (positional, then
// keywords); BindArgs maps them onto named parameters.
#ifndef HYBRIDSERVE_ENGINE_CHAT_CALLABLE_H_
#define HYBRIDSERVE_ENGINE_CHAT_CALLABLE_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/chat/value.h"

namespace hybridserve::engine::chat {

class Interpreter;

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keywords;
};

class Callable {
 public:
  virtual ~Callable() = default;
  virtual std::string name() const = 0;
  virtual absl::StatusOr<Value> Call(const CallArgs& args, Interpreter& interpreter) = 0;
};

// Maps args onto params (by position, then by keyword). The first num_required must be given;
// unknown keywords, duplicates and surplus positionals are errors naming `function`.
absl::StatusOr<std::vector<std::optional<Value>>> BindArgs(
    const CallArgs& args, std::string_view function, std::initializer_list<std::string_view> params,
    size_t num_required);

}  // namespace hybridserve::engine::chat

#endif  // HYBRIDSERVE_ENGINE_CHAT_CALLABLE_H_
