#include "engine/chat/callable.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace hybridserve::engine::chat {

absl::StatusOr<std::vector<std::optional<Value>>> BindArgs(
    const CallArgs& args, std::string_view function, std::initializer_list<std::string_view> params,
    size_t num_required) {
  std::vector<std::string_view> names(params);
  std::vector<std::optional<Value>> bound(names.size());
  if (args.positional.size() > names.size()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(function), "() takes at most ",
                                                   names.size(), " arguments (",
                                                   args.positional.size(), " given)"));
  }
  for (size_t i = 0; i < args.positional.size(); ++i) bound[i] = args.positional[i];
  for (const auto& [key, value] : args.keywords) {
    size_t i = 0;
    while (i < names.size() && names[i] != key) ++i;
    if (i == names.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(function), "() got an unexpected keyword argument '", key, "'"));
    }
    if (bound[i].has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(function), "() got multiple values for argument '", key, "'"));
    }
    bound[i] = value;
  }
  for (size_t i = 0; i < num_required; ++i) {
    if (!bound[i].has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          std::string(function), "() missing required argument '", std::string(names[i]), "'"));
    }
  }
  return bound;
}

}  // namespace hybridserve::engine::chat
