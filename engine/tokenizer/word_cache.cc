#include "engine/tokenizer/word_cache.h"

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace hybridserve::engine {

WordCache::WordCache(size_t capacity_words, size_t max_word_bytes)
    : capacity_per_shard_((capacity_words + kNumShards - 1) / kNumShards),
      max_word_bytes_(max_word_bytes) {}

WordCache::Shard& WordCache::ShardFor(std::string_view word) const {
  const size_t hash = absl::Hash<absl::string_view>()(absl::string_view(word.data(), word.size()));
  return shards_[(hash >> 7) % kNumShards];
}

bool WordCache::Lookup(std::string_view word, std::vector<int32_t>* ids) const {
  if (word.size() >= max_word_bytes_) return false;
  Shard& shard = ShardFor(word);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.words.find(absl::string_view(word.data(), word.size()));
  if (it == shard.words.end()) return false;
  ids->insert(ids->end(), it->second.begin(), it->second.end());
  return true;
}

void WordCache::Insert(std::string_view word, const int32_t* ids, size_t num_ids) {
  if (word.size() >= max_word_bytes_) return;
  Shard& shard = ShardFor(word);
  absl::MutexLock lock(&shard.mu);
  if (shard.words.size() >= capacity_per_shard_) return;
  shard.words.try_emplace(std::string(word), ids, ids + num_ids);
}

}  // namespace hybridserve::engine
