#include "engine/chat/filters.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/chat/access.h"
#include "engine/chat/interpreter.h"
#include "engine/chat/json_text.h"
#include "engine/chat/methods.h"
#include "engine/chat/utf8_text.h"

namespace hybridserve::engine::chat {
namespace {

constexpr std::string_view kScalarFilters[] = {
    "trim",  "upper", "lower", "capitalize", "title", "default", "d", "tojson", "string", "int",
    "float", "abs",   "round", "replace",    "safe",  "escape",  "e", "attr",   "indent"};

absl::StatusOr<std::vector<std::optional<Value>>> Bind(
    const CallArgs& args, const std::string& name, std::initializer_list<std::string_view> params,
    size_t required) {
  return BindArgs(args, absl::StrCat("filter ", name), params, required);
}

bool Flag(const std::optional<Value>& v) { return v.has_value() && v->Truthy(); }

// Jinja's title filter: capitalize each word, words begin after whitespace, -, (, {, [ or <.
std::string JinjaTitle(const std::string& text) {
  std::string out;
  bool word_start = true;
  for (char32_t cp : DecodeUtf8(text)) {
    const bool boundary =
        IsPyWhitespace(cp) || cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<';
    if (boundary) {
      AppendUtf8(cp, &out);
      word_start = true;
      continue;
    }
    AppendUtf8(word_start ? ToUpper(cp) : ToLower(cp), &out);
    word_start = false;
  }
  return out;
}

std::string HtmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// Python int(str): optional sign, digits with single underscores, surrounding whitespace.
bool ParsePyInt(const std::string& text, int64_t* out) {
  std::string t = Strip(text, nullptr, true, true);
  std::string digits;
  size_t i = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) digits.push_back(t[i++]);
  if (i == t.size()) return false;
  for (; i < t.size(); ++i) {
    if (t[i] >= '0' && t[i] <= '9') {
      digits.push_back(t[i]);
    } else if (t[i] != '_' || i + 1 == t.size() || t[i - 1] == '_' || t[i - 1] == '+' ||
               t[i - 1] == '-') {
      return false;
    }
  }
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(digits.c_str(), &end, 10);
  if (errno == ERANGE || *end != '\0') return false;
  *out = v;
  return true;
}

bool ParsePyFloat(const std::string& text, double* out) {
  std::string t = Strip(text, nullptr, true, true);
  if (t.empty() || t.find_first_of("xXpP") != std::string::npos) return false;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (*end != '\0') return false;
  *out = v;
  return true;
}

absl::StatusOr<Value> FloatToInt(double f) {
  if (!std::isfinite(f) || std::fabs(f) >= 9.2e18) {
    return absl::InvalidArgumentError("cannot convert this float to an integer");
  }
  return Value::Int(static_cast<int64_t>(f));
}

absl::StatusOr<Value> Round(const Value& value, const CallArgs& args) {
  HS_ASSIGN_OR_RETURN(auto a, Bind(args, "round", {"precision", "method"}, 0));
  int64_t precision = a[0].has_value() && a[0]->is_int() ? a[0]->int_value() : 0;
  std::string method = a[1].has_value() && a[1]->is_string() ? a[1]->string_value() : "common";
  if (method != "common" && method != "ceil" && method != "floor") {
    return absl::InvalidArgumentError("round method must be common, ceil or floor");
  }
  if (!value.is_number()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot round a ", value.TypeName()));
  }
  if (precision < -300 || precision > 300) precision = precision < 0 ? -300 : 300;
  if (method == "common") {
    if (!value.is_float()) return Value::Int(value.AsInt());  // round(int, n) stays int
    const double x = value.float_value();
    if (!std::isfinite(x)) return value;
    if (precision >= 0) {
      char buf[512];
      std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(std::min<int64_t>(precision, 100)),
                    x);
      return Value::Float(std::strtod(buf, nullptr));
    }
    const double scale = std::pow(10.0, static_cast<double>(-precision));
    return Value::Float(std::nearbyint(x / scale) * scale);
  }
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = value.AsDouble() * scale;
  return Value::Float((method == "ceil" ? std::ceil(x) : std::floor(x)) / scale);
}

absl::StatusOr<Value> Indent(const Value& value, const CallArgs& args) {
  HS_ASSIGN_OR_RETURN(auto a, Bind(args, "indent", {"width", "first", "blank"}, 0));
  std::string unit = "    ";
  if (a[0].has_value()) {
    if (a[0]->is_string()) {
      unit = a[0]->string_value();
    } else if (a[0]->is_int()) {
      unit.assign(static_cast<size_t>(std::clamp<int64_t>(a[0]->int_value(), 0, 1000)), ' ');
    }
  }
  std::string text = ToStr(value) + "\n";
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      out += "\n";
      if (Flag(a[2]) || !lines[i].empty()) out += unit;
    }
    out += lines[i];
  }
  if (Flag(a[1])) out = unit + out;
  return Value::String(std::move(out));
}

}  // namespace

bool IsKnownFilter(std::string_view name) {
  for (std::string_view f : kScalarFilters) {
    if (f == name) return true;
  }
  return IsCollectionFilter(name);
}

