#include "engine/scheduler/priority_policy.h"

namespace hybridserve::engine {

bool PriorityPolicy::Before(const Sequence& a, const Sequence& b) const {
  if (a.priority != b.priority) return a.priority < b.priority;
  return a.arrival < b.arrival;
}

}  // namespace hybridserve::engine
