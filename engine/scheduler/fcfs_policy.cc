#include "engine/scheduler/fcfs_policy.h"

namespace hybridserve::engine {

bool FcfsPolicy::Before(const Sequence& a, const Sequence& b) const {
  return a.arrival < b.arrival;
}

}  // namespace hybridserve::engine
