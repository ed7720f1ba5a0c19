#include "engine/model/config_reader.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace hybridserve::engine {
namespace {

absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Replaces the bare non-finite tokens Python writes with quoted strings, outside string literals.
std::string QuoteNonFiniteTokens(std::string_view text) {
  static constexpr std::string_view kTokens[] = {"-Infinity", "Infinity", "NaN"};
  std::string out;
  out.reserve(text.size() + 16);
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        out.push_back(text[++i]);
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      out.push_back(c);
      continue;
    }
    bool replaced = false;
    for (std::string_view token : kTokens) {
      if (text.substr(i, token.size()) == token) {
        absl::StrAppend(&out, "\"", AV(token), "\"");
        i += token.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out.push_back(c);
  }
  return out;
}

std::string Describe(const nlohmann::json& value) {
  std::string dumped = value.dump();
  if (dumped.size() > 40) dumped = dumped.substr(0, 37) + "...";
  return absl::StrCat(value.type_name(), " ", dumped);
}

bool AsInt(const nlohmann::json& value, int64_t* out) {
  if (value.is_number_integer()) {
    *out = value.get<int64_t>();
    return true;
  }
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
      *out = static_cast<int64_t>(d);
      return true;
    }
  }
  return false;
}

bool AsFloat(const nlohmann::json& value, double* out) {
  if (value.is_number()) {
    *out = value.get<double>();
    return true;
  }
  // transformers 5.x writes non-finite floats as {"__float__": "Infinity"}.
  if (value.is_object()) {
    auto it = value.find("__float__");
    if (it == value.end() || value.size() != 1) return false;
    return AsFloat(*it, out);
  }
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s == "Infinity" || s == "inf" || s == "Inf") {
      *out = std::numeric_limits<double>::infinity();
      return true;
    }
    if (s == "-Infinity" || s == "-inf" || s == "-Inf") {
      *out = -std::numeric_limits<double>::infinity();
      return true;
    }
    if (s == "NaN" || s == "nan") {
      *out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<nlohmann::json> ParseConfigJson(std::string_view text) {
  nlohmann::json parsed =
      nlohmann::json::parse(QuoteNonFiniteTokens(text), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::InvalidArgumentError(
        "config.json: not valid JSON; check the file is a complete Hugging Face config.json");
  }
  if (!parsed.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config.json: top level must be an object, got ", parsed.type_name()));
  }
  return parsed;
}

absl::StatusOr<nlohmann::json> LoadConfigJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot open ", path, "; pass a model directory ",
                                            "that contains config.json"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  absl::StatusOr<nlohmann::json> parsed = ParseConfigJson(buffer.str());
  if (!parsed.ok()) {
    return absl::Status(parsed.status().code(),
                        absl::StrCat(path, ": ", parsed.status().message()));
  }
  return parsed;
}

ConfigReader::ConfigReader(nlohmann::json config) : config_(std::move(config)) {}

void ConfigReader::AddAlias(std::string key, std::string legacy_key) {
  aliases_[std::move(key)].push_back(std::move(legacy_key));
}

const nlohmann::json* ConfigReader::Find(std::string_view key, std::string* found_key) const {
  if (!config_.is_object()) return nullptr;
  auto lookup = [&](const std::string& name) -> const nlohmann::json* {
    auto it = config_.find(name);
    if (it == config_.end() || it->is_null()) return nullptr;
    if (found_key != nullptr) *found_key = name;
    return &*it;
  };
  if (auto alias_it = aliases_.find(key); alias_it != aliases_.end()) {
    for (const std::string& legacy : alias_it->second) {
      if (const nlohmann::json* value = lookup(legacy)) return value;
    }
  }
  return lookup(std::string(key));
}

bool ConfigReader::Has(std::string_view key) const { return Find(key, nullptr) != nullptr; }

absl::Status ConfigReader::Error(std::string_view message) const {
  if (architecture_.empty())
    return absl::InvalidArgumentError(absl::StrCat("config.json: ", AV(message)));
  return absl::InvalidArgumentError(
      absl::StrCat("config.json: ", AV(message), " (", architecture_, ")"));
}

absl::Status ConfigReader::Missing(std::string_view key) const {
  std::string names = absl::StrCat("\"", AV(key), "\"");
  if (auto it = aliases_.find(key); it != aliases_.end()) {
    absl::StrAppend(&names, " (or legacy \"", absl::StrJoin(it->second, "\", \""), "\")");
  }
  return Error(absl::StrCat("missing required field ", names));
}

