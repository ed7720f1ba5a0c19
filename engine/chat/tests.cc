#include "engine/chat/tests.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/chat/operators.h"
#include "engine/chat/utf8_text.h"

namespace hybridserve::engine::chat {
namespace {

constexpr std::string_view kTests[] = {
    "defined", "undefined", "none",        "boolean", "true",        "false",    "integer",
    "float",   "number",    "string",      "mapping", "iterable",    "sequence", "callable",
    "sameas",  "escaped",   "odd",         "even",    "divisibleby", "eq",       "equalto",
    "==",      "ne",        "!=",          "lt",      "lessthan",    "<",        "le",
    "<=",      "gt",        "greaterthan", ">",       "ge",          ">=",       "in",
    "lower",   "upper"};

absl::StatusOr<int64_t> IntOf(const Value& v, const std::string& test) {
  if (v.is_int() || v.is_bool()) return v.AsInt();
  if (v.is_float() && std::isfinite(v.float_value()) &&
      v.float_value() == std::floor(v.float_value()) && std::fabs(v.float_value()) < 9e18) {
    return static_cast<int64_t>(v.float_value());
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'is ", test, "' needs an integer, got ", v.TypeName()));
}

}  // namespace

bool IsKnownTest(std::string_view name) {
  for (std::string_view t : kTests) {
    if (t == name) return true;
  }
  return false;
}

absl::StatusOr<bool> RunTest(const std::string& name, const Value& value, const CallArgs& args,
                             Interpreter& interpreter) {
  if (!IsKnownTest(name)) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported test '", name, "'"));
  }
  const bool needs_arg = name == "sameas" || name == "divisibleby" || name == "eq" ||
                         name == "equalto" || name == "==" || name == "ne" || name == "!=" ||
                         name == "lt" || name == "lessthan" || name == "<" || name == "le" ||
                         name == "<=" || name == "gt" || name == "greaterthan" || name == ">" ||
                         name == "ge" || name == ">=" || name == "in";
  HS_ASSIGN_OR_RETURN(auto a, BindArgs(args, absl::StrCat("is ", name),
                                       needs_arg ? std::initializer_list<std::string_view>{"other"}
                                                 : std::initializer_list<std::string_view>{},
                                       needs_arg ? 1 : 0));
  if (name == "defined") return !value.is_undefined();
  if (name == "undefined") return value.is_undefined();
  if (name == "none") return value.is_none();
  if (name == "boolean") return value.is_bool();
  if (name == "true") return value.is_bool() && value.bool_value();
  if (name == "false") return value.is_bool() && !value.bool_value();
  if (name == "integer") return value.is_int();
  if (name == "float") return value.is_float();
  if (name == "number") return value.is_number();
  if (name == "string") return value.is_string();
  if (name == "mapping") return value.is_dict();
  if (name == "iterable")
    return value.is_list() || value.is_dict() || value.is_string() || value.is_undefined();
  if (name == "sequence") {
    return (value.is_list() && value.list().flavor != SeqFlavor::kGenerator) || value.is_dict() ||
           value.is_string() || value.is_undefined();
  }
  if (name == "callable") return value.is_callable();
  if (name == "escaped") return false;
  if (name == "lower" || name == "upper") {
    if (!value.is_string()) return false;
    bool any_cased = false;
    for (char32_t cp : DecodeUtf8(value.string_value())) {
      if (name == "lower" ? IsUpper(cp) : IsLower(cp)) return false;
      any_cased |= IsCased(cp);
    }
    return any_cased;
  }
  if (name == "odd" || name == "even") {
    HS_ASSIGN_OR_RETURN(int64_t n, IntOf(value, name));
    return (n % 2 != 0) == (name == "odd");
  }
  const Value& other = *a[0];
  if (name == "divisibleby") {
    HS_ASSIGN_OR_RETURN(int64_t n, IntOf(value, name));
    HS_ASSIGN_OR_RETURN(int64_t d, IntOf(other, name));
    if (d == 0) return absl::InvalidArgumentError("'is divisibleby 0': division by zero");
    if (d == -1) return true;
    return n % d == 0;
  }
  if (name == "sameas") {
    if (value.kind() != other.kind()) return false;
    if (value.is_list() || value.is_dict() || value.is_string()) {
      return Equals(value, other) && value.depth() == other.depth() &&
             (value.is_string() ? &value.string_value() == &other.string_value()
              : value.is_list() ? &value.list() == &other.list()
                                : &value.dict() == &other.dict());
    }
    return Equals(value, other);
  }
  if (name == "in") return Contains(other, value);
  std::string op = name;
  if (name == "eq" || name == "equalto") op = "==";
  if (name == "ne") op = "!=";
  if (name == "lt" || name == "lessthan") op = "<";
  if (name == "le") op = "<=";
  if (name == "gt" || name == "greaterthan") op = ">";
  if (name == "ge") op = ">=";
  return CompareOp(op, value, other);
}

}  // namespace hybridserve::engine::chat
