// Statement execution: output, if, for (with loop.*, else, filter, break/continue), set,
// block set, macros, filter blocks. Scoping follows Jinja: each loop iteration runs in a fresh
// scope whose writes vanish afterwards, `if` bodies write to the enclosing scope, macros see the
// scope they were defined in.
#include "engine/chat/interpreter.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/chat/builtins.h"
#include "engine/chat/sequence.h"

namespace hybridserve::engine::chat {

absl::Status RenderError(int line, const absl::Status& cause) {
  if (absl::StartsWith(cause.message(), "chat template")) return cause;
  return absl::Status(cause.code(),
                      absl::StrCat("chat template line ", line, ": ", cause.message()));
}

Interpreter::~Interpreter() {
  for (auto& ns : namespaces_) ns->attrs = DictData();
}

absl::StatusOr<std::string> Interpreter::Run(const Body& program,
                                             absl::flat_hash_map<std::string, Value> globals) {
  scope_ = std::make_shared<Scope>();
  scope_->vars = std::move(globals);
  std::string out;
  HS_RETURN_IF_ERROR(Exec(program, &out));
  return out;
}

absl::Status Interpreter::Charge(int64_t steps) {
  steps_ += steps;
  if (steps_ > limits_.max_steps) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the template did more than ", limits_.max_steps, " steps of work; it is too expensive"));
  }
  return absl::OkStatus();
}

absl::Status Interpreter::CheckSize(size_t bytes) const {
  if (static_cast<int64_t>(bytes) > limits_.max_output_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("the template built a string larger than ",
                                                     limits_.max_output_bytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Value> Interpreter::MakeList(std::vector<Value> items, SeqFlavor flavor) {
  HS_RETURN_IF_ERROR(Charge(static_cast<int64_t>(items.size())));
  return Value::List(std::move(items), flavor, limits_.max_value_depth);
}

absl::StatusOr<Value> Interpreter::MakeDict(DictData dict) {
  HS_RETURN_IF_ERROR(Charge(static_cast<int64_t>(dict.items.size())));
  return Value::Dict(std::move(dict), limits_.max_value_depth);
}

Value Interpreter::NewNamespace() {
  namespaces_.push_back(std::make_shared<NamespaceData>());
  return Value::Namespace(namespaces_.back());
}

absl::Status Interpreter::Append(std::string* out, std::string_view text, int line) {
  if (out->size() + text.size() > static_cast<size_t>(limits_.max_output_bytes)) {
    return absl::ResourceExhaustedError(absl::StrCat("chat template line ", line,
                                                     ": the rendered text exceeds ",
                                                     limits_.max_output_bytes, " bytes"));
  }
  out->append(text);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Interpreter::RenderToString(const Body& body) {
  std::string out;
  HS_RETURN_IF_ERROR(Exec(body, &out));
  return out;
}

absl::Status Interpreter::Exec(const Body& body, std::string* out) {
  for (const auto& stmt : body) {
    HS_RETURN_IF_ERROR(ExecStmt(*stmt, out));
    if (flow_ != Flow::kNormal) break;
  }
  return absl::OkStatus();
}

absl::Status Interpreter::ExecStmt(const Stmt& stmt, std::string* out) {
  HS_RETURN_IF_ERROR(RenderError(stmt.line, Charge(1)));
  switch (stmt.kind) {
    case Stmt::Kind::kText:
      return Append(out, stmt.text, stmt.line);
    case Stmt::Kind::kOutput: {
      HS_ASSIGN_OR_RETURN(Value value, Eval(*stmt.expr));
      return Append(out, ToStr(value), stmt.line);
    }
    case Stmt::Kind::kIf:
      for (size_t i = 0; i < stmt.conditions.size(); ++i) {
        HS_ASSIGN_OR_RETURN(Value condition, Eval(*stmt.conditions[i]));
        if (condition.Truthy()) return Exec(stmt.bodies[i], out);
      }
      return Exec(stmt.else_body, out);
    case Stmt::Kind::kFor:
      return ExecFor(stmt, out);
    case Stmt::Kind::kSet: {
      HS_ASSIGN_OR_RETURN(Value value, Eval(*stmt.expr));
      return RenderError(stmt.line, ExecSet(stmt, value));
    }
    case Stmt::Kind::kSetBlock:
    case Stmt::Kind::kFilterBlock: {
      HS_ASSIGN_OR_RETURN(std::string text, RenderToString(stmt.body));
      Value value = Value::String(std::move(text));
      if (stmt.expr != nullptr) {
        const Value* saved = block_value_;
        block_value_ = &value;
        auto filtered = Eval(*stmt.expr);
        block_value_ = saved;
        if (!filtered.ok()) return filtered.status();
        value = *std::move(filtered);
      }
      if (stmt.kind == Stmt::Kind::kFilterBlock) return Append(out, ToStr(value), stmt.line);
      scope_->vars[stmt.targets[0]] = std::move(value);
      return absl::OkStatus();
    }
    case Stmt::Kind::kMacro:
      scope_->vars[stmt.name] = MakeMacro(stmt, scope_);
      return absl::OkStatus();
    case Stmt::Kind::kBreak:
      flow_ = Flow::kBreak;
      return absl::OkStatus();
    case Stmt::Kind::kContinue:
      flow_ = Flow::kContinue;
      return absl::OkStatus();
    case Stmt::Kind::kScope:
      return Exec(stmt.body, out);
  }
  return absl::OkStatus();
}

absl::Status Interpreter::ExecSet(const Stmt& stmt, const Value& value) {
  if (!stmt.attr.empty()) {
    Value target = Lookup(stmt.targets[0]);
    if (!target.is_namespace()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot assign attribute '", stmt.attr, "' on '", stmt.targets[0], "' (a ",
                       target.TypeName(), "): only namespace() objects take attributes"));
    }
    target.ns()->attrs.Set(stmt.attr, value);
    return absl::OkStatus();
  }
  if (stmt.targets.size() == 1) {
    scope_->vars[stmt.targets[0]] = value;
    return absl::OkStatus();
  }
  HS_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(value, *this));
  if (items.size() != stmt.targets.size()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot unpack ", items.size(), " values into ",
                                                   stmt.targets.size(), " names"));
  }
  for (size_t i = 0; i < items.size(); ++i) scope_->vars[stmt.targets[i]] = items[i];
  return absl::OkStatus();
}