absl::Status ConfigReader::WrongType(std::string_view key, std::string_view expected,
                                     const nlohmann::json& value) const {
  return Error(
      absl::StrCat("field \"", AV(key), "\" must be ", AV(expected), ", got ", Describe(value)));
}

void ConfigReader::Record(std::string_view key, nlohmann::json value) const {
  values_read_[std::string(key)] = std::move(value);
}

absl::StatusOr<int64_t> ConfigReader::Int(std::string_view key) const {
  std::string found;
  const nlohmann::json* value = Find(key, &found);
  if (value == nullptr) return Missing(key);
  int64_t result = 0;
  if (!AsInt(*value, &result)) return WrongType(found, "an integer", *value);
  Record(key, result);
  return result;
}

absl::StatusOr<int64_t> ConfigReader::Int(std::string_view key, int64_t default_value) const {
  if (!Has(key)) {
    Record(key, default_value);
    return default_value;
  }
  return Int(key);
}

absl::StatusOr<std::optional<int64_t>> ConfigReader::OptionalInt(std::string_view key) const {
  if (!Has(key)) {
    Record(key, nullptr);
    return std::optional<int64_t>();
  }
  absl::StatusOr<int64_t> value = Int(key);
  if (!value.ok()) return value.status();
  return std::optional<int64_t>(*value);
}

absl::StatusOr<double> ConfigReader::Float(std::string_view key) const {
  std::string found;
  const nlohmann::json* value = Find(key, &found);
  if (value == nullptr) return Missing(key);
  double result = 0;
  if (!AsFloat(*value, &result)) return WrongType(found, "a number", *value);
  Record(key, *value);
  return result;
}

absl::StatusOr<double> ConfigReader::Float(std::string_view key, double default_value) const {
  if (!Has(key)) {
    Record(key, default_value);
    return default_value;
  }
  return Float(key);
}

absl::StatusOr<bool> ConfigReader::Bool(std::string_view key) const {
  std::string found;
  const nlohmann::json* value = Find(key, &found);
  if (value == nullptr) return Missing(key);
  if (!value->is_boolean()) return WrongType(found, "true or false", *value);
  Record(key, *value);
  return value->get<bool>();
}

absl::StatusOr<bool> ConfigReader::Bool(std::string_view key, bool default_value) const {
  if (!Has(key)) {
    Record(key, default_value);
    return default_value;
  }
  return Bool(key);
}

absl::StatusOr<std::string> ConfigReader::String(std::string_view key) const {
  std::string found;
  const nlohmann::json* value = Find(key, &found);
  if (value == nullptr) return Missing(key);
  if (!value->is_string()) return WrongType(found, "a string", *value);
  Record(key, *value);
  return value->get<std::string>();
}

absl::StatusOr<std::string> ConfigReader::String(std::string_view key,
                                                 std::string_view default_value) const {
  if (!Has(key)) {
    Record(key, std::string(default_value));
    return std::string(default_value);
  }
  return String(key);
}

absl::StatusOr<std::vector<int64_t>> ConfigReader::IntList(std::string_view key) const {
  std::string found;
  const nlohmann::json* value = Find(key, &found);
  if (value == nullptr) return Missing(key);
  if (!value->is_array()) return WrongType(found, "a list of integers", *value);
  std::vector<int64_t> result;
  for (const nlohmann::json& element : *value) {
    int64_t item = 0;
    if (!AsInt(element, &item)) return WrongType(found, "a list of integers", *value);
    result.push_back(item);
  }
  Record(key, *value);
  return result;
}

absl::StatusOr<std::vector<int64_t>> ConfigReader::IntList(
    std::string_view key, std::vector<int64_t> default_value) const {
  if (!Has(key)) {
    Record(key, default_value);
    return default_value;
  }
  return IntList(key);
}

absl::StatusOr<std::vector<double>> ConfigReader::FloatList(std::string_view key) const {
  std::string found;
  const nlohmann::json* value = Find(key, &found);
  if (value == nullptr) return Missing(key);
  if (!value->is_array()) return WrongType(found, "a list of numbers", *value);
  std::vector<double> result;
  for (const nlohmann::json& element : *value) {
    double item = 0;
    if (!AsFloat(element, &item)) return WrongType(found, "a list of numbers", *value);
    result.push_back(item);
  }
  Record(key, *value);
  return result;
}

