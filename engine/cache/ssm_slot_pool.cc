#include "engine/cache/ssm_slot_pool.h"

#include "base/check.h"

namespace hybridserve::engine {

SsmSlotPool::SsmSlotPool(int64_t num_slots) : in_use_(static_cast<size_t>(num_slots), false) {
  HS_CHECK(num_slots >= 0);
  for (int64_t s = num_slots - 1; s >= 0; --s) free_.push_back(static_cast<int32_t>(s));
}

std::optional<int32_t> SsmSlotPool::Allocate() {
  if (free_.empty()) return std::nullopt;
  const int32_t slot = free_.back();
  free_.pop_back();
  in_use_[slot] = true;
  return slot;
}

void SsmSlotPool::Release(int32_t slot) {
  HS_CHECK(slot >= 0 && slot < num_slots());
  HS_CHECK_MSG(in_use_[slot], "release of a free ssm slot");
  in_use_[slot] = false;
  free_.push_back(slot);
}

bool SsmSlotPool::in_use(int32_t slot) const {
  HS_CHECK(slot >= 0 && slot < num_slots());
  return in_use_[slot];
}

}  // namespace hybridserve::engine
