// A typed, read-recording view of a Hugging Face config.json.
//
// Every accessor either returns the value found under a key (or under one of its legacy aliases)
// or a clear absl::Status naming config.json, the field and the architecture. Accessors with a
// default treat an absent or null field as "use the default". What was read (and which defaults
// were used) is recorded, so tools can show the effective configuration.
#ifndef HYBRIDSERVE_ENGINE_MODEL_CONFIG_READER_H_
#define HYBRIDSERVE_ENGINE_MODEL_CONFIG_READER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {

// Parses config.json text. Python's json module writes non-finite floats as the bare tokens
// Infinity, -Infinity and NaN (e.g. "time_step_limit": [0.0, Infinity]); these are accepted and
// stored as the strings "Infinity", "-Infinity", "NaN", which Float() understands. Float() also
// accepts the {"__float__": "Infinity"} objects transformers 5.x writes.
absl::StatusOr<nlohmann::json> ParseConfigJson(std::string_view text);

// Reads and parses a config.json file.
absl::StatusOr<nlohmann::json> LoadConfigJsonFile(const std::string& path);

// The RoPE settings of a config, from v5 "rope_parameters" or older "rope_theta"/"rope_scaling".
struct RopeConfig {
  std::string rope_type = "default";
  double theta = 10000.0;
  double partial_rotary_factor = 1.0;
};

class ConfigReader {
 public:
  // config must be a JSON object (checked by the accessors, which fail otherwise).
  explicit ConfigReader(nlohmann::json config);

  // Label for error messages, e.g. "BambaForCausalLM".
  void set_architecture(std::string architecture) { architecture_ = std::move(architecture); }
  const std::string& architecture() const { return architecture_; }

  // Registers a legacy spelling of key. A legacy key present in the file takes precedence over
  // the canonical key (as the transformers config classes do when they pop legacy kwargs).
  void AddAlias(std::string key, std::string legacy_key);

  // True when key (or an alias) is present with a non-null value.
  bool Has(std::string_view key) const;

  absl::StatusOr<int64_t> Int(std::string_view key) const;
  absl::StatusOr<int64_t> Int(std::string_view key, int64_t default_value) const;
  // Absent or null: nullopt.
  absl::StatusOr<std::optional<int64_t>> OptionalInt(std::string_view key) const;
  absl::StatusOr<double> Float(std::string_view key) const;
  absl::StatusOr<double> Float(std::string_view key, double default_value) const;
  absl::StatusOr<bool> Bool(std::string_view key) const;
  absl::StatusOr<bool> Bool(std::string_view key, bool default_value) const;
  absl::StatusOr<std::string> String(std::string_view key) const;
  absl::StatusOr<std::string> String(std::string_view key, std::string_view default_value) const;
  absl::StatusOr<std::vector<int64_t>> IntList(std::string_view key) const;
  absl::StatusOr<std::vector<int64_t>> IntList(std::string_view key,
                                               std::vector<int64_t> default_value) const;
  absl::StatusOr<std::vector<double>> FloatList(std::string_view key) const;
  absl::StatusOr<std::vector<double>> FloatList(std::string_view key,
                                                std::vector<double> default_value) const;
  absl::StatusOr<std::vector<std::string>> StringList(std::string_view key) const;
  // An integer or a list of integers (eos_token_id); absent or null: default_value.
  absl::StatusOr<std::vector<int64_t>> IntOrIntList(std::string_view key,
                                                    std::vector<int64_t> default_value) const;

  // RoPE settings: rope_scaling (if an object) else rope_parameters, then top-level rope_theta /
  // partial_rotary_factor, then the given defaults. Any rope_type other than "default" is
  // Unimplemented (naming it).
  absl::StatusOr<RopeConfig> Rope(double default_theta,
                                  double default_partial_rotary_factor = 1.0) const;

  // The values read so far, by canonical key (defaults included), in key order.
  const std::map<std::string, nlohmann::json>& values_read() const { return values_read_; }

  // An InvalidArgument error in the house format: "config.json: <message> (<architecture>)".
  absl::Status Error(std::string_view message) const;

  const nlohmann::json& json() const { return config_; }

 private:
  // The value for key or an alias; nullptr if absent or null. Sets *found_key to the spelling.
  const nlohmann::json* Find(std::string_view key, std::string* found_key) const;
  absl::Status Missing(std::string_view key) const;
  absl::Status WrongType(std::string_view key, std::string_view expected,
                         const nlohmann::json& value) const;
  void Record(std::string_view key, nlohmann::json value) const;

  nlohmann::json config_;
  std::string architecture_;
  std::map<std::string, std::vector<std::string>, std::less<>> aliases_;
  mutable std::map<std::string, nlohmann::json> values_read_;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_CONFIG_READER_H_
