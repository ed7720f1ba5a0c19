// The bytes each token id stands for, taken from a Tokenizer, for the engine's text streaming
// and stop strings (engine/sampling/token_text_source.h). Byte-level BPE tokens map back through
// the byte table (when the decoder has ByteLevel), byte-fallback tokens "<0xNN>" to their byte
// (when it has ByteFallback), SentencePiece pieces with "▁" as a space; special tokens stand for
// no text (they are skipped in streamed output). The token that begins a text reads as the decoder
// decodes it alone (SentencePiece's Strip decoder drops the leading space, Metaspace the first
// token's markers), so that FirstTokenBytes of the first token followed by TokenBytes of the rest
// equals Tokenizer::Decode with special tokens skipped.
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_TOKEN_TEXT_SOURCE_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_TOKEN_TEXT_SOURCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/sampling/token_text_source.h"
#include "engine/tokenizer/tokenizer.h"

namespace hybridserve::engine {

class TokenizerTextSource : public TokenTextSource {
 public:
  // Precomputes every token's bytes; the tokenizer need not outlive this object.
  explicit TokenizerTextSource(const Tokenizer& tokenizer);
  std::string TokenBytes(int32_t token) const override;
  std::string FirstTokenBytes(int32_t token) const override;

 private:
  std::vector<std::string> bytes_;                         // by token id
  absl::flat_hash_map<int32_t, std::string> first_bytes_;  // where they differ from bytes_
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_TOKEN_TEXT_SOURCE_H_
