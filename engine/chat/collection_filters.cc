// Filters over sequences: length/count, first, last, join, list, sort, unique, reverse, items,
// dictsort, sum, min, max, map, select, reject, selectattr, rejectattr. Like Jinja, map, select,
// reject, selectattr, rejectattr, unique, reverse and items yield generators (always truthy,
// no length; pipe through `list`).
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "engine/chat/access.h"
#include "engine/chat/filters.h"
#include "engine/chat/interpreter.h"
#include "engine/chat/operators.h"
#include "engine/chat/sequence.h"
#include "engine/chat/utf8_text.h"

namespace hybridserve::engine::chat {
namespace {

constexpr std::string_view kCollectionFilters[] = {
    "length", "count",   "first",  "last",       "join",      "list", "sort",
    "unique", "reverse", "items",  "dictsort",   "sum",       "min",  "max",
    "map",    "select",  "reject", "selectattr", "rejectattr"};

absl::StatusOr<std::vector<std::optional<Value>>> Bind(
    const CallArgs& args, const std::string& name, std::initializer_list<std::string_view> params,
    size_t required) {
  return BindArgs(args, absl::StrCat("filter ", name), params, required);
}

bool Flag(const std::optional<Value>& v) { return v.has_value() && v->Truthy(); }

// The sort key: the attribute if given, lower-cased strings unless case-sensitive.
absl::StatusOr<Value> SortKey(const Value& item, const std::optional<Value>& attribute,
                              bool case_sensitive) {
  Value key = item;
  if (attribute.has_value() && !attribute->is_none()) {
    HS_ASSIGN_OR_RETURN(key, GetAttributePath(item, ToStr(*attribute)));
  }
  if (!case_sensitive && key.is_string()) return Value::String(Lower(key.string_value()));
  return key;
}

// A stable merge sort that stays memory-safe even if the ordering is inconsistent, and reports
// incomparable values as an error.
absl::Status MergeSort(std::vector<size_t>* order, const std::vector<Value>& keys,
                       Interpreter& interpreter) {
  std::vector<size_t> buffer(order->size());
  for (size_t width = 1; width < order->size(); width *= 2) {
    for (size_t lo = 0; lo < order->size(); lo += 2 * width) {
      const size_t mid = std::min(lo + width, order->size());
      const size_t hi = std::min(lo + 2 * width, order->size());
      size_t i = lo;
      size_t j = mid;
      size_t k = lo;
      while (i < mid && j < hi) {
        HS_ASSIGN_OR_RETURN(bool less, LessThan(keys[(*order)[j]], keys[(*order)[i]]));
        buffer[k++] = less ? (*order)[j++] : (*order)[i++];
      }
      while (i < mid) buffer[k++] = (*order)[i++];
      while (j < hi) buffer[k++] = (*order)[j++];
    }
    HS_RETURN_IF_ERROR(interpreter.Charge(static_cast<int64_t>(order->size())));
    order->swap(buffer);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Value>> SortedItems(const std::vector<Value>& items,
                                               const std::vector<Value>& keys, bool reverse,
                                               Interpreter& interpreter) {
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  HS_RETURN_IF_ERROR(MergeSort(&order, keys, interpreter));
  std::vector<Value> out;
  out.reserve(items.size());
  if (reverse) {
    // Python's sorted(reverse=True) keeps equal items in their original order.
    size_t end = order.size();
    while (end > 0) {
      size_t begin = end - 1;
      while (begin > 0 && Equals(keys[order[begin - 1]], keys[order[end - 1]])) --begin;
      for (size_t i = begin; i < end; ++i) out.push_back(items[order[i]]);
      end = begin;
    }
  } else {
    for (size_t i : order) out.push_back(items[i]);
  }
  return out;
}

// select/reject/selectattr/rejectattr: a test name and its arguments, or truthiness.
absl::StatusOr<Value> FilterByTest(const std::string& name, const Value& value,
                                   const CallArgs& args, Interpreter& interpreter) {
  const bool by_attr = name == "selectattr" || name == "rejectattr";
  const bool keep_when = name == "select" || name == "selectattr";
  size_t next = 0;
  std::string attribute;
  if (by_attr) {
    if (args.positional.empty() || !args.positional[0].is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(name, " needs an attribute name"));
    }
    attribute = args.positional[0].string_value();
    next = 1;
  }
  std::string test;
  if (next < args.positional.size()) {
    if (!args.positional[next].is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": the test name must be a string"));
    }
    test = args.positional[next].string_value();
    ++next;
  }
  CallArgs test_args;
  test_args.positional.assign(args.positional.begin() + static_cast<long>(next),
                              args.positional.end());
  test_args.keywords = args.keywords;
  HS_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(value, interpreter));
  std::vector<Value> kept;
  for (const Value& item : items) {
    Value subject = item;
    if (by_attr) {
      HS_ASSIGN_OR_RETURN(subject, GetAttributePath(item, attribute));
    }
    bool pass = false;
    if (test.empty()) {
      pass = subject.Truthy();
    } else {
      HS_ASSIGN_OR_RETURN(pass, interpreter.ApplyTest(test, subject, test_args));
    }
    if (pass == keep_when) kept.push_back(item);
  }
  return interpreter.MakeList(std::move(kept), SeqFlavor::kGenerator);
}

