// Where the text of a token comes from: the tokenizer implements this (the bytes a token id
// stands for, which may be part of a UTF-8 character). Stop strings and text streaming need it.
#ifndef HYBRIDSERVE_ENGINE_SAMPLING_TOKEN_TEXT_SOURCE_H_
#define HYBRIDSERVE_ENGINE_SAMPLING_TOKEN_TEXT_SOURCE_H_

#include <cstdint>
#include <string>

namespace hybridserve::engine {

class TokenTextSource {
 public:
  virtual ~TokenTextSource() = default;
  // Bytes of one token; must be safe to call from the engine thread while others use it.
  virtual std::string TokenBytes(int32_t token) const = 0;
  // Bytes of the token that begins a text (the first with any bytes). Decoders may treat it
  // differently: SentencePiece's Strip decoder removes the text's leading space, Metaspace drops
  // the first token's markers. Defaults to TokenBytes.
  virtual std::string FirstTokenBytes(int32_t token) const { return TokenBytes(token); }
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_SAMPLING_TOKEN_TEXT_SOURCE_H_
