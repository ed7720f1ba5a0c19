// Expression evaluation. Errors gain the line of the innermost node that failed.
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/chat/access.h"
#include "engine/chat/filters.h"
#include "engine/chat/interpreter.h"
#include "engine/chat/operators.h"
#include "engine/chat/tests.h"

namespace hybridserve::engine::chat {

Value Interpreter::Lookup(const std::string& name) const {
  for (const Scope* scope = scope_.get(); scope != nullptr; scope = scope->parent.get()) {
    auto it = scope->vars.find(name);
    if (it != scope->vars.end()) return it->second;
  }
  return Value::Undefined(absl::StrCat("'", name, "' is undefined"));
}

absl::StatusOr<CallArgs> Interpreter::EvalArgs(const Expr& expr, size_t first_arg) {
  CallArgs args;
  const size_t num_keywords = expr.keywords.size();
  const size_t num_positional = expr.children.size() - first_arg - num_keywords;
  for (size_t i = 0; i < num_positional; ++i) {
    HS_ASSIGN_OR_RETURN(Value value, Eval(*expr.children[first_arg + i]));
    args.positional.push_back(std::move(value));
  }
  for (size_t i = 0; i < num_keywords; ++i) {
    HS_ASSIGN_OR_RETURN(Value value, Eval(*expr.children[first_arg + num_positional + i]));
    args.keywords.emplace_back(expr.keywords[i], std::move(value));
  }
  return args;
}

absl::StatusOr<Value> Interpreter::Eval(const Expr& expr) {
  HS_RETURN_IF_ERROR(RenderError(expr.line, Charge(1)));
  auto at_line = [&](absl::StatusOr<Value> result) -> absl::StatusOr<Value> {
    if (!result.ok()) return RenderError(expr.line, result.status());
    return result;
  };
  switch (expr.kind) {
    case Expr::Kind::kLiteral:
      return expr.literal;
    case Expr::Kind::kName:
      return Lookup(expr.name);
    case Expr::Kind::kBlockValue:
      return block_value_ != nullptr ? *block_value_ : Value::Undefined("no block value");
    case Expr::Kind::kList:
    case Expr::Kind::kTuple: {
      std::vector<Value> items;
      for (const auto& child : expr.children) {
        HS_ASSIGN_OR_RETURN(Value value, Eval(*child));
        items.push_back(std::move(value));
      }
      return at_line(MakeList(std::move(items), expr.kind == Expr::Kind::kTuple
                                                    ? SeqFlavor::kTuple
                                                    : SeqFlavor::kList));
    }
    case Expr::Kind::kDict: {
      DictData dict;
      for (size_t i = 0; i + 1 < expr.children.size(); i += 2) {
        HS_ASSIGN_OR_RETURN(Value key, Eval(*expr.children[i]));
        HS_ASSIGN_OR_RETURN(Value value, Eval(*expr.children[i + 1]));
        if (!key.is_string()) {
          return RenderError(expr.line, absl::InvalidArgumentError(absl::StrCat(
                                            "dict keys must be strings, got ", key.TypeName())));
        }
        dict.Set(key.string_value(), std::move(value));
      }
      return at_line(MakeDict(std::move(dict)));
    }
    case Expr::Kind::kAttr: {
      HS_ASSIGN_OR_RETURN(Value object, Eval(*expr.children[0]));
      return at_line(GetAttr(object, expr.name));
    }
    case Expr::Kind::kSubscript: {
      HS_ASSIGN_OR_RETURN(Value object, Eval(*expr.children[0]));
      HS_ASSIGN_OR_RETURN(Value key, Eval(*expr.children[1]));
      return at_line(GetItem(object, key));
    }
    case Expr::Kind::kSlice: {
      HS_ASSIGN_OR_RETURN(Value object, Eval(*expr.children[0]));
      Value parts[3];
      for (int i = 0; i < 3; ++i) {
        if (expr.children[i + 1] == nullptr) {
          parts[i] = Value::None();
        } else {
          HS_ASSIGN_OR_RETURN(parts[i], Eval(*expr.children[i + 1]));
        }
      }
      return at_line(GetSlice(object, parts[0], parts[1], parts[2], *this));
    }
    case Expr::Kind::kCall: {
      HS_ASSIGN_OR_RETURN(Value callee, Eval(*expr.children[0]));
      HS_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(expr, 1));
      return at_line(CallValue(callee, args, expr.line));
    }
    case Expr::Kind::kFilter: {
      HS_ASSIGN_OR_RETURN(Value value, Eval(*expr.children[0]));
      HS_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(expr, 1));
      return at_line(ApplyFilter(expr.name, value, args));
    }
    case Expr::Kind::kTest: {
      HS_ASSIGN_OR_RETURN(Value value, Eval(*expr.children[0]));
      HS_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(expr, 1));
      auto result = ApplyTest(expr.name, value, args);
      if (!result.ok()) return RenderError(expr.line, result.status());
      return Value::Bool(*result != expr.negated);
    }
    case Expr::Kind::kUnary: {
      HS_ASSIGN_OR_RETURN(Value operand, Eval(*expr.children[0]));
      if (expr.name == "not") return Value::Bool(!operand.Truthy());
      return at_line(UnaryOp(expr.name, operand));
    }
    case Expr::Kind::kBinary:
      return EvalBinary(expr);
    case Expr::Kind::kCompare:
      return EvalCompare(expr);
    case Expr::Kind::kCondition: {
      HS_ASSIGN_OR_RETURN(Value condition, Eval(*expr.children[0]));
      if (condition.Truthy()) return Eval(*expr.children[1]);
      if (expr.children[2] == nullptr) return Value::Undefined("the condition was false");
      return Eval(*expr.children[2]);
    }
  }
  return Value::Undefined();
}

