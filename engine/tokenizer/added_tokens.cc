#include "engine/tokenizer/added_tokens.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/tokenizer/json_fields.h"
#include "engine/tokenizer/unicode_classes.h"
#include "engine/tokenizer/utf8.h"

namespace hybridserve::engine {
namespace {

using json_fields::Json;

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Code point ending at byte offset end (> 0) of valid UTF-8 text.
char32_t LastCodePoint(std::string_view text, size_t end) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) --start;
  size_t length = 0;
  return DecodeCodePoint(text, start, &length);
}

// Start of the run of whitespace that ends at byte offset end.
size_t TrailingSpaceStart(std::string_view text, size_t end) {
  while (end > 0) {
    size_t start = end - 1;
    while (start > 0 && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) --start;
    size_t length = 0;
    if (!IsWhiteSpace(DecodeCodePoint(text, start, &length))) break;
    end = start;
  }
  return end;
}

// End of the run of whitespace that starts at byte offset start.
size_t LeadingSpaceEnd(std::string_view text, size_t start) {
  while (start < text.size()) {
    size_t length = 0;
    if (!IsWhiteSpace(DecodeCodePoint(text, start, &length))) break;
    start += length;
  }
  return start;
}

}  // namespace

void AddedVocabulary::Matcher::Build() {
  std::stable_sort(patterns.begin(), patterns.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (auto& list : by_first_byte) list.clear();
  for (size_t i = 0; i < patterns.size(); ++i) {
    by_first_byte[static_cast<uint8_t>(patterns[i].first[0])].push_back(static_cast<int32_t>(i));
  }
}

void AddedVocabulary::Matcher::FindAll(std::string_view text,
                                       std::vector<std::array<size_t, 3>>* matches) const {
  if (patterns.empty()) return;
  size_t pos = 0;
  while (pos < text.size()) {
    const auto& candidates = by_first_byte[static_cast<uint8_t>(text[pos])];
    bool matched = false;
    for (const int32_t index : candidates) {  // longest first
      const std::string& pattern = patterns[index].first;
      if (text.size() - pos >= pattern.size() && text.compare(pos, pattern.size(), pattern) == 0) {
        matches->push_back(
            {pos, pos + pattern.size(), static_cast<size_t>(patterns[index].second)});
        pos += pattern.size();
        matched = true;
        break;
      }
    }
    if (!matched) ++pos;
  }
}

absl::StatusOr<AddedVocabulary> AddedVocabulary::Build(const Json& added_tokens,
                                                       const BpeModel& model,
                                                       const Normalizer* normalizer) {
  AddedVocabulary vocab;
  if (added_tokens.is_null()) return vocab;
  if (!added_tokens.is_array()) {
    return absl::InvalidArgumentError("field \"added_tokens\" must be an array");
  }
  int32_t next_id = static_cast<int32_t>(model.num_tokens());
  for (const Json& j : added_tokens) {
    if (!j.is_object()) return absl::InvalidArgumentError("added_tokens entries must be objects");
    AddedToken token;
    HS_ASSIGN_OR_RETURN(token.content, json_fields::GetString(j, "content", "added_tokens"));
    HS_ASSIGN_OR_RETURN(token.single_word,
                        json_fields::GetBool(j, "single_word", false, "added_tokens"));
    HS_ASSIGN_OR_RETURN(token.lstrip, json_fields::GetBool(j, "lstrip", false, "added_tokens"));
    HS_ASSIGN_OR_RETURN(token.rstrip, json_fields::GetBool(j, "rstrip", false, "added_tokens"));
    HS_ASSIGN_OR_RETURN(token.special, json_fields::GetBool(j, "special", false, "added_tokens"));
    HS_ASSIGN_OR_RETURN(token.normalized,
                        json_fields::GetBool(j, "normalized", !token.special, "added_tokens"));
    if (token.content.empty()) continue;
    if (!IsValidUtf8(token.content)) {
      return absl::InvalidArgumentError("added_tokens: content is not valid UTF-8");
    }
    int32_t id;
    if (auto it = vocab.by_content_.find(token.content); it != vocab.by_content_.end()) {
      id = it->second;
    } else if (auto model_id = model.TokenToId(token.content); model_id.has_value()) {
      id = *model_id;
    } else {
      id = next_id++;
    }
    std::string decoded = token.content;
    if (token.normalized && normalizer != nullptr) normalizer->Normalize(&decoded);
    if (token.special) vocab.special_contents_.insert(token.content);
    vocab.by_content_[token.content] = id;
    Entry entry{id, std::move(token), std::move(decoded)};
    if (auto it = vocab.by_id_.find(id); it != vocab.by_id_.end()) {
      vocab.tokens_[it->second] = std::move(entry);
    } else {
      vocab.by_id_[id] = vocab.tokens_.size();
      vocab.tokens_.push_back(std::move(entry));
    }
    vocab.id_limit_ = std::max(vocab.id_limit_, id + 1);
  }
  for (size_t i = 0; i < vocab.tokens_.size(); ++i) {
    const Entry& entry = vocab.tokens_[i];
    if (entry.decoded.empty()) continue;
    if (entry.token.normalized) {
      vocab.normalized_matcher_.patterns.emplace_back(entry.decoded, static_cast<int32_t>(i));
    } else {
      vocab.raw_matcher_.patterns.emplace_back(entry.token.content, static_cast<int32_t>(i));
    }
  }
  vocab.raw_matcher_.Build();
  vocab.normalized_matcher_.Build();
  return vocab;
}

void AddedVocabulary::SplitWith(const Matcher& matcher, const PreToken& piece,
                                std::vector<InputSegment>* out) const {
  const std::string_view text = piece.text;
  std::vector<std::array<size_t, 3>> matches;
  matcher.FindAll(text, &matches);
  size_t start_offset = 0;
  auto emit_text = [&](size_t start, size_t end) {
    out->push_back(InputSegment{
        PreToken{std::string(text.substr(start, end - start)), piece.at_start && start == 0}, -1});
  };
  for (const auto& [match_start, match_end, index] : matches) {
    const Entry& entry = tokens_[index];
    size_t start = match_start;
    size_t stop = match_end;
    if (entry.token.single_word) {
      const bool space_before = start == 0 || !IsWordChar(LastCodePoint(text, start));
      size_t length = 0;
      const bool space_after =
          stop == text.size() || !IsWordChar(DecodeCodePoint(text, stop, &length));
      if (!space_before || !space_after) continue;
    }
    if (entry.token.lstrip) start = std::max(TrailingSpaceStart(text, start), start_offset);
    if (entry.token.rstrip) stop = LeadingSpaceEnd(text, stop);
    if (start_offset < start) emit_text(start_offset, start);
    out->push_back(InputSegment{
        PreToken{std::string(text.substr(start, stop - start)), piece.at_start && start == 0},
        entry.id});
    start_offset = stop;
  }
  if (start_offset < text.size()) emit_text(start_offset, text.size());
}

void AddedVocabulary::Extract(std::string_view text, const Normalizer* normalizer,
                              std::vector<InputSegment>* out) const {
  if (text.empty()) return;
  std::vector<InputSegment> raw;
  SplitWith(raw_matcher_, PreToken{std::string(text), true}, &raw);
  for (InputSegment& segment : raw) {
    if (segment.id >= 0) {
      out->push_back(std::move(segment));
      continue;
    }
    if (normalizer != nullptr) normalizer->Normalize(&segment.piece.text);
    if (segment.piece.text.empty()) continue;
    SplitWith(normalized_matcher_, segment.piece, out);
  }
}

const std::string* AddedVocabulary::IdToToken(int32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second].decoded;
}

std::optional<int32_t> AddedVocabulary::TokenToId(std::string_view content) const {
  auto it = by_content_.find(AbslView(content));
  if (it == by_content_.end()) return std::nullopt;
  return it->second;
}

bool AddedVocabulary::IsSpecialId(int32_t id) const {
  auto it = by_id_.find(id);
  return it != by_id_.end() && tokens_[it->second].token.special;
}

bool AddedVocabulary::IsSpecialContent(std::string_view token) const {
  return !special_contents_.empty() && special_contents_.contains(AbslView(token));
}

}  // namespace hybridserve::engine
