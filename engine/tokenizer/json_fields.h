// Small helpers for reading tokenizer.json component objects: typed field access whose errors
// name the component and the field. Never throws.
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_JSON_FIELDS_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_JSON_FIELDS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine::json_fields {

using Json = nlohmann::json;

// The "type" string of a component object ("" if absent or not a string).
inline std::string TypeOf(const Json& j) {
  if (!j.is_object()) return "";
  auto it = j.find("type");
  return (it != j.end() && it->is_string()) ? it->get<std::string>() : "";
}

inline absl::Status Unsupported(std::string_view component, std::string_view type) {
  return absl::UnimplementedError(
      absl::StrCat(std::string(component), " type \"", std::string(type), "\" is not supported"));
}

inline absl::Status BadField(std::string_view component, std::string_view field,
                             std::string_view expected) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(component), ": field \"",
                                                 std::string(field), "\" must be ",
                                                 std::string(expected)));
}

inline absl::StatusOr<std::string> GetString(const Json& j, const char* field,
                                             std::string_view component) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_string()) return BadField(component, field, "a string");
  return it->get<std::string>();
}

inline absl::StatusOr<bool> GetBool(const Json& j, const char* field, bool default_value,
                                    std::string_view component) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return default_value;
  if (!it->is_boolean()) return BadField(component, field, "true or false");
  return it->get<bool>();
}

inline absl::StatusOr<int64_t> GetInt(const Json& j, const char* field, int64_t default_value,
                                      std::string_view component) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return default_value;
  if (!it->is_number_integer()) return BadField(component, field, "an integer");
  return it->get<int64_t>();
}

// A {"String": s} or {"Regex": r} pattern object. Sets *is_regex.
inline absl::StatusOr<std::string> GetPattern(const Json& j, const char* field, bool* is_regex,
                                              std::string_view component) {
  auto it = j.find(field);
  if (it != j.end() && it->is_object()) {
    if (auto s = it->find("String"); s != it->end() && s->is_string()) {
      *is_regex = false;
      return s->get<std::string>();
    }
    if (auto r = it->find("Regex"); r != it->end() && r->is_string()) {
      *is_regex = true;
      return r->get<std::string>();
    }
  }
  return BadField(component, field, "{\"String\": ...} or {\"Regex\": ...}");
}

}  // namespace hybridserve::engine::json_fields

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_JSON_FIELDS_H_