absl::Status Interpreter::ExecFor(const Stmt& stmt, std::string* out) {
  HS_ASSIGN_OR_RETURN(Value iterable, Eval(*stmt.expr));
  auto items_or = Iterate(iterable, *this);
  if (!items_or.ok()) return RenderError(stmt.line, items_or.status());
  std::vector<Value> items = *std::move(items_or);
  const std::shared_ptr<Scope> outer = scope_;
  auto bind = [&](const Value& item) -> absl::Status {
    if (stmt.targets.size() == 1) {
      scope_->vars[stmt.targets[0]] = item;
      return absl::OkStatus();
    }
    auto parts = Iterate(item, *this);
    if (!parts.ok()) return RenderError(stmt.line, parts.status());
    if (parts->size() != stmt.targets.size()) {
      return RenderError(stmt.line, absl::InvalidArgumentError(absl::StrCat(
                                        "cannot unpack ", parts->size(), " values into ",
                                        stmt.targets.size(), " loop variables")));
    }
    for (size_t i = 0; i < parts->size(); ++i) scope_->vars[stmt.targets[i]] = (*parts)[i];
    return absl::OkStatus();
  };
  absl::Status status = absl::OkStatus();
  if (stmt.condition != nullptr) {
    std::vector<Value> kept;
    for (const Value& item : items) {
      scope_ = std::make_shared<Scope>();
      scope_->parent = outer;
      status = bind(item);
      if (!status.ok()) break;
      auto keep = Eval(*stmt.condition);
      if (!keep.ok()) {
        status = keep.status();
        break;
      }
      if (keep->Truthy()) kept.push_back(item);
    }
    scope_ = outer;
    HS_RETURN_IF_ERROR(status);
    items = std::move(kept);
  }
  for (size_t i = 0; i < items.size() && status.ok(); ++i) {
    if (++loop_iterations_ > limits_.max_loop_iterations) {
      status = RenderError(stmt.line, absl::ResourceExhaustedError(absl::StrCat(
                                          "loops ran more than ", limits_.max_loop_iterations,
                                          " iterations in total")));
      break;
    }
    scope_ = std::make_shared<Scope>();
    scope_->parent = outer;
    auto loop = MakeLoopObject(items, i, *this);
    if (!loop.ok()) {
      status = loop.status();
      break;
    }
    scope_->vars["loop"] = *std::move(loop);
    status = bind(items[i]);
    if (status.ok()) status = Exec(stmt.body, out);
    if (flow_ == Flow::kContinue) flow_ = Flow::kNormal;
    if (flow_ == Flow::kBreak) {
      flow_ = Flow::kNormal;
      break;
    }
  }
  scope_ = outer;
  HS_RETURN_IF_ERROR(status);
  if (items.empty()) return Exec(stmt.else_body, out);
  return absl::OkStatus();
}

