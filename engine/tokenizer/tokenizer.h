// A Hugging Face-compatible tokenizer loaded from tokenizer.json: added/special tokens, then the
// normalizer, pre-tokenizer and BPE model, then the post-processor; decoding runs the decoder
// chain. Supported components are listed in engine/tokenizer/README.md; anything else makes
// loading fail with an error naming it, never a silently different tokenization.
//
// Thread-safe for concurrent const use (Encode/Decode from several threads).
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_TOKENIZER_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/tokenizer/added_tokens.h"
#include "engine/tokenizer/bpe_model.h"
#include "engine/tokenizer/decoders.h"
#include "engine/tokenizer/normalizers.h"
#include "engine/tokenizer/post_processor.h"
#include "engine/tokenizer/pre_tokenizers.h"

namespace hybridserve::engine {

class Tokenizer {
 public:
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromFile(const std::string& path);
  // source names the text in error messages.
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromJson(
      std::string_view json_text, std::string_view source = "tokenizer.json");

  // Encodes UTF-8 text (invalid UTF-8 is an InvalidArgument error naming the byte offset).
  absl::StatusOr<std::vector<int32_t>> Encode(std::string_view text, bool add_special_tokens) const;
  // Decodes ids; an id that is in neither the vocab nor the added tokens is an error.
  absl::StatusOr<std::string> Decode(absl::Span<const int32_t> ids, bool skip_special_tokens) const;

  // One past the largest id (vocab and added tokens).
  int32_t vocab_size() const;
  std::optional<int32_t> TokenToId(std::string_view token) const;
  // The vocab (or added-token) string of id, as stored in tokenizer.json.
  std::optional<std::string> IdToToken(int32_t id) const;
  bool IsSpecial(int32_t id) const;

  // For IncrementalDecoder: the token strings of ids (special ones dropped when asked), and the
  // decoder chain applied to token strings.
  absl::Status IdsToTokens(absl::Span<const int32_t> ids, bool skip_special_tokens,
                           std::vector<std::string>* tokens) const;
  std::string DecodeTokens(std::vector<std::string> tokens) const;
  bool decoder_has_byte_fallback() const;
  bool decoder_has_byte_level() const;

 private:
  Tokenizer() = default;

  std::unique_ptr<Normalizer> normalizer_;       // may be null
  std::unique_ptr<PreTokenizer> pre_tokenizer_;  // may be null
  std::unique_ptr<BpeModel> model_;
  std::unique_ptr<Decoder> decoder_;  // may be null: tokens are joined with spaces
  PostProcessor post_processor_;
  AddedVocabulary added_;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_TOKENIZER_H_
