// Added and special tokens of tokenizer.json ("added_tokens"): found in the input before the
// model runs, honoring each token's flags. Tokens with normalized=false are matched in the raw
// text; the text between them is normalized piece by piece, and tokens with normalized=true are
// then matched in the normalized pieces (against their own normalized content). Matching is
// leftmost-longest; single_word matches that touch word characters are dropped; lstrip/rstrip
// absorb the whitespace before/after the token.
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_ADDED_TOKENS_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_ADDED_TOKENS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "engine/tokenizer/bpe_model.h"
#include "engine/tokenizer/normalizers.h"
#include "engine/tokenizer/pre_tokenizers.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {

struct AddedToken {
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
};

// A piece of the input after added-token extraction: either an added token (id >= 0) or
// normalized text for the pre-tokenizer (id == -1).
struct InputSegment {
  PreToken piece;
  int32_t id = -1;
};

class AddedVocabulary {
 public:
  // Parses the "added_tokens" array and assigns ids the way the reference implementation does:
  // a token whose content is in the model vocab (or already added) keeps that id, others get
  // the next free id after the vocab. normalizer may be null.
  static absl::StatusOr<AddedVocabulary> Build(const nlohmann::json& added_tokens,
                                               const BpeModel& model, const Normalizer* normalizer);

  // Splits text into segments (see the file comment), normalizing the non-token parts.
  void Extract(std::string_view text, const Normalizer* normalizer,
               std::vector<InputSegment>* out) const;

  // The string an added token decodes to (its normalized content when it has one), or null.
  const std::string* IdToToken(int32_t id) const;
  std::optional<int32_t> TokenToId(std::string_view content) const;
  bool IsSpecialId(int32_t id) const;
  // Whether a decoded token string is the content of a special token.
  bool IsSpecialContent(std::string_view token) const;
  int32_t id_limit() const { return id_limit_; }
  bool empty() const { return tokens_.empty(); }

 private:
  struct Entry {
    int32_t id;
    AddedToken token;
    std::string decoded;  // content, or its normalized form when normalized
  };
  // Leftmost-longest exact matcher over a set of patterns.
  struct Matcher {
    std::vector<std::pair<std::string, int32_t>> patterns;  // longest first
    std::array<std::vector<int32_t>, 256> by_first_byte;    // indices into patterns
    void Build();
    // Non-overlapping (start, end, entry index) matches.
    void FindAll(std::string_view text, std::vector<std::array<size_t, 3>>* matches) const;
  };
  void SplitWith(const Matcher& matcher, const PreToken& piece,
                 std::vector<InputSegment>* out) const;

  std::vector<Entry> tokens_;
  absl::flat_hash_map<int32_t, size_t> by_id_;  // id -> index in tokens_
  absl::flat_hash_map<std::string, int32_t> by_content_;
  absl::flat_hash_set<std::string> special_contents_;
  Matcher raw_matcher_;
  Matcher normalized_matcher_;
  int32_t id_limit_ = 0;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_ADDED_TOKENS_H_
