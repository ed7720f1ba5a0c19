#include "engine/tokenizer/incremental_decoder.h"

#include <utility>

#include "base/status_macros.h"
#include "engine/tokenizer/decoders.h"
#include "engine/tokenizer/utf8.h"

namespace hybridserve::engine {
namespace {

bool EndsWith(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

IncrementalDecoder::IncrementalDecoder(const Tokenizer* tokenizer, bool skip_special_tokens)
    : tokenizer_(tokenizer),
      skip_special_tokens_(skip_special_tokens),
      byte_fallback_(tokenizer->decoder_has_byte_fallback()) {}

absl::StatusOr<std::string> IncrementalDecoder::Add(int32_t id) {
  const size_t before = window_.size();
  HS_RETURN_IF_ERROR(tokenizer_->IdsToTokens({id}, skip_special_tokens_, &window_));
  if (window_.size() == before) return std::string();  // a skipped special token
  unsigned char byte = 0;
  if (byte_fallback_ && ParseByteToken(window_.back(), &byte)) return std::string();
  std::string text = tokenizer_->DecodeTokens(window_);
  if (text.size() <= prefix_text_.size() || EndsWith(text, kReplacementChar) ||
      !StartsWith(text, prefix_text_)) {
    return std::string();
  }
  std::string delta = text.substr(prefix_text_.size());
  // The tokens just emitted become the prefix of the next window.
  window_.erase(window_.begin(), window_.begin() + static_cast<std::ptrdiff_t>(num_prefix_tokens_));
  num_prefix_tokens_ = window_.size();
  prefix_text_ = tokenizer_->DecodeTokens(window_);
  return delta;
}

std::string IncrementalDecoder::Finish() {
  std::string delta;
  if (window_.size() > num_prefix_tokens_) {
    std::string text = tokenizer_->DecodeTokens(window_);
    if (StartsWith(text, prefix_text_)) delta = text.substr(prefix_text_.size());
  }
  window_.clear();
  num_prefix_tokens_ = 0;
  prefix_text_.clear();
  return delta;
}

}  // namespace hybridserve::engine
