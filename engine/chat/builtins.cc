#include "engine/chat/builtins.h"

#include <ctime>
#include <functional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace hybridserve::engine::chat {
namespace {

using Fn = std::function<absl::StatusOr<Value>(const CallArgs&, Interpreter&)>;

class Builtin : public Callable {
 public:
  Builtin(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string name() const override { return name_; }
  absl::StatusOr<Value> Call(const CallArgs& args, Interpreter& interpreter) override {
    return fn_(args, interpreter);
  }

 private:
  std::string name_;
  Fn fn_;
};

class Macro : public Callable {
 public:
  Macro(const Stmt& stmt, const std::shared_ptr<Scope>& scope) : stmt_(stmt), scope_(scope) {}
  std::string name() const override { return stmt_.name; }
  absl::StatusOr<Value> Call(const CallArgs& args, Interpreter& interpreter) override {
    std::shared_ptr<Scope> scope = scope_.lock();
    if (scope == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "macro '", stmt_.name, "' was called after the block that defined it ended"));
    }
    return interpreter.CallMacro(stmt_, scope, args, stmt_.line);
  }

 private:
  const Stmt& stmt_;
  std::weak_ptr<Scope> scope_;
};

absl::StatusOr<int64_t> IntArg(const Value& v, const char* function) {
  if (v.is_int() || v.is_bool()) return v.AsInt();
  return absl::InvalidArgumentError(
      absl::StrCat(function, "() needs integers, got ", v.TypeName()));
}

absl::StatusOr<Value> Range(const CallArgs& args, Interpreter& interpreter) {
  if (!args.keywords.empty() || args.positional.empty() || args.positional.size() > 3) {
    return absl::InvalidArgumentError("range() takes 1 to 3 integer arguments");
  }
  int64_t start = 0;
  int64_t stop = 0;
  int64_t step = 1;
  if (args.positional.size() == 1) {
    HS_ASSIGN_OR_RETURN(stop, IntArg(args.positional[0], "range"));
  } else {
    HS_ASSIGN_OR_RETURN(start, IntArg(args.positional[0], "range"));
    HS_ASSIGN_OR_RETURN(stop, IntArg(args.positional[1], "range"));
    if (args.positional.size() == 3) {
      HS_ASSIGN_OR_RETURN(step, IntArg(args.positional[2], "range"));
    }
  }
  if (step == 0) return absl::InvalidArgumentError("range() step must not be zero");
  // Count without overflow: work in long double-free unsigned arithmetic.
  uint64_t count = 0;
  if (step > 0 && start < stop) {
    count = (static_cast<uint64_t>(stop) - static_cast<uint64_t>(start) - 1) /
                static_cast<uint64_t>(step) +
            1;
  } else if (step < 0 && start > stop) {
    const uint64_t back = step == INT64_MIN ? (uint64_t{1} << 63) : static_cast<uint64_t>(-step);
    count = (static_cast<uint64_t>(start) - static_cast<uint64_t>(stop) - 1) / back + 1;
  }
  if (count > static_cast<uint64_t>(kMaxRange)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "range() of ", count, " items is too big; the sandbox allows at most ", kMaxRange));
  }
  std::vector<Value> items;
  items.reserve(count);
  int64_t v = start;
  for (uint64_t i = 0; i < count; ++i) {
    items.push_back(Value::Int(v));
    if (i + 1 < count) v += step;  // stays within [start, stop)
  }
  return interpreter.MakeList(std::move(items));
}

// dict(mapping?, **kwargs) and the attributes of namespace(mapping?, **kwargs).
absl::StatusOr<DictData> KeywordDict(const CallArgs& args, const char* function) {
  DictData dict;
  if (args.positional.size() > 1 ||
      (args.positional.size() == 1 && !args.positional[0].is_dict())) {
    return absl::InvalidArgumentError(
        absl::StrCat(function, "() takes keyword arguments and at most one dict"));
  }
  if (!args.positional.empty()) dict = args.positional[0].dict();
  for (const auto& [key, value] : args.keywords) dict.Set(key, value);
  return dict;
}

absl::StatusOr<Value> RaiseException(const CallArgs& args, Interpreter&) {
  std::string message = args.positional.empty() ? "" : ToStr(args.positional[0]);
  return absl::InvalidArgumentError(absl::StrCat("template raised an error: ", message));
}

absl::StatusOr<Value> StrftimeNow(const CallArgs& args, Interpreter&) {
  if (args.positional.size() != 1 || !args.positional[0].is_string()) {
    return absl::InvalidArgumentError("strftime_now() takes one format string");
  }
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[256];
  size_t n = std::strftime(buf, sizeof(buf), args.positional[0].string_value().c_str(), &local);
  return Value::String(std::string(buf, n));
}

}  // namespace

absl::flat_hash_map<std::string, Value> BuiltinGlobals() {
  absl::flat_hash_map<std::string, Value> globals;
  auto add = [&](const char* name, Fn fn) {
    globals[name] = Value::Function(std::make_shared<Builtin>(name, std::move(fn)));
  };
  add("range", Range);
  add("dict", [](const CallArgs& args, Interpreter& interpreter) -> absl::StatusOr<Value> {
    HS_ASSIGN_OR_RETURN(DictData dict, KeywordDict(args, "dict"));
    return interpreter.MakeDict(std::move(dict));
  });
  add("namespace", [](const CallArgs& args, Interpreter& interpreter) -> absl::StatusOr<Value> {
    HS_ASSIGN_OR_RETURN(DictData dict, KeywordDict(args, "namespace"));
    Value ns = interpreter.NewNamespace();
    ns.ns()->attrs = std::move(dict);
    return ns;
  });
  add("raise_exception", RaiseException);
  add("strftime_now", StrftimeNow);
  return globals;
}

Value MakeMacro(const Stmt& macro, const std::shared_ptr<Scope>& scope) {
  return Value::Function(std::make_shared<Macro>(macro, scope));
}

absl::StatusOr<Value> MakeLoopObject(const std::vector<Value>& items, size_t index,
                                     Interpreter& interpreter) {
  const auto n = static_cast<int64_t>(items.size());
  const auto i = static_cast<int64_t>(index);
  DictData loop;
  loop.Set("index", Value::Int(i + 1));
  loop.Set("index0", Value::Int(i));
  loop.Set("revindex", Value::Int(n - i));
  loop.Set("revindex0", Value::Int(n - i - 1));
  loop.Set("first", Value::Bool(i == 0));
  loop.Set("last", Value::Bool(i == n - 1));
  loop.Set("length", Value::Int(n));
  loop.Set("depth", Value::Int(1));
  loop.Set("depth0", Value::Int(0));
  if (i > 0) loop.Set("previtem", items[index - 1]);
  if (i + 1 < n) loop.Set("nextitem", items[index + 1]);
  loop.Set("cycle",
           Value::Function(std::make_shared<Builtin>(
               "loop.cycle", [i](const CallArgs& args, Interpreter&) -> absl::StatusOr<Value> {
                 if (args.positional.empty()) {
                   return absl::InvalidArgumentError("loop.cycle() needs at least one value");
                 }
                 return args.positional[static_cast<size_t>(i) % args.positional.size()];
               })));
  // Depth-checked like any dict; items may be deep.
  return Value::Dict(std::move(loop), interpreter.limits().max_value_depth + 1);
}

}  // namespace hybridserve::engine::chat
