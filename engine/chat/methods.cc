#include "engine/chat/methods.h"

#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/chat/interpreter.h"
#include "engine/chat/operators.h"
#include "engine/chat/sequence.h"
#include "engine/chat/utf8_text.h"

namespace hybridserve::engine::chat {
namespace {

constexpr std::string_view kStringMethods[] = {
    "strip",    "lstrip",  "rstrip",  "split",   "rsplit",     "startswith",
    "endswith", "replace", "title",   "upper",   "lower",      "capitalize",
    "find",     "rfind",   "count",   "join",    "splitlines", "isdigit",
    "isalpha",  "isalnum", "isspace", "isupper", "islower"};
constexpr std::string_view kDictMethods[] = {"items", "keys", "values", "get", "copy"};
constexpr std::string_view kListMethods[] = {"index", "count"};
constexpr std::string_view kMutators[] = {"append", "extend",     "insert", "pop",
                                          "remove", "reverse",    "sort",   "clear",
                                          "update", "setdefault", "popitem"};

template <size_t N>
bool In(const std::string_view (&names)[N], const std::string& name) {
  for (std::string_view n : names) {
    if (n == name) return true;
  }
  return false;
}

class BoundMethod : public Callable {
 public:
  BoundMethod(Value receiver, std::string name)
      : receiver_(std::move(receiver)), name_(std::move(name)) {}
  std::string name() const override { return absl::StrCat(receiver_.TypeName(), ".", name_); }
  absl::StatusOr<Value> Call(const CallArgs& args, Interpreter& interpreter) override {
    return CallMethod(receiver_, name_, args, interpreter);
  }

 private:
  Value receiver_;
  std::string name_;
};

absl::StatusOr<std::string> StringArg(const std::optional<Value>& v, const char* method) {
  if (!v.has_value() || !v->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(method, "() needs a string argument",
                                                   v.has_value() ? ", got " + v->TypeName() : ""));
  }
  return v->string_value();
}

// Python str.split / rsplit.
std::vector<std::string> Split(const std::string& text, const std::string* sep, int64_t maxsplit,
                               bool from_right) {
  std::vector<std::string> parts;
  if (sep == nullptr) {
    std::u32string cps = DecodeUtf8(text);
    std::vector<std::u32string> words;
    if (!from_right) {
      size_t i = 0;
      while (i < cps.size()) {
        while (i < cps.size() && IsPyWhitespace(cps[i])) ++i;
        if (i == cps.size()) break;
        if (maxsplit >= 0 && static_cast<int64_t>(words.size()) == maxsplit) {
          size_t end = cps.size();
          while (end > i && IsPyWhitespace(cps[end - 1])) --end;
          words.push_back(cps.substr(i, end - i));
          break;
        }
        size_t j = i;
        while (j < cps.size() && !IsPyWhitespace(cps[j])) ++j;
        words.push_back(cps.substr(i, j - i));
        i = j;
      }
    } else {
      size_t i = cps.size();
      while (i > 0) {
        while (i > 0 && IsPyWhitespace(cps[i - 1])) --i;
        if (i == 0) break;
        if (maxsplit >= 0 && static_cast<int64_t>(words.size()) == maxsplit) {
          size_t begin = 0;
          while (begin < i && IsPyWhitespace(cps[begin])) ++begin;
          words.insert(words.begin(), cps.substr(begin, i - begin));
          break;
        }
        size_t j = i;
        while (j > 0 && !IsPyWhitespace(cps[j - 1])) --j;
        words.insert(words.begin(), cps.substr(j, i - j));
        i = j;
      }
    }
    for (const auto& w : words) parts.push_back(EncodeUtf8(w));
    return parts;
  }
  if (!from_right) {
    size_t pos = 0;
    while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
      size_t found = text.find(*sep, pos);
      if (found == std::string::npos) break;
      parts.push_back(text.substr(pos, found - pos));
      pos = found + sep->size();
    }
    parts.push_back(text.substr(pos));
    return parts;
  }
  size_t end = text.size();
  std::vector<std::string> reversed;
  while (maxsplit < 0 || static_cast<int64_t>(reversed.size()) < maxsplit) {
    if (end < sep->size()) break;
    size_t found = text.rfind(*sep, end - sep->size());
    if (found == std::string::npos) break;
    reversed.push_back(text.substr(found + sep->size(), end - found - sep->size()));
    end = found;
  }
  parts.push_back(text.substr(0, end));
  parts.insert(parts.end(), reversed.rbegin(), reversed.rend());
  return parts;
}

std::string PyTitle(const std::string& text) {
  std::string out;
  bool previous_cased = false;
  for (char32_t cp : DecodeUtf8(text)) {
    AppendUtf8(previous_cased ? ToLower(cp) : ToUpper(cp), &out);
    previous_cased = IsCased(cp);
  }
  return out;
}

