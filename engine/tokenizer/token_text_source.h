// The bytes each token id stands for, taken from a Tokenizer, for the engine's text streaming
// and stop strings (engine/sampling/token_text_source.h). Byte-level BPE tokens map back through
// the byte table, byte-fallback tokens "<0xNN>" to their byte, SentencePiece pieces with "▁" as
// a space; special tokens stand for no text (they are skipped in streamed output).
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_TOKEN_TEXT_SOURCE_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_TOKEN_TEXT_SOURCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/sampling/token_text_source.h"
#include "engine/tokenizer/tokenizer.h"

namespace hybridserve::engine {

class TokenizerTextSource : public TokenTextSource {
 public:
  // Precomputes every token's bytes; the tokenizer need not outlive this object.
  explicit TokenizerTextSource(const Tokenizer& tokenizer);
  std::string TokenBytes(int32_t token) const override;

 private:
  std::vector<std::string> bytes_;  // by token id
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_TOKEN_TEXT_SOURCE_H_
