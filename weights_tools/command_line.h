// A small command-line parser for hybridtool's subcommands: `--name value`, `--name=value` and
// bare `--flag`. Unknown flags, missing values and malformed numbers are errors naming the flag.
#ifndef HYBRIDSERVE_WEIGHTS_TOOLS_COMMAND_LINE_H_
#define HYBRIDSERVE_WEIGHTS_TOOLS_COMMAND_LINE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace hybridserve::tools {

class CommandLine {
 public:
  // value_flags take a value; switch_flags do not. args excludes the program and command names.
  static absl::StatusOr<CommandLine> Parse(const std::vector<std::string>& args,
                                           const std::set<std::string>& value_flags,
                                           const std::set<std::string>& switch_flags);

  bool Has(const std::string& name) const;
  std::optional<std::string> Get(const std::string& name) const;
  absl::StatusOr<std::string> Require(const std::string& name) const;
  absl::StatusOr<int64_t> GetInt(const std::string& name, int64_t default_value) const;
  // A comma-separated list of integers, e.g. "5,17,33".
  absl::StatusOr<std::vector<int32_t>> GetIntList(const std::string& name) const;

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace hybridserve::tools

#endif  // HYBRIDSERVE_WEIGHTS_TOOLS_COMMAND_LINE_H_
