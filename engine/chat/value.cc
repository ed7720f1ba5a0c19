#include "engine/chat/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/chat/callable.h"
#include "engine/chat/utf8_text.h"

namespace hybridserve::engine::chat {

const Value* DictData::Find(const std::string& key) const {
  auto it = index.find(key);
  return it == index.end() ? nullptr : &items[it->second].second;
}

void DictData::Set(const std::string& key, Value value) {
  auto it = index.find(key);
  if (it != index.end()) {
    items[it->second].second = std::move(value);
    return;
  }
  index.emplace(key, items.size());
  items.emplace_back(key, std::move(value));
}

absl::StatusOr<Value> Value::List(std::vector<Value> items, SeqFlavor flavor, int max_depth) {
  auto data = std::make_shared<ListData>();
  int depth = 1;
  for (const Value& item : items) depth = std::max(depth, item.depth() + 1);
  if (depth > max_depth) {
    return absl::ResourceExhaustedError(
        absl::StrCat("values nest deeper than ", max_depth, " lists/dicts"));
  }
  data->items = std::move(items);
  data->flavor = flavor;
  data->depth = depth;
  return Value(ListPtr(std::move(data)));
}

absl::StatusOr<Value> Value::Dict(DictData dict, int max_depth) {
  int depth = 1;
  for (const auto& [key, item] : dict.items) depth = std::max(depth, item.depth() + 1);
  if (depth > max_depth) {
    return absl::ResourceExhaustedError(
        absl::StrCat("values nest deeper than ", max_depth, " lists/dicts"));
  }
  dict.depth = depth;
  return Value(DictPtr(std::make_shared<const DictData>(std::move(dict))));
}

int Value::depth() const {
  if (is_list()) return list().depth;
  if (is_dict()) return dict().depth;
  return 0;
}

bool Value::Truthy() const {
  switch (kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return bool_value();
    case Kind::kInt:
      return int_value() != 0;
    case Kind::kFloat:
      return float_value() != 0.0;
    case Kind::kString:
      return !string_value().empty();
    case Kind::kList:
      return list().flavor == SeqFlavor::kGenerator || !items().empty();
    case Kind::kDict:
      return !dict().items.empty();
    case Kind::kCallable:
    case Kind::kNamespace:
      return true;
  }
  return false;
}

std::string Value::TypeName() const {
  switch (kind()) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kList:
      return list().flavor == SeqFlavor::kTuple       ? "tuple"
             : list().flavor == SeqFlavor::kGenerator ? "generator"
                                                      : "list";
    case Kind::kDict:
      return "dict";
    case Kind::kCallable:
      return "function";
    case Kind::kNamespace:
      return "Namespace";
  }
  return "?";
}

std::string ReprFloat(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  // Shortest round-trip digits, then Python's layout: fixed notation when the decimal exponent
  // lies in [-4, 16), scientific otherwise.
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  std::string sci(buf, result.ptr);
  bool negative = sci[0] == '-';
  if (negative) sci.erase(0, 1);
  size_t e = sci.find('e');
  std::string digits;
  for (size_t i = 0; i < e; ++i) {
    if (sci[i] != '.') digits.push_back(sci[i]);
  }
  int exponent = std::atoi(sci.c_str() + e + 1);  // value = d.ddd * 10^exponent
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out = negative ? "-" : "";
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out += "0.";
      out.append(static_cast<size_t>(-exponent - 1), '0');
      out += digits;
    } else if (static_cast<int>(digits.size()) <= exponent + 1) {
      out += digits;
      out.append(static_cast<size_t>(exponent + 1 - static_cast<int>(digits.size())), '0');
      out += ".0";
    } else {
      out += digits.substr(0, exponent + 1);
      out += ".";
      out += digits.substr(exponent + 1);
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) {
    out += ".";
    out += digits.substr(1);
  }
  char exp_buf[16];
  std::snprintf(exp_buf, sizeof(exp_buf), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  out += exp_buf;
  return out;
}

std::string ReprString(std::string_view text) {
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (char32_t cp : DecodeUtf8(text)) {
    if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (!IsPrintable(cp)) {
      char buf[16];
      if (cp < 0x100) {
        std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(cp));
      } else if (cp < 0x10000) {
        std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(cp));
      } else {
        std::snprintf(buf, sizeof(buf), "\\U%08x", static_cast<unsigned>(cp));
      }
      out += buf;
    } else {
      AppendUtf8(cp, &out);
    }
  }
  out.push_back(quote);
  return out;
}