absl::StatusOr<std::vector<double>> ConfigReader::FloatList(
    std::string_view key, std::vector<double> default_value) const {
  if (!Has(key)) {
    Record(key, default_value);
    return default_value;
  }
  return FloatList(key);
}

absl::StatusOr<std::vector<std::string>> ConfigReader::StringList(std::string_view key) const {
  std::string found;
  const nlohmann::json* value = Find(key, &found);
  if (value == nullptr) return Missing(key);
  if (!value->is_array()) return WrongType(found, "a list of strings", *value);
  std::vector<std::string> result;
  for (const nlohmann::json& element : *value) {
    if (!element.is_string()) return WrongType(found, "a list of strings", *value);
    result.push_back(element.get<std::string>());
  }
  Record(key, *value);
  return result;
}

absl::StatusOr<std::vector<int64_t>> ConfigReader::IntOrIntList(
    std::string_view key, std::vector<int64_t> default_value) const {
  std::string found;
  const nlohmann::json* value = Find(key, &found);
  if (value == nullptr) {
    Record(key, default_value);
    return default_value;
  }
  if (value->is_array()) return IntList(key);
  int64_t single = 0;
  if (!AsInt(*value, &single)) return WrongType(found, "an integer or a list of integers", *value);
  Record(key, single);
  return std::vector<int64_t>{single};
}

absl::StatusOr<RopeConfig> ConfigReader::Rope(double default_theta,
                                              double default_partial_rotary_factor) const {
  RopeConfig rope;
  const nlohmann::json* params = nullptr;
  std::string params_key;
  for (const char* key : {"rope_scaling", "rope_parameters"}) {
    std::string found;
    const nlohmann::json* value = Find(key, &found);
    if (value == nullptr) continue;
    if (!value->is_object()) return WrongType(found, "an object", *value);
    params = value;
    params_key = found;
    break;
  }
  auto param = [&](const char* name) -> const nlohmann::json* {
    if (params == nullptr) return nullptr;
    auto it = params->find(name);
    if (it == params->end() || it->is_null()) return nullptr;
    return &*it;
  };

  if (const nlohmann::json* type = param("rope_type") ? param("rope_type") : param("type")) {
    if (!type->is_string()) {
      return WrongType(absl::StrCat(params_key, ".rope_type"), "a string", *type);
    }
    rope.rope_type = type->get<std::string>();
  }
  if (rope.rope_type != "default") {
    return absl::UnimplementedError(
        absl::StrCat("config.json: rope_type \"", rope.rope_type, "\" in \"", params_key,
                     "\" is not supported; only \"default\" RoPE is implemented",
                     architecture_.empty() ? "" : absl::StrCat(" (", architecture_, ")")));
  }

  if (const nlohmann::json* theta = param("rope_theta")) {
    if (!AsFloat(*theta, &rope.theta)) {
      return WrongType(absl::StrCat(params_key, ".rope_theta"), "a number", *theta);
    }
  } else {
    absl::StatusOr<double> top_theta = Float("rope_theta", default_theta);
    if (!top_theta.ok()) return top_theta.status();
    rope.theta = *top_theta;
  }

  if (const nlohmann::json* factor = param("partial_rotary_factor")) {
    if (!AsFloat(*factor, &rope.partial_rotary_factor)) {
      return WrongType(absl::StrCat(params_key, ".partial_rotary_factor"), "a number", *factor);
    }
  } else {
    absl::StatusOr<double> top_factor =
        Float("partial_rotary_factor", default_partial_rotary_factor);
    if (!top_factor.ok()) return top_factor.status();
    rope.partial_rotary_factor = *top_factor;
  }
  if (!(rope.theta > 0.0)) return Error("rope_theta must be positive");
  if (!(rope.partial_rotary_factor > 0.0 && rope.partial_rotary_factor <= 1.0)) {
    return Error("partial_rotary_factor must be in (0, 1]");
  }
  Record("rope.rope_type", rope.rope_type);
  Record("rope.rope_theta", rope.theta);
  Record("rope.partial_rotary_factor", rope.partial_rotary_factor);
  return rope;
}

}  // namespace hybridserve::engine
