#include "engine/tokenizer/token_text_source.h"

#include "absl/strings/str_replace.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/decoders.h"
#include "engine/tokenizer/utf8.h"

namespace hybridserve::engine {

TokenizerTextSource::TokenizerTextSource(const Tokenizer& tokenizer) {
  bytes_.resize(static_cast<size_t>(tokenizer.vocab_size()));
  const bool byte_fallback = tokenizer.decoder_has_byte_fallback();
  const bool byte_level = tokenizer.decoder_has_byte_level();
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    const std::optional<std::string> token = tokenizer.IdToToken(id);
    if (!token || tokenizer.IsSpecial(id)) continue;
    std::string out;
    unsigned char byte = 0;
    if (byte_fallback && ParseByteToken(*token, &byte)) {
      bytes_[id] = std::string(1, static_cast<char>(byte));
    } else if (byte_level && AppendBytesOfChars(*token, &out)) {
      bytes_[id] = std::move(out);
    } else {
      bytes_[id] = absl::StrReplaceAll(*token, {{"\xe2\x96\x81", " "}});  // U+2581
    }
    // Decoded alone, the token is at the start of the text. Part of a UTF-8 character decodes
    // to U+FFFD: such a token keeps its bytes (no decoder strips part of a character).
    std::string first = tokenizer.DecodeTokens({*token});
    if (first != bytes_[id] && IsValidUtf8(first) &&
        first.find(kReplacementChar) == std::string::npos) {
      first_bytes_[id] = std::move(first);
    }
  }
}

std::string TokenizerTextSource::TokenBytes(int32_t token) const {
  if (token < 0 || static_cast<size_t>(token) >= bytes_.size()) return "";
  return bytes_[token];
}

std::string TokenizerTextSource::FirstTokenBytes(int32_t token) const {
  if (auto it = first_bytes_.find(token); it != first_bytes_.end()) return it->second;
  return TokenBytes(token);
}

}  // namespace hybridserve::engine