namespace {

void AppendRepr(const Value& value, int depth, std::string* out);

void AppendSeq(const Value& value, int depth, std::string* out) {
  const ListData& list = value.list();
  if (list.flavor == SeqFlavor::kGenerator) {
    *out += "<generator object>";
    return;
  }
  const bool tuple = list.flavor == SeqFlavor::kTuple;
  out->push_back(tuple ? '(' : '[');
  for (size_t i = 0; i < list.items.size(); ++i) {
    if (i > 0) *out += ", ";
    AppendRepr(list.items[i], depth + 1, out);
  }
  if (tuple && list.items.size() == 1) out->push_back(',');
  out->push_back(tuple ? ')' : ']');
}

void AppendDict(const DictData& dict, int depth, std::string* out) {
  out->push_back('{');
  for (size_t i = 0; i < dict.items.size(); ++i) {
    if (i > 0) *out += ", ";
    *out += ReprString(dict.items[i].first);
    *out += ": ";
    AppendRepr(dict.items[i].second, depth + 1, out);
  }
  out->push_back('}');
}

void AppendRepr(const Value& value, int depth, std::string* out) {
  // Namespaces can hold themselves; everything else is bounded by Value::depth().
  if (depth > Value::kDefaultMaxDepth) {
    *out += "...";
    return;
  }
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      *out += "Undefined";
      return;
    case Value::Kind::kString:
      *out += ReprString(value.string_value());
      return;
    case Value::Kind::kList:
      AppendSeq(value, depth, out);
      return;
    case Value::Kind::kDict:
      AppendDict(value.dict(), depth, out);
      return;
    case Value::Kind::kNamespace:
      *out += "<Namespace ";
      AppendDict(value.ns()->attrs, depth, out);
      *out += ">";
      return;
    default:
      *out += ToStr(value);
  }
}

}  // namespace

std::string Repr(const Value& value) {
  std::string out;
  AppendRepr(value, 0, &out);
  return out;
}

std::string ToStr(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      return "";
    case Value::Kind::kNone:
      return "None";
    case Value::Kind::kBool:
      return value.bool_value() ? "True" : "False";
    case Value::Kind::kInt:
      return absl::StrCat(value.int_value());
    case Value::Kind::kFloat:
      return ReprFloat(value.float_value());
    case Value::Kind::kString:
      return value.string_value();
    case Value::Kind::kCallable:
      return absl::StrCat("<function ", value.callable()->name(), ">");
    default:
      return Repr(value);
  }
}

bool Equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.AsDouble() == b.AsDouble();
    return a.AsInt() == b.AsInt();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return true;
    case Value::Kind::kString:
      return a.string_value() == b.string_value();
    case Value::Kind::kList: {
      const bool a_tuple = a.list().flavor == SeqFlavor::kTuple;
      const bool b_tuple = b.list().flavor == SeqFlavor::kTuple;
      if (a.list().flavor == SeqFlavor::kGenerator || b.list().flavor == SeqFlavor::kGenerator) {
        return &a.list() == &b.list();
      }
      if (a_tuple != b_tuple || a.items().size() != b.items().size()) return false;
      for (size_t i = 0; i < a.items().size(); ++i) {
        if (!Equals(a.items()[i], b.items()[i])) return false;
      }
      return true;
    }
    case Value::Kind::kDict: {
      if (a.dict().items.size() != b.dict().items.size()) return false;
      for (const auto& [key, item] : a.dict().items) {
        const Value* other = b.dict().Find(key);
        if (other == nullptr || !Equals(item, *other)) return false;
      }
      return true;
    }
    case Value::Kind::kCallable:
      return a.callable() == b.callable();
    case Value::Kind::kNamespace:
      return a.ns() == b.ns();
    default:
      return false;
  }
}

absl::StatusOr<bool> LessThan(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.AsDouble() < b.AsDouble();
    return a.AsInt() < b.AsInt();
  }
  if (a.is_string() && b.is_string()) return a.string_value() < b.string_value();
  if (a.is_list() && b.is_list() && a.list().flavor == b.list().flavor &&
      a.list().flavor != SeqFlavor::kGenerator) {
    const auto& x = a.items();
    const auto& y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (Equals(x[i], y[i])) continue;
      return LessThan(x[i], y[i]);
    }
    return x.size() < y.size();
  }
  return absl::InvalidArgumentError(absl::StrCat("'<' not supported between instances of '",
                                                 a.TypeName(), "' and '", b.TypeName(), "'"));
}

}  // namespace hybridserve::engine::chat
