// First come, first served: submission order. A preempted sequence keeps its place, so it goes
// back ahead of everything submitted after it.
#ifndef HYBRIDSERVE_ENGINE_SCHEDULER_FCFS_POLICY_H_
#define HYBRIDSERVE_ENGINE_SCHEDULER_FCFS_POLICY_H_

#include "engine/scheduler/scheduling_policy.h"

namespace hybridserve::engine {

class FcfsPolicy : public SchedulingPolicy {
 public:
  bool Before(const Sequence& a, const Sequence& b) const override;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_SCHEDULER_FCFS_POLICY_H_
