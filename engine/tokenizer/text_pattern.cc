#include "engine/tokenizer/text_pattern.h"

#include "base/status_macros.h"

namespace hybridserve::engine {

absl::StatusOr<TextPattern> TextPattern::Create(std::string pattern, bool is_regex) {
  TextPattern result;
  if (is_regex) {
    HS_ASSIGN_OR_RETURN(std::unique_ptr<Regex> regex, Regex::Compile(pattern));
    result.regex_ = std::move(regex);
  } else {
    result.literal_ = std::move(pattern);
  }
  return result;
}

void TextPattern::FindAll(std::string_view text,
                          std::vector<std::pair<size_t, size_t>>* matches) const {
  if (regex_ != nullptr) {
    regex_->FindAll(text, matches);
    return;
  }
  if (literal_.empty()) return;
  size_t pos = 0;
  while ((pos = text.find(literal_, pos)) != std::string_view::npos) {
    matches->emplace_back(pos, pos + literal_.size());
    pos += literal_.size();
  }
}

void TextPattern::ReplaceAll(std::string_view content, std::string* text) const {
  std::vector<std::pair<size_t, size_t>> matches;
  FindAll(*text, &matches);
  if (matches.empty()) return;
  std::string out;
  out.reserve(text->size());
  size_t prev = 0;
  for (const auto& [start, end] : matches) {
    out.append(*text, prev, start - prev);
    out.append(content);
    prev = end;
  }
  out.append(*text, prev, std::string::npos);
  *text = std::move(out);
}

}  // namespace hybridserve::engine
