// A bounded, thread-safe cache from a pre-tokenized word to its token ids, so frequent words are
// merged once. Sharded by hash, each shard behind its own mutex; when a shard is full new words
// are simply not cached (no eviction, as in the reference implementation).
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_WORD_CACHE_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_WORD_CACHE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace hybridserve::engine {

class WordCache {
 public:
  // Words of max_word_bytes or more are never cached.
  WordCache(size_t capacity_words, size_t max_word_bytes);

  // Appends the cached ids of word to ids and returns true, or returns false.
  bool Lookup(std::string_view word, std::vector<int32_t>* ids) const;
  void Insert(std::string_view word, const int32_t* ids, size_t num_ids);

 private:
  static constexpr size_t kNumShards = 16;
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, std::vector<int32_t>> words;
  };
  Shard& ShardFor(std::string_view word) const;

  size_t capacity_per_shard_;
  size_t max_word_bytes_;
  mutable std::array<Shard, kNumShards> shards_;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_WORD_CACHE_H_
