// Structured logs: one JSON object per line on stderr ({"ts", "level", "event", ...fields}),
// filtered by level. Used for the startup configuration and one line per finished request.
// Thread-safe.
#ifndef HYBRIDSERVE_SERVER_REQUEST_LOG_H_
#define HYBRIDSERVE_SERVER_REQUEST_LOG_H_

#include <cstdio>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"

namespace hybridserve::server {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "debug", "info", "warning" (or "warn"), "error".
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name);

class Logger {
 public:
  explicit Logger(LogLevel min_level, std::FILE* out = stderr) : min_level_(min_level), out_(out) {}

  bool Enabled(LogLevel level) const { return level >= min_level_; }
  // Writes {"ts": RFC 3339, "level", "event", ...fields} as one line.
  void Log(LogLevel level, absl::string_view event, const nlohmann::json& fields);

 private:
  const LogLevel min_level_;
  std::FILE* const out_;
  absl::Mutex mu_;
};

}  // namespace hybridserve::server

#endif  // HYBRIDSERVE_SERVER_REQUEST_LOG_H_
