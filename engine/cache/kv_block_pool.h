// Ownership of the KV store's blocks (fixed-size pages of block_size_tokens positions). A block is
// free or held; each holder counts once in its reference count, so a block can later be shared
// between sequences (prefix caching) and returns to the free list when its last holder lets go.
// Block ids index CacheStore's KV memory; this class holds no tensor memory itself.
// Not thread-safe: the engine loop is its only user.
#ifndef HYBRIDSERVE_ENGINE_CACHE_KV_BLOCK_POOL_H_
#define HYBRIDSERVE_ENGINE_CACHE_KV_BLOCK_POOL_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace hybridserve::engine {

class KvBlockPool {
 public:
  KvBlockPool(int64_t num_blocks, int64_t block_size_tokens);

  int64_t num_blocks() const { return static_cast<int64_t>(ref_counts_.size()); }
  int64_t block_size_tokens() const { return block_size_tokens_; }
  int64_t num_free() const { return static_cast<int64_t>(free_.size()); }
  int64_t num_used() const { return num_blocks() - num_free(); }
  // Blocks needed to hold num_tokens positions.
  int64_t BlocksFor(int64_t num_tokens) const;

  // Appends num_blocks fresh blocks (reference count 1) to *block_table. Returns false and
  // changes nothing when fewer are free.
  bool Allocate(int64_t num_blocks, std::vector<int32_t>* block_table);
  // Grows *block_table until it covers num_tokens positions; false (nothing changed) when the
  // pool cannot supply the missing blocks.
  bool EnsureCapacity(int64_t num_tokens, std::vector<int32_t>* block_table);
  // One more holder of an allocated block.
  void AddRef(int32_t block);
  // Drops one reference of every block of the table and clears it.
  void Release(std::vector<int32_t>* block_table);
  int32_t ref_count(int32_t block) const;

 private:
  int64_t block_size_tokens_;
  std::vector<int32_t> ref_counts_;  // [num_blocks]
  std::vector<int32_t> free_;        // stack of free block ids
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_CACHE_KV_BLOCK_POOL_H_
