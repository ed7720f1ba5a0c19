// The values a chat template computes with: a small dynamic type with Python semantics where
// templates rely on them (truthiness, int/float arithmetic, str() and repr() text, equality).
// Lists, dicts and strings are immutable and shared; only namespaces are mutable.
#ifndef HYBRIDSERVE_ENGINE_CHAT_VALUE_H_
#define HYBRIDSERVE_ENGINE_CHAT_VALUE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace hybridserve::engine::chat {

class Value;
class Callable;

// How a sequence prints and behaves: a Python list, tuple, or a one-shot generator (what
// Jinja's map/select/... filters return: always truthy, no len()).
enum class SeqFlavor { kList, kTuple, kGenerator };

struct ListData {
  std::vector<Value> items;
  SeqFlavor flavor = SeqFlavor::kList;
  int depth = 1;  // nesting depth of lists/dicts, for bounding recursion
};

// An insertion-ordered dict with string keys (Python dicts keep insertion order).
struct DictData {
  std::vector<std::pair<std::string, Value>> items;
  absl::flat_hash_map<std::string, size_t> index;
  int depth = 1;
  const Value* Find(const std::string& key) const;
  void Set(const std::string& key, Value value);
};

// A Jinja namespace(): the one mutable object (`{% set ns.attr = ... %}`).
struct NamespaceData {
  DictData attrs;
};

struct UndefinedData {
  std::string hint;  // what was looked up, for error messages
};

class Value {
 public:
  enum class Kind {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kList,
    kDict,
    kCallable,
    kNamespace
  };

  Value() : data_(UndefinedData{}) {}
  static Value Undefined(std::string hint = "") { return Value(UndefinedData{std::move(hint)}); }
  static Value None() { return Value(NoneTag{}); }
  static Value Bool(bool b) { return Value(b); }
  static Value Int(int64_t i) { return Value(i); }
  static Value Float(double f) { return Value(f); }
  static Value String(std::string s) {
    return Value(std::make_shared<const std::string>(std::move(s)));
  }
  // Fails when the nesting depth would exceed max_depth.
  static absl::StatusOr<Value> List(std::vector<Value> items, SeqFlavor flavor = SeqFlavor::kList,
                                    int max_depth = kDefaultMaxDepth);
  static absl::StatusOr<Value> Dict(DictData dict, int max_depth = kDefaultMaxDepth);
  static Value Function(std::shared_ptr<Callable> fn) { return Value(std::move(fn)); }
  static Value Namespace(std::shared_ptr<NamespaceData> ns) { return Value(std::move(ns)); }

  static constexpr int kDefaultMaxDepth = 256;

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_undefined() const { return kind() == Kind::kUndefined; }
  bool is_none() const { return kind() == Kind::kNone; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_float() const { return kind() == Kind::kFloat; }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_list() const { return kind() == Kind::kList; }
  bool is_dict() const { return kind() == Kind::kDict; }
  bool is_callable() const { return kind() == Kind::kCallable; }
  bool is_namespace() const { return kind() == Kind::kNamespace; }
  // int, float or bool (Python's bool is an int).
  bool is_number() const { return is_int() || is_float() || is_bool(); }

  bool bool_value() const { return std::get<bool>(data_); }
  int64_t int_value() const { return std::get<int64_t>(data_); }
  double float_value() const { return std::get<double>(data_); }
  // is_int or is_bool, as an integer.
  int64_t AsInt() const { return is_bool() ? (bool_value() ? 1 : 0) : int_value(); }
  // Any number, as a double.
  double AsDouble() const { return is_float() ? float_value() : static_cast<double>(AsInt()); }
  const std::string& string_value() const { return *std::get<StrPtr>(data_); }
  const ListData& list() const { return *std::get<ListPtr>(data_); }
  const std::vector<Value>& items() const { return list().items; }
  const DictData& dict() const { return *std::get<DictPtr>(data_); }
  const std::shared_ptr<Callable>& callable() const { return std::get<FnPtr>(data_); }
  const std::shared_ptr<NamespaceData>& ns() const { return std::get<NsPtr>(data_); }
  const std::string& undefined_hint() const { return std::get<UndefinedData>(data_).hint; }

  // Nesting depth of lists and dicts (0 for scalars).
  int depth() const;
  // Python truthiness.
  bool Truthy() const;
  // Python's type name, for error messages ("str", "int", "list", "NoneType", ...).
  std::string TypeName() const;

 private:
  struct NoneTag {};
  using StrPtr = std::shared_ptr<const std::string>;
  using ListPtr = std::shared_ptr<const ListData>;
  using DictPtr = std::shared_ptr<const DictData>;
  using FnPtr = std::shared_ptr<Callable>;
  using NsPtr = std::shared_ptr<NamespaceData>;
  // Alternative order matches Kind.
  using Data = std::variant<UndefinedData, NoneTag, bool, int64_t, double, StrPtr, ListPtr, DictPtr,
                            FnPtr, NsPtr>;
  template <typename T>
  explicit Value(T data) : data_(std::move(data)) {}

  Data data_;
};

// Python str(): what `{{ value }}` prints. Undefined prints as "".
std::string ToStr(const Value& value);
// Python repr(), used inside containers.
std::string Repr(const Value& value);
// Python repr() of a string, with Python's choice of quotes and escapes.
std::string ReprString(std::string_view text);
// Python repr() of a float ("1.0", "1e+20", "0.30000000000000004", "inf").
std::string ReprFloat(double value);
// Python ==, deep for containers (1 == 1.0 == True; a list never equals a tuple).
bool Equals(const Value& a, const Value& b);
// Python <: numbers, strings, lists/tuples of those. Fails for incomparable types.
absl::StatusOr<bool> LessThan(const Value& a, const Value& b);

}  // namespace hybridserve::engine::chat

#endif  // HYBRIDSERVE_ENGINE_CHAT_VALUE_H_
