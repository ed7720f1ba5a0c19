#include "engine/cache/kv_block_pool.h"

#include "base/check.h"

namespace hybridserve::engine {

KvBlockPool::KvBlockPool(int64_t num_blocks, int64_t block_size_tokens)
    : block_size_tokens_(block_size_tokens), ref_counts_(static_cast<size_t>(num_blocks), 0) {
  HS_CHECK(num_blocks >= 0 && block_size_tokens > 0);
  free_.reserve(static_cast<size_t>(num_blocks));
  // Lowest ids on top of the stack.
  for (int64_t b = num_blocks - 1; b >= 0; --b) free_.push_back(static_cast<int32_t>(b));
}

int64_t KvBlockPool::BlocksFor(int64_t num_tokens) const {
  return (num_tokens + block_size_tokens_ - 1) / block_size_tokens_;
}

bool KvBlockPool::Allocate(int64_t num_blocks, std::vector<int32_t>* block_table) {
  HS_CHECK(num_blocks >= 0);
  if (num_blocks > num_free()) return false;
  for (int64_t i = 0; i < num_blocks; ++i) {
    const int32_t block = free_.back();
    free_.pop_back();
    HS_CHECK(ref_counts_[block] == 0);
    ref_counts_[block] = 1;
    block_table->push_back(block);
  }
  return true;
}

bool KvBlockPool::EnsureCapacity(int64_t num_tokens, std::vector<int32_t>* block_table) {
  const int64_t missing = BlocksFor(num_tokens) - static_cast<int64_t>(block_table->size());
  if (missing <= 0) return true;
  return Allocate(missing, block_table);
}

void KvBlockPool::AddRef(int32_t block) {
  HS_CHECK(block >= 0 && block < num_blocks());
  HS_CHECK_MSG(ref_counts_[block] > 0, "AddRef of a free block");
  ++ref_counts_[block];
}

void KvBlockPool::Release(std::vector<int32_t>* block_table) {
  for (int32_t block : *block_table) {
    HS_CHECK(block >= 0 && block < num_blocks());
    HS_CHECK_MSG(ref_counts_[block] > 0, "release of a free block");
    if (--ref_counts_[block] == 0) free_.push_back(block);
  }
  block_table->clear();
}

int32_t KvBlockPool::ref_count(int32_t block) const {
  HS_CHECK(block >= 0 && block < num_blocks());
  return ref_counts_[block];
}

}  // namespace hybridserve::engine