absl::StatusOr<Value> StringMethod(const std::string& s, const std::string& name,
                                   const CallArgs& args, Interpreter& interpreter) {
  HS_RETURN_IF_ERROR(interpreter.Charge(static_cast<int64_t>(s.size() / 64)));
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    HS_ASSIGN_OR_RETURN(auto a, BindArgs(args, name, {"chars"}, 0));
    const bool given = a[0].has_value() && !a[0]->is_none();
    std::string chars;
    if (given) {
      HS_ASSIGN_OR_RETURN(chars, StringArg(a[0], name.c_str()));
    }
    return Value::String(Strip(s, given ? &chars : nullptr, name != "rstrip", name != "lstrip"));
  }
  if (name == "split" || name == "rsplit") {
    HS_ASSIGN_OR_RETURN(auto a, BindArgs(args, name, {"sep", "maxsplit"}, 0));
    int64_t maxsplit = -1;
    if (a[1].has_value()) {
      if (!a[1]->is_int()) return absl::InvalidArgumentError("maxsplit must be an integer");
      maxsplit = a[1]->int_value();
    }
    std::string sep;
    const bool has_sep = a[0].has_value() && !a[0]->is_none();
    if (has_sep) {
      HS_ASSIGN_OR_RETURN(sep, StringArg(a[0], name.c_str()));
      if (sep.empty()) return absl::InvalidArgumentError("empty separator");
    }
    std::vector<Value> items;
    for (std::string& part : Split(s, has_sep ? &sep : nullptr, maxsplit, name == "rsplit")) {
      items.push_back(Value::String(std::move(part)));
    }
    return interpreter.MakeList(std::move(items));
  }
  if (name == "startswith" || name == "endswith") {
    HS_ASSIGN_OR_RETURN(auto a, BindArgs(args, name, {"prefix"}, 1));
    std::vector<Value> options;
    if (a[0]->is_list() && a[0]->list().flavor == SeqFlavor::kTuple) {
      options = a[0]->items();
    } else {
      options.push_back(*a[0]);
    }
    for (const Value& option : options) {
      HS_ASSIGN_OR_RETURN(std::string p, StringArg(option, name.c_str()));
      const bool hit = p.size() <= s.size() &&
                       (name == "startswith" ? s.compare(0, p.size(), p) == 0
                                             : s.compare(s.size() - p.size(), p.size(), p) == 0);
      if (hit) return Value::Bool(true);
    }
    return Value::Bool(false);
  }
  if (name == "replace") {
    HS_ASSIGN_OR_RETURN(auto a, BindArgs(args, name, {"old", "new", "count"}, 2));
    HS_ASSIGN_OR_RETURN(std::string from, StringArg(a[0], "replace"));
    HS_ASSIGN_OR_RETURN(std::string to, StringArg(a[1], "replace"));
    int64_t count = a[2].has_value() && a[2]->is_int() ? a[2]->int_value() : -1;
    std::string out;
    if (from.empty()) {
      // Python inserts `to` between characters and at both ends.
      std::u32string cps = DecodeUtf8(s);
      int64_t done = 0;
      for (size_t i = 0; i <= cps.size(); ++i) {
        if (count < 0 || done < count) {
          out += to;
          ++done;
        }
        if (i < cps.size()) AppendUtf8(cps[i], &out);
        HS_RETURN_IF_ERROR(interpreter.CheckSize(out.size()));
      }
      return Value::String(std::move(out));
    }
    size_t pos = 0;
    int64_t done = 0;
    while (count < 0 || done < count) {
      size_t found = s.find(from, pos);
      if (found == std::string::npos) break;
      out.append(s, pos, found - pos);
      out += to;
      pos = found + from.size();
      ++done;
      HS_RETURN_IF_ERROR(interpreter.CheckSize(out.size()));
    }
    out.append(s, pos, std::string::npos);
    HS_RETURN_IF_ERROR(interpreter.CheckSize(out.size()));
    return Value::String(std::move(out));
  }
  if (name == "find" || name == "rfind" || name == "count") {
    HS_ASSIGN_OR_RETURN(auto a, BindArgs(args, name, {"sub"}, 1));
    HS_ASSIGN_OR_RETURN(std::string sub, StringArg(a[0], name.c_str()));
    if (name == "count") {
      if (sub.empty()) return Value::Int(static_cast<int64_t>(Utf8Length(s)) + 1);
      int64_t n = 0;
      for (size_t pos = s.find(sub); pos != std::string::npos;
           pos = s.find(sub, pos + sub.size())) {
        ++n;
      }
      return Value::Int(n);
    }
    size_t pos = name == "find" ? s.find(sub) : s.rfind(sub);
    if (pos == std::string::npos) return Value::Int(-1);
    return Value::Int(static_cast<int64_t>(Utf8Length(std::string_view(s).substr(0, pos))));
  }
  if (name == "join") {
    HS_ASSIGN_OR_RETURN(auto a, BindArgs(args, name, {"iterable"}, 1));
    HS_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(*a[0], interpreter));
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("join(): sequence item ", i, ": expected str, got ", items[i].TypeName()));
      }
      if (i > 0) out += s;
      out += items[i].string_value();
      HS_RETURN_IF_ERROR(interpreter.CheckSize(out.size()));
    }
    return Value::String(std::move(out));
  }
  HS_ASSIGN_OR_RETURN(auto none, BindArgs(args, name, {}, 0));
  (void)none;
  if (name == "upper") return Value::String(Upper(s));
  if (name == "lower") return Value::String(Lower(s));
  if (name == "title") return Value::String(PyTitle(s));
  if (name == "capitalize") {
    std::u32string cps = DecodeUtf8(s);
    for (size_t i = 0; i < cps.size(); ++i) cps[i] = i == 0 ? ToUpper(cps[i]) : ToLower(cps[i]);
    return Value::String(EncodeUtf8(cps));
  }
  if (name == "splitlines") {
    std::vector<Value> items;
    size_t pos = 0;
    while (pos < s.size()) {
      size_t nl = s.find_first_of("\n\r", pos);
      if (nl == std::string::npos) {
        items.push_back(Value::String(s.substr(pos)));
        break;
      }
      items.push_back(Value::String(s.substr(pos, nl - pos)));
      pos = nl + ((s[nl] == '\r' && nl + 1 < s.size() && s[nl + 1] == '\n') ? 2 : 1);
    }
    return interpreter.MakeList(std::move(items));
  }
  // Character-class predicates: true when non-empty and every character qualifies.
  std::u32string cps = DecodeUtf8(s);
  bool all = !cps.empty();
  bool any_cased = false;
  for (char32_t cp : cps) {
    if (name == "isdigit") all &= IsDigit(cp);
    if (name == "isalpha") all &= IsAlpha(cp);
    if (name == "isalnum") all &= IsAlpha(cp) || IsDigit(cp);
    if (name == "isspace") all &= IsPyWhitespace(cp);
    if (name == "isupper") all &= !IsLower(cp);
    if (name == "islower") all &= !IsUpper(cp);
    any_cased |= IsCased(cp);
  }
  if (name == "isupper" || name == "islower") all &= any_cased;
  return Value::Bool(all);
}

}  // namespace

