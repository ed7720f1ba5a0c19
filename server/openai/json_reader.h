// Typed reads of optional request fields from a JSON object, with OpenAI's meaning of "absent"
// (missing or null: the default stays) and InvalidParam errors that name the field and what it
// must be.
#ifndef HYBRIDSERVE_SERVER_OPENAI_JSON_READER_H_
#define HYBRIDSERVE_SERVER_OPENAI_JSON_READER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace hybridserve::server::openai {

// The field's value, or nullptr when it is missing or null.
const nlohmann::json* FindField(const nlohmann::json& object, const char* name);

// Each leaves *out unchanged when the field is absent.
absl::Status ReadBool(const nlohmann::json& object, const char* name, bool* out);
absl::Status ReadString(const nlohmann::json& object, const char* name, std::string* out);
// Any JSON number within [min, max].
absl::Status ReadNumber(const nlohmann::json& object, const char* name, double min, double max,
                        float* out);
// An integral JSON number within [min, max] (2.0 counts as an integer, 2.5 does not).
absl::Status ReadInt(const nlohmann::json& object, const char* name, int64_t min, int64_t max,
                     std::optional<int64_t>* out);

// The JSON type of a value in words ("a string", "an array", ...), for messages.
std::string TypeName(const nlohmann::json& value);

// A value of a JSON integer as int64 when it is one (or an integral float within range).
std::optional<int64_t> AsInteger(const nlohmann::json& value);

}  // namespace hybridserve::server::openai

#endif  // HYBRIDSERVE_SERVER_OPENAI_JSON_READER_H_
