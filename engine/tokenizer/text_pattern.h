// The pattern of Replace (normalizer and decoder) and Split (pre-tokenizer) components: a literal
// string or a regex. Reports non-overlapping matches left to right.
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_TEXT_PATTERN_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_TEXT_PATTERN_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/tokenizer/regex.h"

namespace hybridserve::engine {

class TextPattern {
 public:
  static absl::StatusOr<TextPattern> Create(std::string pattern, bool is_regex);

  // Appends the [start, end) byte ranges of the matches in text. An empty literal never matches.
  void FindAll(std::string_view text, std::vector<std::pair<size_t, size_t>>* matches) const;

  // Replaces every match with content, in place.
  void ReplaceAll(std::string_view content, std::string* text) const;

 private:
  std::string literal_;
  std::shared_ptr<const Regex> regex_;  // null for a literal
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_TEXT_PATTERN_H_