absl::StatusOr<Value> Map(const Value& value, const CallArgs& args, Interpreter& interpreter) {
  HS_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(value, interpreter));
  std::vector<Value> out;
  const Value* attribute = nullptr;
  const Value* fallback = nullptr;
  for (const auto& [key, v] : args.keywords) {
    if (key == "attribute") attribute = &v;
    if (key == "default") fallback = &v;
  }
  if (attribute != nullptr) {
    for (const Value& item : items) {
      HS_ASSIGN_OR_RETURN(Value mapped, GetAttributePath(item, ToStr(*attribute)));
      if (mapped.is_undefined() && fallback != nullptr) mapped = *fallback;
      out.push_back(std::move(mapped));
    }
    return interpreter.MakeList(std::move(out), SeqFlavor::kGenerator);
  }
  if (args.positional.empty() || !args.positional[0].is_string()) {
    return absl::InvalidArgumentError("map needs a filter name or attribute=");
  }
  const std::string filter = args.positional[0].string_value();
  if (!IsKnownFilter(filter)) {
    return absl::InvalidArgumentError(absl::StrCat("map: unsupported filter '", filter, "'"));
  }
  CallArgs filter_args;
  filter_args.positional.assign(args.positional.begin() + 1, args.positional.end());
  filter_args.keywords = args.keywords;
  for (const Value& item : items) {
    HS_ASSIGN_OR_RETURN(Value mapped, interpreter.ApplyFilter(filter, item, filter_args));
    out.push_back(std::move(mapped));
  }
  return interpreter.MakeList(std::move(out), SeqFlavor::kGenerator);
}

}  // namespace

absl::StatusOr<Value> GetAttributePath(const Value& value, const std::string& path) {
  Value current = value;
  for (absl::string_view part_view : absl::StrSplit(path, '.')) {
    std::string_view part(part_view.data(), part_view.size());
    bool digits = !part.empty();
    for (char c : part) digits &= c >= '0' && c <= '9';
    Value key = Value::String(std::string(part));
    if (digits && part.size() < 18) key = Value::Int(std::stoll(std::string(part)));
    HS_ASSIGN_OR_RETURN(current, GetItem(current, key));
  }
  return current;
}

bool IsCollectionFilter(std::string_view name) {
  for (std::string_view f : kCollectionFilters) {
    if (f == name) return true;
  }
  return false;
}

