#include "weights_tools/command_line.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace hybridserve::tools {

absl::StatusOr<CommandLine> CommandLine::Parse(const std::vector<std::string>& args,
                                               const std::set<std::string>& value_flags,
                                               const std::set<std::string>& switch_flags) {
  CommandLine line;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (!absl::ConsumePrefix(&arg, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", args[i], "\"; flags start with --"));
    }
    std::string name(arg);
    std::optional<std::string> value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (switch_flags.count(name)) {
      if (value) return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      line.values_[name] = "";
    } else if (value_flags.count(name)) {
      if (!value) {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
        }
        value = args[++i];
      }
      line.values_[name] = *value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, "; see --help"));
    }
  }
  return line;
}

bool CommandLine::Has(const std::string& name) const { return values_.count(name) > 0; }

std::optional<std::string> CommandLine::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::string> CommandLine::Require(const std::string& name) const {
  auto value = Get(name);
  if (!value || value->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " is required; see --help"));
  }
  return *value;
}

absl::StatusOr<int64_t> CommandLine::GetInt(const std::string& name, int64_t default_value) const {
  auto value = Get(name);
  if (!value) return default_value;
  int64_t parsed = 0;
  if (!absl::SimpleAtoi(*value, &parsed)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be an integer, got \"", *value, "\""));
  }
  return parsed;
}

absl::StatusOr<std::vector<int32_t>> CommandLine::GetIntList(const std::string& name) const {
  auto value = Get(name);
  std::vector<int32_t> out;
  if (!value) return out;
  for (absl::string_view piece : absl::StrSplit(*value, ',', absl::SkipWhitespace())) {
    int32_t parsed = 0;
    if (!absl::SimpleAtoi(piece, &parsed)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, ": \"", piece, "\" is not an integer"));
    }
    out.push_back(parsed);
  }
  return out;
}

}  // namespace hybridserve::tools
