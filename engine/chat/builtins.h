// The callables and objects templates get from the runtime: the globals range(), dict(),
// namespace(), raise_exception() and strftime_now(), macros defined with {% macro %}, and the
// per-iteration `loop` object (index, index0, revindex, revindex0, first, last, length,
// previtem, nextitem, cycle()).
#ifndef HYBRIDSERVE_ENGINE_CHAT_BUILTINS_H_
#define HYBRIDSERVE_ENGINE_CHAT_BUILTINS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "engine/chat/ast.h"
#include "engine/chat/interpreter.h"
#include "engine/chat/value.h"

namespace hybridserve::engine::chat {

// Jinja's sandbox refuses range() results longer than this.
inline constexpr int64_t kMaxRange = 100000;

absl::flat_hash_map<std::string, Value> BuiltinGlobals();
// The macro keeps a weak reference to its defining scope (no reference cycle).
Value MakeMacro(const Stmt& macro, const std::shared_ptr<Scope>& scope);
absl::StatusOr<Value> MakeLoopObject(const std::vector<Value>& items, size_t index,
                                     Interpreter& interpreter);

}  // namespace hybridserve::engine::chat

#endif  // HYBRIDSERVE_ENGINE_CHAT_BUILTINS_H_
