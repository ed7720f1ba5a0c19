#include "engine/chat/operators.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/chat/interpreter.h"

namespace hybridserve::engine::chat {
namespace {

absl::Status Unsupported(const std::string& op, const Value& a, const Value& b) {
  if (a.is_undefined() || b.is_undefined()) {
    const Value& u = a.is_undefined() ? a : b;
    return absl::InvalidArgumentError(u.undefined_hint().empty() ? "undefined value used"
                                                                 : u.undefined_hint());
  }
  return absl::InvalidArgumentError(absl::StrCat("unsupported operand types for ", op, ": '",
                                                 a.TypeName(), "' and '", b.TypeName(), "'"));
}

absl::Status Overflow() { return absl::OutOfRangeError("integer overflow"); }

absl::StatusOr<Value> Repeat(const Value& seq, int64_t count, Interpreter& interpreter) {
  if (count < 0) count = 0;
  if (seq.is_string()) {
    const std::string& s = seq.string_value();
    if (!s.empty() && count > 0) {
      if (static_cast<uint64_t>(count) > UINT64_MAX / s.size()) return Overflow();
      HS_RETURN_IF_ERROR(interpreter.CheckSize(s.size() * static_cast<uint64_t>(count)));
    }
    std::string out;
    for (int64_t i = 0; i < count && !s.empty(); ++i) out += s;
    HS_RETURN_IF_ERROR(interpreter.Charge(static_cast<int64_t>(out.size() / 64)));
    return Value::String(std::move(out));
  }
  const auto& items = seq.items();
  if (!items.empty() && count > 0) {
    if (static_cast<uint64_t>(count) > UINT64_MAX / items.size()) return Overflow();
    HS_RETURN_IF_ERROR(interpreter.CheckSize(items.size() * static_cast<uint64_t>(count)));
    HS_RETURN_IF_ERROR(interpreter.Charge(static_cast<int64_t>(items.size()) * count));
  }
  std::vector<Value> out;
  for (int64_t i = 0; i < count && !items.empty(); ++i) {
    out.insert(out.end(), items.begin(), items.end());
  }
  return interpreter.MakeList(std::move(out), seq.list().flavor);
}

bool IsPlainSeq(const Value& v) { return v.is_list() && v.list().flavor != SeqFlavor::kGenerator; }

double FloorMod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0.0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

// Python's float floor division (float_floor_div).
double FloorDiv(double a, double b) {
  double mod = std::fmod(a, b);
  double div = (a - mod) / b;
  if (mod != 0.0 && ((b < 0) != (mod < 0))) div -= 1.0;
  if (div == 0.0) return std::copysign(0.0, a / b);
  double floordiv = std::floor(div);
  if (div - floordiv > 0.5) floordiv += 1.0;
  return floordiv;
}

}  // namespace

absl::StatusOr<Value> UnaryOp(const std::string& op, const Value& operand) {
  if (!operand.is_number()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad operand type for unary ", op, ": '", operand.TypeName(), "'"));
  }
  if (op == "+") return operand.is_bool() ? Value::Int(operand.AsInt()) : operand;
  if (operand.is_float()) return Value::Float(-operand.float_value());
  if (operand.AsInt() == INT64_MIN) return Overflow();
  return Value::Int(-operand.AsInt());
}

absl::StatusOr<Value> BinaryOp(const std::string& op, const Value& a, const Value& b,
                               Interpreter& interpreter) {
  if (op == "~") {
    std::string out = ToStr(a);
    const std::string right = ToStr(b);
    HS_RETURN_IF_ERROR(interpreter.CheckSize(out.size() + right.size()));
    HS_RETURN_IF_ERROR(interpreter.Charge(static_cast<int64_t>((out.size() + right.size()) / 64)));
    out += right;
    return Value::String(std::move(out));
  }
  if (a.is_number() && b.is_number()) {
    const bool as_float = a.is_float() || b.is_float();
    const double x = a.AsDouble();
    const double y = b.AsDouble();
    const int64_t i = as_float ? 0 : a.AsInt();
    const int64_t j = as_float ? 0 : b.AsInt();
    int64_t r = 0;
    if (op == "+") {
      if (as_float) return Value::Float(x + y);
      if (__builtin_add_overflow(i, j, &r)) return Overflow();
      return Value::Int(r);
    }
    if (op == "-") {
      if (as_float) return Value::Float(x - y);
      if (__builtin_sub_overflow(i, j, &r)) return Overflow();
      return Value::Int(r);
    }
    if (op == "*") {
      if (as_float) return Value::Float(x * y);
      if (__builtin_mul_overflow(i, j, &r)) return Overflow();
      return Value::Int(r);
    }
    if (op == "/" || op == "//" || op == "%") {
      if (as_float ? y == 0.0 : j == 0) {
        return absl::InvalidArgumentError(op == "%" ? "integer modulo by zero"
                                                    : "division by zero");
      }
      if (op == "/") return Value::Float(x / y);
      if (as_float) {
        if (op == "%") return Value::Float(FloorMod(x, y));
        return Value::Float(FloorDiv(x, y));
      }
      if (i == INT64_MIN && j == -1) return Overflow();
      int64_t q = i / j;
      int64_t m = i % j;
      if (m != 0 && ((m < 0) != (j < 0))) {
        --q;
        m += j;
      }
      return Value::Int(op == "//" ? q : m);
    }
    if (op == "**") {
      if (as_float || j < 0) {
        if (x == 0.0 && y < 0)
          return absl::InvalidArgumentError("0.0 cannot be raised to a negative power");
        return Value::Float(std::pow(x, y));
      }
      int64_t result = 1;
      int64_t base = i;
      int64_t exp = j;
      while (exp > 0) {
        if (exp & 1) {
          if (__builtin_mul_overflow(result, base, &result)) return Overflow();
        }
        exp >>= 1;
        if (exp > 0 && __builtin_mul_overflow(base, base, &base)) return Overflow();
      }
      return Value::Int(result);
    }
    return Unsupported(op, a, b);
  }
  if (op == "+") {
    if (a.is_string() && b.is_string()) {
      HS_RETURN_IF_ERROR(interpreter.CheckSize(a.string_value().size() + b.string_value().size()));
      HS_RETURN_IF_ERROR(interpreter.Charge(
          static_cast<int64_t>((a.string_value().size() + b.string_value().size()) / 64)));
      return Value::String(a.string_value() + b.string_value());
    }
    if (IsPlainSeq(a) && IsPlainSeq(b) && a.list().flavor == b.list().flavor) {
      HS_RETURN_IF_ERROR(interpreter.CheckSize(a.items().size() + b.items().size()));
      std::vector<Value> items = a.items();
      items.insert(items.end(), b.items().begin(), b.items().end());
      return interpreter.MakeList(std::move(items), a.list().flavor);
    }
  }
  if (op == "*") {
    if ((a.is_string() || IsPlainSeq(a)) && (b.is_int() || b.is_bool())) {
      return Repeat(a, b.AsInt(), interpreter);
    }
    if ((b.is_string() || IsPlainSeq(b)) && (a.is_int() || a.is_bool())) {
      return Repeat(b, a.AsInt(), interpreter);
    }
  }
  if (op == "%" && a.is_string()) {
    return absl::InvalidArgumentError(
        "printf-style string formatting ('...' % value) is not supported; use ~ or the format "
        "of each value");
  }
  return Unsupported(op, a, b);
}

absl::StatusOr<bool> Contains(const Value& haystack, const Value& needle) {
  switch (haystack.kind()) {
    case Value::Kind::kUndefined:
      return false;
    case Value::Kind::kString:
      if (!needle.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("'in <string>' requires string as left operand, not ", needle.TypeName()));
      }
      return haystack.string_value().find(needle.string_value()) != std::string::npos;
    case Value::Kind::kList:
      for (const Value& item : haystack.items()) {
        if (Equals(item, needle)) return true;
      }
      return false;
    case Value::Kind::kDict:
      return needle.is_string() && haystack.dict().Find(needle.string_value()) != nullptr;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("argument of type '", haystack.TypeName(), "' is not iterable"));
  }
}

absl::StatusOr<bool> CompareOp(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return Equals(a, b);
  if (op == "!=") return !Equals(a, b);
  if (op == "in") return Contains(b, a);
  if (op == "notin") {
    HS_ASSIGN_OR_RETURN(bool in, Contains(b, a));
    return !in;
  }
  if (a.is_undefined() || b.is_undefined()) return Unsupported(op, a, b);
  if (op == "<") return LessThan(a, b);
  if (op == ">") return LessThan(b, a);
  if (op == "<=") {
    HS_ASSIGN_OR_RETURN(bool greater, LessThan(b, a));
    return !greater && !(a.is_float() && std::isnan(a.float_value())) &&
           !(b.is_float() && std::isnan(b.float_value()));
  }
  if (op == ">=") {
    HS_ASSIGN_OR_RETURN(bool less, LessThan(a, b));
    return !less && !(a.is_float() && std::isnan(a.float_value())) &&
           !(b.is_float() && std::isnan(b.float_value()));
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown comparison ", op));
}

}  // namespace hybridserve::engine::chat
