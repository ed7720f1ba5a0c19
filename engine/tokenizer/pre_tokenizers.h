// tokenizer.json pre-tokenizers: ByteLevel (optionally with the GPT-2 regex), Split (literal or
// regex, every delimiter behavior, invert), Metaspace, and Sequence of these. A pre-tokenizer
// splits each piece of normalized text into smaller pieces ("words"); the model then encodes
// every word on its own.
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_PRE_TOKENIZERS_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_PRE_TOKENIZERS_H_

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {

struct PreToken {
  std::string text;
  // True when the piece begins at the very start of the original input (Metaspace's "first"
  // prepend scheme looks at this).
  bool at_start = false;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces *pieces by their split (empty pieces are dropped).
  virtual void PreTokenize(std::vector<PreToken>* pieces) const = 0;
};

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// Splits text at the given non-overlapping matches according to behavior (invert swaps which
// parts count as delimiters) and appends the non-empty parts to out.
void SplitByMatches(const PreToken& piece, const std::vector<std::pair<size_t, size_t>>& matches,
                    SplitBehavior behavior, bool invert, std::vector<PreToken>* out);

absl::StatusOr<std::unique_ptr<PreTokenizer>> ParsePreTokenizer(const nlohmann::json& j);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_PRE_TOKENIZERS_H_
