#include "engine/tokenizer/tokenizer.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/tokenizer/utf8.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {
namespace {

using Json = nlohmann::json;

absl::Status WithSource(std::string_view source, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(std::string(source), ": ", status.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("cannot open tokenizer file ", path,
                                            " (expected a Hugging Face tokenizer.json)"));
  }
  std::stringstream buffer;
  buffer << file.rdbuf();
  return FromJson(buffer.str(), path);
}

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromJson(std::string_view json_text,
                                                               std::string_view source) {
  Json j = Json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(source), ": not a JSON object (expected a Hugging Face tokenizer.json)"));
  }
  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
  for (const char* field : {"truncation", "padding"}) {
    if (auto it = j.find(field); it != j.end() && !it->is_null()) {
      return absl::UnimplementedError(
          absl::StrCat(std::string(source), ": ", field, " is not supported (set it to null)"));
    }
  }
  auto component = [&j](const char* name) -> const Json& {
    static const Json* const kNull = new Json(nullptr);
    auto it = j.find(name);
    return it == j.end() ? *kNull : *it;
  };
  if (const Json& n = component("normalizer"); !n.is_null()) {
    auto parsed = ParseNormalizer(n);
    if (!parsed.ok()) return WithSource(source, parsed.status());
    tokenizer->normalizer_ = *std::move(parsed);
  }
  if (const Json& p = component("pre_tokenizer"); !p.is_null()) {
    auto parsed = ParsePreTokenizer(p);
    if (!parsed.ok()) return WithSource(source, parsed.status());
    tokenizer->pre_tokenizer_ = *std::move(parsed);
  }
  {
    const Json& m = component("model");
    if (m.is_null())
      return absl::InvalidArgumentError(absl::StrCat(std::string(source), ": no \"model\""));
    auto parsed = BpeModel::FromJson(m);
    if (!parsed.ok()) return WithSource(source, parsed.status());
    tokenizer->model_ = *std::move(parsed);
  }
  if (const Json& d = component("decoder"); !d.is_null()) {
    auto parsed = ParseDecoder(d);
    if (!parsed.ok()) return WithSource(source, parsed.status());
    tokenizer->decoder_ = *std::move(parsed);
  }
  {
    auto parsed = PostProcessor::FromJson(component("post_processor"));
    if (!parsed.ok()) return WithSource(source, parsed.status());
    tokenizer->post_processor_ = *std::move(parsed);
  }
  {
    auto parsed = AddedVocabulary::Build(component("added_tokens"), *tokenizer->model_,
                                         tokenizer->normalizer_.get());
    if (!parsed.ok()) return WithSource(source, parsed.status());
    tokenizer->added_ = *std::move(parsed);
  }
  return tokenizer;
}

absl::StatusOr<std::vector<int32_t>> Tokenizer::Encode(std::string_view text,
                                                       bool add_special_tokens) const {
  const size_t bad = FirstInvalidUtf8(text);
  if (bad != text.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("input text is not valid UTF-8 (first bad byte 0x",
                     absl::Hex(static_cast<unsigned char>(text[bad]), absl::kZeroPad2),
                     " at byte offset ", bad, "); send UTF-8 encoded text"));
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  std::vector<InputSegment> segments;
  added_.Extract(text, normalizer_.get(), &segments);
  std::vector<PreToken> pieces;
  for (InputSegment& segment : segments) {
    if (segment.id >= 0) {
      ids.push_back(segment.id);
      continue;
    }
    if (pre_tokenizer_ == nullptr) {
      model_->Tokenize(segment.piece.text, &ids);
      continue;
    }
    pieces.clear();
    pieces.push_back(std::move(segment.piece));
    pre_tokenizer_->PreTokenize(&pieces);
    for (const PreToken& piece : pieces) model_->Tokenize(piece.text, &ids);
  }
  post_processor_.Process(add_special_tokens, &ids);
  return ids;
}

absl::Status Tokenizer::IdsToTokens(absl::Span<const int32_t> ids, bool skip_special_tokens,
                                    std::vector<std::string>* tokens) const {
  tokens->reserve(tokens->size() + ids.size());
  for (const int32_t id : ids) {
    const std::string* token = added_.IdToToken(id);
    if (token == nullptr) token = model_->IdToToken(id);
    if (token == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("token id ", id, " is not in the tokenizer's vocabulary (ids are 0..",
                       vocab_size() - 1, ")"));
    }
    if (skip_special_tokens && added_.IsSpecialContent(*token)) continue;
    tokens->push_back(*token);
  }
  return absl::OkStatus();
}

std::string Tokenizer::DecodeTokens(std::vector<std::string> tokens) const {
  std::string text;
  if (decoder_ == nullptr) {
    for (size_t i = 0; i < tokens.size(); ++i) absl::StrAppend(&text, i ? " " : "", tokens[i]);
    return text;
  }
  decoder_->DecodeChain(&tokens);
  for (const std::string& token : tokens) text.append(token);
  return text;
}

absl::StatusOr<std::string> Tokenizer::Decode(absl::Span<const int32_t> ids,
                                              bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  HS_RETURN_IF_ERROR(IdsToTokens(ids, skip_special_tokens, &tokens));
  return DecodeTokens(std::move(tokens));
}

bool Tokenizer::decoder_has_byte_fallback() const {
  return decoder_ != nullptr && decoder_->HasByteFallback();
}

bool Tokenizer::decoder_has_byte_level() const {
  return decoder_ != nullptr && decoder_->HasByteLevel();
}

int32_t Tokenizer::vocab_size() const { return std::max(model_->id_limit(), added_.id_limit()); }

std::optional<int32_t> Tokenizer::TokenToId(std::string_view token) const {
  if (auto id = added_.TokenToId(token); id.has_value()) return id;
  return model_->TokenToId(token);
}

std::optional<std::string> Tokenizer::IdToToken(int32_t id) const {
  if (const std::string* token = added_.IdToToken(id); token != nullptr) return *token;
  if (const std::string* token = model_->IdToToken(id); token != nullptr) return *token;
  return std::nullopt;
}

bool Tokenizer::IsSpecial(int32_t id) const { return added_.IsSpecialId(id); }

}  // namespace hybridserve::engine
