// The BPE model of tokenizer.json: vocab, ranked merges (either file format: "a b" strings or
// ["a", "b"] pairs), unk_token/fuse_unk, byte_fallback to <0xNN> tokens, ignore_merges,
// continuing_subword_prefix and end_of_word_suffix. Encodes one pre-tokenized word at a time,
// applying the lowest-ranked merge first (leftmost on ties), with a per-word cache.
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_BPE_MODEL_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_BPE_MODEL_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "engine/tokenizer/word_cache.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {

class BpeModel {
 public:
  // Parses a tokenizer.json "model" object of type BPE.
  static absl::StatusOr<std::unique_ptr<BpeModel>> FromJson(const nlohmann::json& model);

  // Appends the ids of one word (non-empty, valid UTF-8) to ids. Thread-safe.
  void Tokenize(std::string_view word, std::vector<int32_t>* ids) const;

  std::optional<int32_t> TokenToId(std::string_view token) const;
  // The vocab string of id, or null when the vocab has no such id.
  const std::string* IdToToken(int32_t id) const;
  // One past the largest id in the vocab.
  int32_t id_limit() const { return static_cast<int32_t>(id_to_token_.size()); }
  size_t num_tokens() const { return vocab_.size(); }
  bool byte_fallback() const { return byte_fallback_; }

 private:
  BpeModel() : cache_(1 << 16, 256) {}
  void MergeWord(std::string_view word, std::vector<int32_t>* ids) const;

  absl::flat_hash_map<std::string, int32_t> vocab_;
  std::vector<std::string> id_to_token_;
  std::vector<bool> has_id_;
  // (left id << 32 | right id) -> (rank, merged id)
  absl::flat_hash_map<uint64_t, std::pair<int32_t, int32_t>> merges_;
  std::optional<int32_t> unk_id_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  std::string continuing_subword_prefix_;
  std::string end_of_word_suffix_;
  std::array<int32_t, 256> byte_ids_{};  // <0xNN> token ids, -1 when absent
  mutable WordCache cache_;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_BPE_MODEL_H_
