#include "server/openai/json_reader.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "server/status_mapping.h"

namespace hybridserve::server::openai {

using nlohmann::json;

const json* FindField(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string TypeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::string:
      return "a string";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number";
    default:
      return "an unsupported value";
  }
}

std::optional<int64_t> AsInteger(const json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned()) return value.get<int64_t>();
  if (value.is_number_unsigned()) {
    const uint64_t v = value.get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (value.is_number_float()) {
    const double v = value.get<double>();
    if (std::isfinite(v) && std::trunc(v) == v && std::fabs(v) < 9.0e18) {
      return static_cast<int64_t>(v);
    }
  }
  return std::nullopt;
}

absl::Status ReadBool(const json& object, const char* name, bool* out) {
  const json* value = FindField(object, name);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_boolean()) {
    return InvalidParam(name,
                        absl::StrCat("'", name, "' must be a boolean, got ", TypeName(*value)));
  }
  *out = value->get<bool>();
  return absl::OkStatus();
}

absl::Status ReadString(const json& object, const char* name, std::string* out) {
  const json* value = FindField(object, name);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_string()) {
    return InvalidParam(name,
                        absl::StrCat("'", name, "' must be a string, got ", TypeName(*value)));
  }
  *out = value->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadNumber(const json& object, const char* name, double min, double max, float* out) {
  const json* value = FindField(object, name);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_number()) {
    return InvalidParam(name,
                        absl::StrCat("'", name, "' must be a number, got ", TypeName(*value)));
  }
  const double v = value->get<double>();
  if (!(v >= min && v <= max)) {
    return InvalidParam(
        name, absl::StrCat("'", name, "' must be between ", min, " and ", max, ", got ", v));
  }
  *out = static_cast<float>(v);
  return absl::OkStatus();
}

absl::Status ReadInt(const json& object, const char* name, int64_t min, int64_t max,
                     std::optional<int64_t>* out) {
  const json* value = FindField(object, name);
  if (value == nullptr) return absl::OkStatus();
  std::optional<int64_t> v = value->is_number() ? AsInteger(*value) : std::nullopt;
  if (!v.has_value()) {
    return InvalidParam(name, absl::StrCat("'", name, "' must be an integer, got ",
                                           value->is_number() ? value->dump() : TypeName(*value)));
  }
  if (*v < min || *v > max) {
    return InvalidParam(
        name, absl::StrCat("'", name, "' must be between ", min, " and ", max, ", got ", *v));
  }
  *out = v;
  return absl::OkStatus();
}

}  // namespace hybridserve::server::openai
