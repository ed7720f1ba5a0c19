// Ownership of the SSM state slots: one slot (conv window + recurrent state of every SSM layer,
// see CacheStore) per running sequence. Slot ids index CacheStore's SSM memory; the slot's size
// comes from the model spec and never from the KV block size.
// Not thread-safe: the engine loop is its only user.
#ifndef HYBRIDSERVE_ENGINE_CACHE_SSM_SLOT_POOL_H_
#define HYBRIDSERVE_ENGINE_CACHE_SSM_SLOT_POOL_H_

#include <cstdint>
#include <optional>
#include <vector>

namespace hybridserve::engine {

class SsmSlotPool {
 public:
  explicit SsmSlotPool(int64_t num_slots);

  int64_t num_slots() const { return static_cast<int64_t>(in_use_.size()); }
  int64_t num_free() const { return static_cast<int64_t>(free_.size()); }
  int64_t num_used() const { return num_slots() - num_free(); }

  // A free slot, or nullopt when all are held.
  std::optional<int32_t> Allocate();
  void Release(int32_t slot);
  bool in_use(int32_t slot) const;

 private:
  std::vector<bool> in_use_;  // [num_slots]
  std::vector<int32_t> free_;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_CACHE_SSM_SLOT_POOL_H_