absl::StatusOr<Value> RunFilter(const std::string& name, const Value& value, const CallArgs& args,
                                Interpreter& interpreter) {
  HS_RETURN_IF_ERROR(interpreter.Charge(1));
  if (IsCollectionFilter(name)) return RunCollectionFilter(name, value, args, interpreter);
  if (name == "default" || name == "d") {
    HS_ASSIGN_OR_RETURN(auto a, Bind(args, name, {"default_value", "boolean"}, 0));
    const bool replace = Flag(a[1]) ? !value.Truthy() : value.is_undefined();
    if (!replace) return value;
    return a[0].has_value() ? *a[0] : Value::String("");
  }
  if (name == "tojson") {
    HS_ASSIGN_OR_RETURN(auto a,
                        Bind(args, name, {"ensure_ascii", "indent", "separators", "sort_keys"}, 0));
    JsonDumpOptions options;
    options.ensure_ascii = Flag(a[0]);
    if (a[1].has_value() && !a[1]->is_none()) {
      if (a[1]->is_string()) {
        options.indent = a[1]->string_value();
      } else if (a[1]->is_int()) {
        options.indent =
            std::string(static_cast<size_t>(std::clamp<int64_t>(a[1]->int_value(), 0, 1000)), ' ');
      } else {
        return absl::InvalidArgumentError("tojson indent must be an integer or a string");
      }
      options.item_separator = ",";
    }
    if (a[2].has_value() && !a[2]->is_none()) {
      const Value& s = *a[2];
      if (!s.is_list() || s.items().size() != 2 || !s.items()[0].is_string() ||
          !s.items()[1].is_string()) {
        return absl::InvalidArgumentError("tojson separators must be a pair of strings");
      }
      options.item_separator = s.items()[0].string_value();
      options.key_separator = s.items()[1].string_value();
    }
    options.sort_keys = Flag(a[3]);
    HS_ASSIGN_OR_RETURN(std::string text, DumpJson(value, options));
    HS_RETURN_IF_ERROR(interpreter.CheckSize(text.size()));
    HS_RETURN_IF_ERROR(interpreter.Charge(static_cast<int64_t>(text.size() / 64)));
    return Value::String(std::move(text));
  }
  if (name == "int") {
    HS_ASSIGN_OR_RETURN(auto a, Bind(args, name, {"default", "base"}, 0));
    const Value fallback = a[0].has_value() ? *a[0] : Value::Int(0);
    if (value.is_int() || value.is_bool()) return Value::Int(value.AsInt());
    if (value.is_float()) {
      auto v = FloatToInt(value.float_value());
      return v.ok() ? *v : fallback;
    }
    if (value.is_string()) {
      int64_t i = 0;
      if (ParsePyInt(value.string_value(), &i)) return Value::Int(i);
      double f = 0;
      if (ParsePyFloat(value.string_value(), &f)) {
        auto v = FloatToInt(f);
        if (v.ok()) return *v;
      }
    }
    return fallback;
  }
  if (name == "float") {
    HS_ASSIGN_OR_RETURN(auto a, Bind(args, name, {"default"}, 0));
    const Value fallback = a[0].has_value() ? *a[0] : Value::Float(0.0);
    if (value.is_number()) return Value::Float(value.AsDouble());
    double f = 0;
    if (value.is_string() && ParsePyFloat(value.string_value(), &f)) return Value::Float(f);
    return fallback;
  }
  if (name == "abs") {
    HS_ASSIGN_OR_RETURN(auto a, Bind(args, name, {}, 0));
    if (value.is_float()) return Value::Float(std::fabs(value.float_value()));
    if (value.is_int() || value.is_bool()) {
      if (value.AsInt() == INT64_MIN) return absl::OutOfRangeError("integer overflow");
      return Value::Int(value.AsInt() < 0 ? -value.AsInt() : value.AsInt());
    }
    return absl::InvalidArgumentError(
        absl::StrCat("bad operand type for abs(): '", value.TypeName(), "'"));
  }
  if (name == "round") return Round(value, args);
  if (name == "attr") {
    HS_ASSIGN_OR_RETURN(auto a, Bind(args, name, {"name"}, 1));
    if (!a[0]->is_string()) return absl::InvalidArgumentError("attr() needs a string name");
    if (value.is_dict()) {  // attribute lookup only, never the item
      return HasMethod(value, a[0]->string_value()) ? BindMethod(value, a[0]->string_value())
                                                    : Value::Undefined("no such attribute");
    }
    return GetAttr(value, a[0]->string_value());
  }
  if (name == "safe") {
    HS_ASSIGN_OR_RETURN(auto a, Bind(args, name, {}, 0));
    return value;
  }
  if (name == "indent") return Indent(value, args);
  // String filters work on str(value).
  const std::string text = ToStr(value);
  if (name == "trim") {
    HS_ASSIGN_OR_RETURN(auto a, Bind(args, name, {"chars"}, 0));
    if (a[0].has_value() && a[0]->is_string()) {
      return Value::String(Strip(text, &a[0]->string_value(), true, true));
    }
    return Value::String(Strip(text, nullptr, true, true));
  }
  if (name == "replace") {
    CallArgs forwarded = args;
    return CallMethod(Value::String(text), "replace", forwarded, interpreter);
  }
  HS_ASSIGN_OR_RETURN(auto none, Bind(args, name, {}, 0));
  (void)none;
  if (name == "upper") return Value::String(Upper(text));
  if (name == "lower") return Value::String(Lower(text));
  if (name == "title") return Value::String(JinjaTitle(text));
  if (name == "capitalize") return CallMethod(Value::String(text), "capitalize", {}, interpreter);
  if (name == "string") return Value::String(text);
  if (name == "escape" || name == "e") return Value::String(HtmlEscape(text));
  return absl::InvalidArgumentError(absl::StrCat("unknown filter '", name, "'"));
}

}  // namespace hybridserve::engine::chat