absl::StatusOr<Value> RunCollectionFilter(const std::string& name, const Value& value,
                                          const CallArgs& args, Interpreter& interpreter) {
  if (name == "select" || name == "reject" || name == "selectattr" || name == "rejectattr") {
    return FilterByTest(name, value, args, interpreter);
  }
  if (name == "map") return Map(value, args, interpreter);
  if (name == "length" || name == "count") {
    HS_ASSIGN_OR_RETURN(auto a, Bind(args, name, {}, 0));
    if (value.is_string())
      return Value::Int(static_cast<int64_t>(Utf8Length(value.string_value())));
    if (value.is_list() && value.list().flavor != SeqFlavor::kGenerator) {
      return Value::Int(static_cast<int64_t>(value.items().size()));
    }
    if (value.is_dict()) return Value::Int(static_cast<int64_t>(value.dict().items.size()));
    if (value.is_undefined()) return Value::Int(0);
    if (value.is_namespace())
      return Value::Int(static_cast<int64_t>(value.ns()->attrs.items.size()));
    return absl::InvalidArgumentError(
        absl::StrCat("object of type '", value.TypeName(), "' has no len()"));
  }
  if (name == "dictsort") {
    HS_ASSIGN_OR_RETURN(auto a, Bind(args, name, {"case_sensitive", "by", "reverse"}, 0));
    if (!value.is_dict()) {
      return absl::InvalidArgumentError(
          absl::StrCat("dictsort needs a dict, got ", value.TypeName()));
    }
    const bool by_value = a[1].has_value() && ToStr(*a[1]) == "value";
    std::vector<Value> pairs;
    std::vector<Value> keys;
    for (const auto& [key, item] : value.dict().items) {
      HS_ASSIGN_OR_RETURN(Value pair,
                          interpreter.MakeList({Value::String(key), item}, SeqFlavor::kTuple));
      pairs.push_back(std::move(pair));
      HS_ASSIGN_OR_RETURN(Value k,
                          SortKey(by_value ? item : Value::String(key), std::nullopt, Flag(a[0])));
      keys.push_back(std::move(k));
    }
    HS_ASSIGN_OR_RETURN(std::vector<Value> sorted,
                        SortedItems(pairs, keys, Flag(a[2]), interpreter));
    return interpreter.MakeList(std::move(sorted));
  }
  if (name == "items") {
    HS_ASSIGN_OR_RETURN(auto a, Bind(args, name, {}, 0));
    std::vector<Value> pairs;
    if (value.is_dict()) {
      for (const auto& [key, item] : value.dict().items) {
        HS_ASSIGN_OR_RETURN(Value pair,
                            interpreter.MakeList({Value::String(key), item}, SeqFlavor::kTuple));
        pairs.push_back(std::move(pair));
      }
    } else if (!value.is_undefined()) {
      return absl::InvalidArgumentError(absl::StrCat("items needs a dict, got ", value.TypeName()));
    }
    return interpreter.MakeList(std::move(pairs), SeqFlavor::kGenerator);
  }
  HS_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(value, interpreter));
  if (name == "first" || name == "last") {
    HS_ASSIGN_OR_RETURN(auto a, Bind(args, name, {}, 0));
    if (items.empty()) return Value::Undefined(absl::StrCat("no ", name, " item"));
    return name == "first" ? items.front() : items.back();
  }
  if (name == "list") {
    HS_ASSIGN_OR_RETURN(auto a, Bind(args, name, {}, 0));
    return interpreter.MakeList(std::move(items));
  }
  if (name == "join") {
    HS_ASSIGN_OR_RETURN(auto a, Bind(args, name, {"d", "attribute"}, 0));
    const std::string separator = a[0].has_value() ? ToStr(*a[0]) : "";
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      Value item = items[i];
      if (a[1].has_value() && !a[1]->is_none()) {
        HS_ASSIGN_OR_RETURN(item, GetAttributePath(item, ToStr(*a[1])));
      }
      if (i > 0) out += separator;
      out += ToStr(item);
      HS_RETURN_IF_ERROR(interpreter.CheckSize(out.size()));
    }
    return Value::String(std::move(out));
  }
  if (name == "reverse") {
    HS_ASSIGN_OR_RETURN(auto a, Bind(args, name, {}, 0));
    if (value.is_string()) {
      std::u32string cps = DecodeUtf8(value.string_value());
      return Value::String(EncodeUtf8(std::u32string(cps.rbegin(), cps.rend())));
    }
    return interpreter.MakeList(std::vector<Value>(items.rbegin(), items.rend()),
                                SeqFlavor::kGenerator);
  }
  if (name == "sort" || name == "min" || name == "max" || name == "unique") {
    const bool is_sort = name == "sort";
    HS_ASSIGN_OR_RETURN(auto a,
                        is_sort ? Bind(args, name, {"reverse", "case_sensitive", "attribute"}, 0)
                                : Bind(args, name, {"case_sensitive", "attribute"}, 0));
    const std::optional<Value>& case_sensitive = is_sort ? a[1] : a[0];
    const std::optional<Value>& attribute = is_sort ? a[2] : a[1];
    std::vector<Value> keys;
    for (const Value& item : items) {
      HS_ASSIGN_OR_RETURN(Value key, SortKey(item, attribute, Flag(case_sensitive)));
      keys.push_back(std::move(key));
    }
    if (name == "unique") {
      std::vector<Value> out;
      std::vector<Value> seen;
      for (size_t i = 0; i < items.size(); ++i) {
        bool dup = false;
        for (const Value& s : seen) dup |= Equals(s, keys[i]);
        HS_RETURN_IF_ERROR(interpreter.Charge(static_cast<int64_t>(seen.size())));
        if (dup) continue;
        seen.push_back(keys[i]);
        out.push_back(items[i]);
      }
      return interpreter.MakeList(std::move(out), SeqFlavor::kGenerator);
    }
    if (is_sort) {
      HS_ASSIGN_OR_RETURN(std::vector<Value> sorted,
                          SortedItems(items, keys, Flag(a[0]), interpreter));
      return interpreter.MakeList(std::move(sorted));
    }
    if (items.empty()) return Value::Undefined(absl::StrCat("no ", name, " of an empty sequence"));
    size_t best = 0;
    for (size_t i = 1; i < items.size(); ++i) {
      HS_ASSIGN_OR_RETURN(bool better, name == "min" ? LessThan(keys[i], keys[best])
                                                     : LessThan(keys[best], keys[i]));
      if (better) best = i;
    }
    return items[best];
  }
  if (name == "sum") {
    HS_ASSIGN_OR_RETURN(auto a, Bind(args, name, {"attribute", "start"}, 0));
    Value total = a[1].has_value() ? *a[1] : Value::Int(0);
    for (const Value& item : items) {
      Value term = item;
      if (a[0].has_value() && !a[0]->is_none()) {
        HS_ASSIGN_OR_RETURN(term, GetAttributePath(item, ToStr(*a[0])));
      }
      HS_ASSIGN_OR_RETURN(total, BinaryOp("+", total, term, interpreter));
    }
    return total;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown filter '", name, "'"));
}

}  // namespace hybridserve::engine::chat
