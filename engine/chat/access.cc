#include "engine/chat/access.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/chat/interpreter.h"
#include "engine/chat/methods.h"
#include "engine/chat/utf8_text.h"

namespace hybridserve::engine::chat {
namespace {

absl::Status UndefinedUse(const Value& object) {
  return absl::InvalidArgumentError(object.undefined_hint().empty() ? "undefined value used"
                                                                    : object.undefined_hint());
}

std::string ObjectName(const Value& object) { return absl::StrCat(object.TypeName(), " object"); }

}  // namespace

absl::StatusOr<Value> GetAttr(const Value& object, const std::string& name) {
  if (object.is_undefined()) return UndefinedUse(object);
  if (HasMethod(object, name)) return BindMethod(object, name);
  if (object.is_dict()) {
    if (const Value* found = object.dict().Find(name)) return *found;
  } else if (object.is_namespace()) {
    if (const Value* found = object.ns()->attrs.Find(name)) return *found;
  }
  return Value::Undefined(absl::StrCat("'", ObjectName(object), "' has no attribute '", name, "'"));
}

absl::StatusOr<Value> GetItem(const Value& object, const Value& key) {
  if (object.is_undefined()) return UndefinedUse(object);
  if (object.is_dict() && key.is_string()) {
    if (const Value* found = object.dict().Find(key.string_value())) return *found;
  } else if (object.is_list() && object.list().flavor != SeqFlavor::kGenerator &&
             (key.is_int() || key.is_bool())) {
    const int64_t size = static_cast<int64_t>(object.items().size());
    int64_t i = key.AsInt();
    if (i < 0) i += size;
    if (i >= 0 && i < size) return object.items()[static_cast<size_t>(i)];
    return Value::Undefined(absl::StrCat(ObjectName(object), " has no element ", key.AsInt()));
  } else if (object.is_string() && (key.is_int() || key.is_bool())) {
    std::u32string cps = DecodeUtf8(object.string_value());
    const int64_t size = static_cast<int64_t>(cps.size());
    int64_t i = key.AsInt();
    if (i < 0) i += size;
    if (i >= 0 && i < size) return Value::String(EncodeUtf8(cps.substr(static_cast<size_t>(i), 1)));
    return Value::Undefined(absl::StrCat("str object has no element ", key.AsInt()));
  }
  if (key.is_string()) return GetAttr(object, key.string_value());
  return Value::Undefined(absl::StrCat(ObjectName(object), " has no element ", Repr(key)));
}

namespace {

absl::StatusOr<int64_t> SliceIndex(const Value& v, const char* what) {
  if (v.is_int() || v.is_bool()) return v.AsInt();
  return absl::InvalidArgumentError(
      absl::StrCat("slice ", what, " must be an integer or none, got ", v.TypeName()));
}

}  // namespace

absl::StatusOr<Value> GetSlice(const Value& object, const Value& start, const Value& stop,
                               const Value& step, Interpreter& interpreter) {
  if (object.is_undefined()) return UndefinedUse(object);
  const bool is_string = object.is_string();
  if (!is_string && !(object.is_list() && object.list().flavor != SeqFlavor::kGenerator)) {
    return Value::Undefined(absl::StrCat(ObjectName(object), " cannot be sliced"));
  }
  std::u32string cps;
  if (is_string) cps = DecodeUtf8(object.string_value());
  const int64_t size =
      is_string ? static_cast<int64_t>(cps.size()) : static_cast<int64_t>(object.items().size());
  int64_t st = 1;
  if (!step.is_none()) {
    HS_ASSIGN_OR_RETURN(st, SliceIndex(step, "step"));
    if (st == 0) return absl::InvalidArgumentError("slice step cannot be zero");
  }
  // Python's PySlice_AdjustIndices.
  auto adjust = [&](const Value& v, int64_t fallback, const char* what) -> absl::StatusOr<int64_t> {
    if (v.is_none()) return fallback;
    HS_ASSIGN_OR_RETURN(int64_t i, SliceIndex(v, what));
    if (i < 0) {
      i += size;
      if (i < 0) i = st < 0 ? -1 : 0;
    } else if (i >= size) {
      i = st < 0 ? size - 1 : size;
    }
    return i;
  };
  HS_ASSIGN_OR_RETURN(int64_t begin, adjust(start, st < 0 ? size - 1 : 0, "start"));
  HS_ASSIGN_OR_RETURN(int64_t end, adjust(stop, st < 0 ? -1 : size, "stop"));
  std::vector<int64_t> picks;
  // Written so that a huge step cannot overflow.
  if (st > 0) {
    for (int64_t i = begin; i < end; i += st) {
      picks.push_back(i);
      if (end - i <= st) break;
    }
  } else {
    const int64_t back = st == INT64_MIN ? INT64_MAX : -st;
    for (int64_t i = begin; i > end; i -= back) {
      picks.push_back(i);
      if (i - end <= back) break;
    }
  }
  HS_RETURN_IF_ERROR(interpreter.Charge(static_cast<int64_t>(picks.size())));
  if (is_string) {
    std::u32string out;
    for (int64_t i : picks) out.push_back(cps[static_cast<size_t>(i)]);
    return Value::String(EncodeUtf8(out));
  }
  std::vector<Value> out;
  out.reserve(picks.size());
  for (int64_t i : picks) out.push_back(object.items()[static_cast<size_t>(i)]);
  return interpreter.MakeList(std::move(out), object.list().flavor);
}

}  // namespace hybridserve::engine::chat
