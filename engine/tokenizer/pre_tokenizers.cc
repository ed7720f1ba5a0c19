#include "engine/tokenizer/pre_tokenizers.h"

#include <algorithm>
#include <string_view>

#include "base/status_macros.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/json_fields.h"
#include "engine/tokenizer/regex.h"
#include "engine/tokenizer/text_pattern.h"
#include "engine/tokenizer/utf8.h"

namespace hybridserve::engine {
namespace {

using json_fields::Json;
using Matches = std::vector<std::pair<size_t, size_t>>;

struct Segment {
  size_t start;
  size_t end;
  bool is_match;
};

void AppendPiece(const PreToken& piece, size_t start, size_t end, std::vector<PreToken>* out) {
  if (end <= start) return;
  out->push_back(PreToken{piece.text.substr(start, end - start), piece.at_start && start == 0});
}

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, std::unique_ptr<Regex> regex)
      : add_prefix_space_(add_prefix_space), regex_(std::move(regex)) {}

  void PreTokenize(std::vector<PreToken>* pieces) const override {
    std::vector<PreToken> out;
    out.reserve(pieces->size() * 4);
    Matches matches;
    for (PreToken& piece : *pieces) {
      if (add_prefix_space_ && (piece.text.empty() || piece.text[0] != ' ')) {
        piece.text.insert(0, 1, ' ');
      }
      if (regex_ == nullptr) {
        Emit(piece.text, piece.at_start, &out);
        continue;
      }
      matches.clear();
      regex_->FindAll(piece.text, &matches);
      // Isolated: matches and the gaps between them are all pieces.
      size_t prev = 0;
      const std::string_view text = piece.text;
      for (const auto& [start, end] : matches) {
        if (start > prev) Emit(text.substr(prev, start - prev), piece.at_start && prev == 0, &out);
        if (end > start) Emit(text.substr(start, end - start), piece.at_start && start == 0, &out);
        prev = end;
      }
      if (prev < text.size()) Emit(text.substr(prev), piece.at_start && prev == 0, &out);
    }
    *pieces = std::move(out);
  }

 private:
  static void Emit(std::string_view bytes, bool at_start, std::vector<PreToken>* out) {
    if (bytes.empty()) return;
    PreToken token;
    token.at_start = at_start;
    token.text.reserve(bytes.size() + 4);
    AppendByteLevelChars(bytes, &token.text);
    out->push_back(std::move(token));
  }

  bool add_prefix_space_;
  std::unique_ptr<Regex> regex_;  // null when use_regex is false
};

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(TextPattern pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}

  void PreTokenize(std::vector<PreToken>* pieces) const override {
    std::vector<PreToken> out;
    out.reserve(pieces->size() * 4);
    Matches matches;
    for (const PreToken& piece : *pieces) {
      matches.clear();
      pattern_.FindAll(piece.text, &matches);
      SplitByMatches(piece, matches, behavior_, invert_, &out);
    }
    *pieces = std::move(out);
  }

 private:
  TextPattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  enum class Prepend { kAlways, kFirst, kNever };
  MetaspacePreTokenizer(std::string replacement, Prepend prepend, bool split)
      : replacement_(std::move(replacement)), prepend_(prepend), split_(split) {}

  void PreTokenize(std::vector<PreToken>* pieces) const override {
    std::vector<PreToken> out;
    out.reserve(pieces->size() * 4);
    Matches matches;
    for (PreToken& piece : *pieces) {
      std::string text;
      text.reserve(piece.text.size() + replacement_.size());
      for (const char c : piece.text) {
        if (c == ' ') {
          text.append(replacement_);
        } else {
          text.push_back(c);
        }
      }
      const bool starts_with_replacement = text.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts_with_replacement &&
          (prepend_ == Prepend::kAlways || (prepend_ == Prepend::kFirst && piece.at_start))) {
        text.insert(0, replacement_);
      }
      piece.text = std::move(text);
      if (!split_) {
        if (!piece.text.empty()) out.push_back(std::move(piece));
        continue;
      }
      matches.clear();
      size_t pos = 0;
      while ((pos = piece.text.find(replacement_, pos)) != std::string::npos) {
        matches.emplace_back(pos, pos + replacement_.size());
        pos += replacement_.size();
      }
      SplitByMatches(piece, matches, SplitBehavior::kMergedWithNext, false, &out);
    }
    *pieces = std::move(out);
  }

 private:
  std::string replacement_;
  Prepend prepend_;
  bool split_;
};

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts)
      : parts_(std::move(parts)) {}
  void PreTokenize(std::vector<PreToken>* pieces) const override {
    for (const auto& part : parts_) part->PreTokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

absl::StatusOr<SplitBehavior> ParseBehavior(const Json& j) {
  HS_ASSIGN_OR_RETURN(std::string name, json_fields::GetString(j, "behavior", "Split"));
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  return absl::InvalidArgumentError(
      absl::StrCat("pre_tokenizer Split: unknown behavior \"", name, "\""));
}

}  // namespace