absl::StatusOr<Value> Interpreter::EvalBinary(const Expr& expr) {
  HS_ASSIGN_OR_RETURN(Value left, Eval(*expr.children[0]));
  if (expr.name == "and") return left.Truthy() ? Eval(*expr.children[1]) : left;
  if (expr.name == "or") return left.Truthy() ? left : Eval(*expr.children[1]);
  HS_ASSIGN_OR_RETURN(Value right, Eval(*expr.children[1]));
  auto result = BinaryOp(expr.name, left, right, *this);
  if (!result.ok()) return RenderError(expr.line, result.status());
  return result;
}

absl::StatusOr<Value> Interpreter::EvalCompare(const Expr& expr) {
  HS_ASSIGN_OR_RETURN(Value left, Eval(*expr.children[0]));
  for (size_t i = 0; i < expr.ops.size(); ++i) {
    HS_ASSIGN_OR_RETURN(Value right, Eval(*expr.children[i + 1]));
    auto holds = CompareOp(expr.ops[i], left, right);
    if (!holds.ok()) return RenderError(expr.line, holds.status());
    if (!*holds) return Value::Bool(false);
    left = std::move(right);
  }
  return Value::Bool(true);
}

absl::StatusOr<Value> Interpreter::CallValue(const Value& callee, const CallArgs& args, int line) {
  if (callee.is_undefined()) {
    return absl::InvalidArgumentError(
        absl::StrCat(callee.undefined_hint().empty() ? "undefined value" : callee.undefined_hint(),
                     " and cannot be called"));
  }
  if (!callee.is_callable()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", callee.TypeName(), "' object is not callable"));
  }
  return callee.callable()->Call(args, *this);
}

absl::StatusOr<Value> Interpreter::ApplyFilter(const std::string& name, const Value& value,
                                               const CallArgs& args) {
  return RunFilter(name, value, args, *this);
}

absl::StatusOr<bool> Interpreter::ApplyTest(const std::string& name, const Value& value,
                                            const CallArgs& args) {
  return RunTest(name, value, args, *this);
}

}  // namespace hybridserve::engine::chat