bool HasMethod(const Value& receiver, const std::string& name) {
  if (In(kMutators, name)) return receiver.is_list() || receiver.is_dict();
  if (receiver.is_string()) return In(kStringMethods, name);
  if (receiver.is_dict()) return In(kDictMethods, name);
  if (receiver.is_list() && receiver.list().flavor != SeqFlavor::kGenerator) {
    return In(kListMethods, name);
  }
  return false;
}

Value BindMethod(const Value& receiver, const std::string& name) {
  return Value::Function(std::make_shared<BoundMethod>(receiver, name));
}

absl::StatusOr<Value> CallMethod(const Value& receiver, const std::string& name,
                                 const CallArgs& args, Interpreter& interpreter) {
  if (In(kMutators, name)) {
    return absl::InvalidArgumentError(
        absl::StrCat(receiver.TypeName(), ".", name,
                     "() is not allowed: template values are immutable (use a namespace() "
                     "attribute or build a new list with +)"));
  }
  if (receiver.is_string()) return StringMethod(receiver.string_value(), name, args, interpreter);
  if (receiver.is_dict()) {
    const DictData& dict = receiver.dict();
    if (name == "get") {
      HS_ASSIGN_OR_RETURN(auto a, BindArgs(args, "get", {"key", "default"}, 1));
      const Value* found = a[0]->is_string() ? dict.Find(a[0]->string_value()) : nullptr;
      if (found != nullptr) return *found;
      return a[1].has_value() ? *a[1] : Value::None();
    }
    HS_ASSIGN_OR_RETURN(auto none, BindArgs(args, name, {}, 0));
    (void)none;
    if (name == "copy") return receiver;
    std::vector<Value> items;
    for (const auto& [key, value] : dict.items) {
      if (name == "keys") {
        items.push_back(Value::String(key));
      } else if (name == "values") {
        items.push_back(value);
      } else {
        HS_ASSIGN_OR_RETURN(Value pair,
                            interpreter.MakeList({Value::String(key), value}, SeqFlavor::kTuple));
        items.push_back(std::move(pair));
      }
    }
    return interpreter.MakeList(std::move(items));
  }
  if (receiver.is_list()) {
    HS_ASSIGN_OR_RETURN(auto a, BindArgs(args, name, {"value"}, 1));
    int64_t count = 0;
    for (size_t i = 0; i < receiver.items().size(); ++i) {
      if (!Equals(receiver.items()[i], *a[0])) continue;
      if (name == "index") return Value::Int(static_cast<int64_t>(i));
      ++count;
    }
    if (name == "index") return absl::InvalidArgumentError("list.index(x): x not in list");
    return Value::Int(count);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", receiver.TypeName(), "' object has no method '", name, "'"));
}

}  // namespace hybridserve::engine::chat
