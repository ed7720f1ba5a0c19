// Runs a parsed chat template against a context (messages, tools, ...) and produces its text.
// Sandboxed: no file, environment or network access exists to begin with, values are immutable
// except namespaces, and RenderLimits bounds loop iterations, macro recursion, value nesting,
// string and output size and total work, each with a clear error.
#ifndef HYBRIDSERVE_ENGINE_CHAT_INTERPRETER_H_
#define HYBRIDSERVE_ENGINE_CHAT_INTERPRETER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "engine/chat/ast.h"
#include "engine/chat/callable.h"
#include "engine/chat/value.h"

namespace hybridserve::engine::chat {

struct RenderLimits {
  int64_t max_output_bytes = 4 << 20;     // also the largest string any operation may build
  int64_t max_loop_iterations = 1000000;  // summed over all loops of one render
  int max_call_depth = 64;                // nested macro calls
  int max_value_depth = 64;               // nesting of lists and dicts
  int64_t max_steps = 50000000;           // evaluated nodes plus elements handled
};

struct Scope {
  absl::flat_hash_map<std::string, Value> vars;
  std::shared_ptr<Scope> parent;
};

class Interpreter {
 public:
  explicit Interpreter(const RenderLimits& limits) : limits_(limits) {}
  ~Interpreter();

  // Renders `program` with the variables of `globals` (context values and builtins).
  absl::StatusOr<std::string> Run(const Body& program,
                                  absl::flat_hash_map<std::string, Value> globals);

  // Services for filters, tests, methods and callables.
  const RenderLimits& limits() const { return limits_; }
  absl::Status Charge(int64_t steps);
  absl::Status CheckSize(size_t bytes) const;
  absl::StatusOr<Value> MakeList(std::vector<Value> items, SeqFlavor flavor = SeqFlavor::kList);
  absl::StatusOr<Value> MakeDict(DictData dict);
  absl::StatusOr<Value> CallValue(const Value& callee, const CallArgs& args, int line);
  absl::StatusOr<Value> ApplyFilter(const std::string& name, const Value& value,
                                    const CallArgs& args);
  absl::StatusOr<bool> ApplyTest(const std::string& name, const Value& value, const CallArgs& args);
  // A new namespace, owned by this render (its attributes are cleared at the end, which breaks
  // any reference cycle a template made through it).
  Value NewNamespace();
  // Runs a macro body in a fresh scope whose parent is `closure`.
  absl::StatusOr<Value> CallMacro(const Stmt& macro, const std::shared_ptr<Scope>& closure,
                                  const CallArgs& args, int line);

 private:
  enum class Flow { kNormal, kBreak, kContinue };

  absl::Status Exec(const Body& body, std::string* out);
  absl::Status ExecStmt(const Stmt& stmt, std::string* out);
  absl::Status ExecFor(const Stmt& stmt, std::string* out);
  absl::Status ExecSet(const Stmt& stmt, const Value& value);
  absl::Status Append(std::string* out, std::string_view text, int line);
  absl::StatusOr<std::string> RenderToString(const Body& body);

  // Expressions (eval_expressions.cc).
  absl::StatusOr<Value> Eval(const Expr& expr);
  absl::StatusOr<Value> EvalBinary(const Expr& expr);
  absl::StatusOr<Value> EvalCompare(const Expr& expr);
  absl::StatusOr<CallArgs> EvalArgs(const Expr& expr, size_t first_arg);
  Value Lookup(const std::string& name) const;

  const RenderLimits limits_;
  std::shared_ptr<Scope> scope_;
  Flow flow_ = Flow::kNormal;
  int64_t steps_ = 0;
  int64_t loop_iterations_ = 0;
  int call_depth_ = 0;
  const Value* block_value_ = nullptr;  // for Expr::Kind::kBlockValue
  std::vector<std::shared_ptr<NamespaceData>> namespaces_;
};

// The error every failure carries: "chat template line N: what".
absl::Status RenderError(int line, const absl::Status& cause);

}  // namespace hybridserve::engine::chat

#endif  // HYBRIDSERVE_ENGINE_CHAT_INTERPRETER_H_
