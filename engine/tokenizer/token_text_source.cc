#include "engine/tokenizer/token_text_source.h"

#include "absl/strings/str_replace.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/decoders.h"

namespace hybridserve::engine {

TokenizerTextSource::TokenizerTextSource(const Tokenizer& tokenizer) {
  bytes_.resize(static_cast<size_t>(tokenizer.vocab_size()));
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    const std::optional<std::string> token = tokenizer.IdToToken(id);
    if (!token || tokenizer.IsSpecial(id)) continue;
    std::string out;
    unsigned char byte = 0;
    if (AppendBytesOfChars(*token, &out)) {
      bytes_[id] = std::move(out);
    } else if (ParseByteToken(*token, &byte)) {
      bytes_[id] = std::string(1, static_cast<char>(byte));
    } else {
      bytes_[id] = absl::StrReplaceAll(*token, {{"\xe2\x96\x81", " "}});  // U+2581
    }
  }
}

std::string TokenizerTextSource::TokenBytes(int32_t token) const {
  if (token < 0 || static_cast<size_t>(token) >= bytes_.size()) return "";
  return bytes_[token];
}

}  // namespace hybridserve::engine