void SplitByMatches(const PreToken& piece, const Matches& matches, SplitBehavior behavior,
                    bool invert, std::vector<PreToken>* out) {
  const size_t size = piece.text.size();
  if (size == 0) return;
  // Segments covering the whole text, as (range, is_delimiter).
  std::vector<Segment> segments;
  segments.reserve(matches.size() * 2 + 1);
  size_t prev = 0;
  for (const auto& [start, end] : matches) {
    if (start != prev) segments.push_back({prev, start, false});
    segments.push_back({start, end, true});
    prev = end;
  }
  if (prev != size) segments.push_back({prev, size, false});
  if (invert) {
    for (Segment& s : segments) s.is_match = !s.is_match;
  }

  std::vector<Segment> parts;  // is_match here means "remove"
  parts.reserve(segments.size());
  switch (behavior) {
    case SplitBehavior::kIsolated:
      for (const Segment& s : segments) parts.push_back({s.start, s.end, false});
      break;
    case SplitBehavior::kRemoved:
      parts = segments;
      break;
    case SplitBehavior::kContiguous: {
      bool previous_match = false;
      for (const Segment& s : segments) {
        if (s.is_match == previous_match && !parts.empty()) {
          parts.back().end = s.end;
        } else {
          parts.push_back({s.start, s.end, false});
        }
        previous_match = s.is_match;
      }
      break;
    }
    case SplitBehavior::kMergedWithPrevious: {
      bool previous_match = false;
      for (const Segment& s : segments) {
        if (s.is_match && !previous_match && !parts.empty()) {
          parts.back().end = s.end;
        } else {
          parts.push_back({s.start, s.end, false});
        }
        previous_match = s.is_match;
      }
      break;
    }
    case SplitBehavior::kMergedWithNext: {
      bool previous_match = false;
      for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
        if (it->is_match && !previous_match && !parts.empty()) {
          parts.back().start = it->start;
        } else {
          parts.push_back({it->start, it->end, false});
        }
        previous_match = it->is_match;
      }
      std::reverse(parts.begin(), parts.end());
      break;
    }
  }
  for (const Segment& part : parts) {
    if (!part.is_match) AppendPiece(piece, part.start, part.end, out);
  }
}

absl::StatusOr<std::unique_ptr<PreTokenizer>> ParsePreTokenizer(const Json& j) {
  const std::string type = json_fields::TypeOf(j);
  if (type == "ByteLevel") {
    HS_ASSIGN_OR_RETURN(bool add_prefix_space,
                        json_fields::GetBool(j, "add_prefix_space", true, "ByteLevel"));
    HS_ASSIGN_OR_RETURN(bool use_regex, json_fields::GetBool(j, "use_regex", true, "ByteLevel"));
    std::unique_ptr<Regex> regex;
    if (use_regex) {
      HS_ASSIGN_OR_RETURN(regex, Regex::Compile(kGpt2SplitPattern));
    }
    return std::make_unique<ByteLevelPreTokenizer>(add_prefix_space, std::move(regex));
  }
  if (type == "Split") {
    bool is_regex = false;
    HS_ASSIGN_OR_RETURN(std::string pattern,
                        json_fields::GetPattern(j, "pattern", &is_regex, "Split"));
    HS_ASSIGN_OR_RETURN(SplitBehavior behavior, ParseBehavior(j));
    HS_ASSIGN_OR_RETURN(bool invert, json_fields::GetBool(j, "invert", false, "Split"));
    HS_ASSIGN_OR_RETURN(TextPattern compiled, TextPattern::Create(std::move(pattern), is_regex));
    return std::make_unique<SplitPreTokenizer>(std::move(compiled), behavior, invert);
  }
  if (type == "Metaspace") {
    HS_ASSIGN_OR_RETURN(std::string replacement,
                        json_fields::GetString(j, "replacement", "Metaspace"));
    if (replacement.empty() || ValidSequenceLength(replacement, 0) != replacement.size()) {
      return json_fields::BadField("Metaspace", "replacement", "exactly one character");
    }
    MetaspacePreTokenizer::Prepend prepend = MetaspacePreTokenizer::Prepend::kAlways;
    if (auto it = j.find("prepend_scheme"); it != j.end() && it->is_string()) {
      const std::string scheme = it->get<std::string>();
      if (scheme == "first") {
        prepend = MetaspacePreTokenizer::Prepend::kFirst;
      } else if (scheme == "never") {
        prepend = MetaspacePreTokenizer::Prepend::kNever;
      } else if (scheme != "always") {
        return json_fields::BadField("Metaspace", "prepend_scheme",
                                     "\"always\", \"first\" or \"never\"");
      }
    }
    HS_ASSIGN_OR_RETURN(bool add_prefix_space,
                        json_fields::GetBool(j, "add_prefix_space", true, "Metaspace"));
    if (!add_prefix_space) prepend = MetaspacePreTokenizer::Prepend::kNever;
    HS_ASSIGN_OR_RETURN(bool split, json_fields::GetBool(j, "split", true, "Metaspace"));
    return std::make_unique<MetaspacePreTokenizer>(std::move(replacement), prepend, split);
  }
  if (type == "Sequence") {
    auto it = j.find("pretokenizers");
    if (it == j.end() || !it->is_array()) {
      return json_fields::BadField("Sequence pre_tokenizer", "pretokenizers", "an array");
    }
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (const Json& part : *it) {
      HS_ASSIGN_OR_RETURN(std::unique_ptr<PreTokenizer> parsed, ParsePreTokenizer(part));
      parts.push_back(std::move(parsed));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(parts));
  }
  return json_fields::Unsupported("pre_tokenizer", type);
}

}  // namespace hybridserve::engine
