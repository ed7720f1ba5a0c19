// A scheduling policy orders sequences: the waiting queue is admitted in this order, running
// sequences are served in this order, and under memory pressure the last running one in this
// order is preempted first.
#ifndef HYBRIDSERVE_ENGINE_SCHEDULER_SCHEDULING_POLICY_H_
#define HYBRIDSERVE_ENGINE_SCHEDULER_SCHEDULING_POLICY_H_

#include "engine/scheduler/sequence.h"

namespace hybridserve::engine {

class SchedulingPolicy {
 public:
  virtual ~SchedulingPolicy() = default;
  // True when a should be served before b (a strict weak order).
  virtual bool Before(const Sequence& a, const Sequence& b) const = 0;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_SCHEDULER_SCHEDULING_POLICY_H_
