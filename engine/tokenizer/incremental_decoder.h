// Streaming detokenization: fed one id at a time, returns the newly completed text. Deltas are
// valid UTF-8, never split a character or an open byte-fallback (<0xNN>) sequence, and their
// concatenation (with Finish()) equals Tokenizer::Decode of all the ids fed.
//
// How: the decoder keeps a short window of token strings: the tokens of the last emitted chunk
// (the "prefix") plus the tokens not emitted yet. Each step decodes the window and emits what
// follows the prefix's own decode. Decoding a window that starts mid-sequence is fine because
// both decodes start at the same token, so position-dependent decoder steps (SentencePiece's
// Strip of one leading space, Metaspace dropping the marker in the first token) act the same on
// both. Text is held back while it ends in U+FFFD (an unfinished UTF-8 sequence from byte-level
// tokens) or while the last token is a byte-fallback token (the ByteFallback decoder decodes a
// whole run of them at once, and a later byte can turn the run invalid).
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_INCREMENTAL_DECODER_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_INCREMENTAL_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/tokenizer/tokenizer.h"

namespace hybridserve::engine {

class IncrementalDecoder {
 public:
  // tokenizer must outlive the decoder.
  IncrementalDecoder(const Tokenizer* tokenizer, bool skip_special_tokens);

  // Feeds one id; returns the text it completes (often empty while a character is unfinished).
  // An id outside the vocabulary is an error and changes nothing.
  absl::StatusOr<std::string> Add(int32_t id);
  // Returns the text still held back (end of stream) and resets the decoder.
  std::string Finish();

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_tokens_;
  bool byte_fallback_;
  std::vector<std::string> window_;  // token strings: the prefix, then the pending tokens
  size_t num_prefix_tokens_ = 0;
  std::string prefix_text_;  // decode of window_[0, num_prefix_tokens_)
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_INCREMENTAL_DECODER_H_
