// A compiled, Unicode-aware regular expression (PCRE2 with PCRE2_UTF | PCRE2_UCP, JIT-compiled
// when available) with the matching semantics tokenizer.json patterns are written for.
//
// tokenizer.json patterns follow Oniguruma (Ruby syntax). The one difference that matters for
// real tokenizers is `\s`: Oniguruma matches the Unicode White_Space property, which includes
// U+0085; PCRE2's UCP `\s` does not. Pattern() rewrites `\s` (and `\S` outside classes) into an
// explicit White_Space class so both engines split identically.
//
// Thread-safe: one Regex may be used from several threads at once (each thread keeps its own
// match data and JIT stack).
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_REGEX_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_REGEX_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace hybridserve::engine {

class Regex {
 public:
  // Compiles an Oniguruma-style pattern. Errors name the pattern and the position.
  static absl::StatusOr<std::unique_ptr<Regex>> Compile(std::string_view pattern);
  // A pattern that matches `literal` exactly.
  static absl::StatusOr<std::unique_ptr<Regex>> Literal(std::string_view literal);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Appends [start, end) byte offsets of the successive non-overlapping matches in text (which
  // must be valid UTF-8). An empty match right where the previous match ended is skipped, and
  // the search moves on by one character.
  void FindAll(std::string_view text, std::vector<std::pair<size_t, size_t>>* matches) const;

  // The PCRE2 pattern actually compiled (after the `\s` rewrite).
  const std::string& compiled_pattern() const { return compiled_pattern_; }

 private:
  Regex() = default;
  void* code_ = nullptr;  // pcre2_code*
  bool jit_ = false;
  std::string compiled_pattern_;
};

// Rewrites `\s` and `\S` in an Oniguruma pattern into explicit Unicode White_Space classes.
std::string RewriteWhitespaceClasses(std::string_view pattern);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_REGEX_H_