absl::StatusOr<Value> Interpreter::CallMacro(const Stmt& macro,
                                             const std::shared_ptr<Scope>& closure,
                                             const CallArgs& args, int line) {
  if (call_depth_ >= limits_.max_call_depth) {
    return RenderError(line, absl::ResourceExhaustedError(absl::StrCat(
                                 "macro calls nest deeper than ", limits_.max_call_depth,
                                 " (runaway recursion in '", macro.name, "'?)")));
  }
  auto scope = std::make_shared<Scope>();
  scope->parent = closure;
  std::vector<Value> varargs;
  DictData kwargs;
  for (size_t i = 0; i < args.positional.size(); ++i) {
    if (i < macro.params.size()) {
      scope->vars[macro.params[i]] = args.positional[i];
    } else {
      varargs.push_back(args.positional[i]);
    }
  }
  for (const auto& [key, value] : args.keywords) {
    bool is_param = false;
    for (const std::string& param : macro.params) is_param |= param == key;
    if (is_param) {
      scope->vars[key] = value;
    } else {
      kwargs.Set(key, value);
    }
  }
  const std::shared_ptr<Scope> saved = scope_;
  const Flow saved_flow = flow_;
  scope_ = scope;
  ++call_depth_;
  absl::Status status = absl::OkStatus();
  for (size_t i = 0; i < macro.params.size() && status.ok(); ++i) {
    if (scope->vars.contains(macro.params[i])) continue;
    if (macro.defaults[i] != nullptr) {
      auto value = Eval(*macro.defaults[i]);
      if (value.ok()) {
        scope->vars[macro.params[i]] = *std::move(value);
      } else {
        status = value.status();
      }
    } else {
      scope->vars[macro.params[i]] =
          Value::Undefined(absl::StrCat("parameter '", macro.params[i], "' was not given"));
    }
  }
  if (status.ok()) {
    auto list = MakeList(std::move(varargs), SeqFlavor::kTuple);
    auto dict = MakeDict(std::move(kwargs));
    status = !list.ok() ? list.status() : dict.status();
    if (status.ok()) {
      scope->vars["varargs"] = *std::move(list);
      scope->vars["kwargs"] = *std::move(dict);
    }
  }
  std::string out;
  if (status.ok()) status = Exec(macro.body, &out);
  --call_depth_;
  scope_ = saved;
  flow_ = saved_flow;
  HS_RETURN_IF_ERROR(status);
  return Value::String(std::move(out));
}

}  // namespace hybridserve::engine::chat
