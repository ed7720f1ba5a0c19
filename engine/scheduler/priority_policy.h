// Priority: lower priority value first, submission order among equals. Under memory pressure the
// lowest-priority (then latest) running sequence is preempted first.
#ifndef HYBRIDSERVE_ENGINE_SCHEDULER_PRIORITY_POLICY_H_
#define HYBRIDSERVE_ENGINE_SCHEDULER_PRIORITY_POLICY_H_

#include "engine/scheduler/scheduling_policy.h"

namespace hybridserve::engine {

class PriorityPolicy : public SchedulingPolicy {
 public:
  bool Before(const Sequence& a, const Sequence& b) const override;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_SCHEDULER_PRIORITY_POLICY_H_
