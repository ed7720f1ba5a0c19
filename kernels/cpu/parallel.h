// Internal to kernels/cpu: run a range loop on the pool when there is one, inline otherwise
// (the ops accept pool == nullptr to mean single-threaded).
#ifndef HYBRIDSERVE_KERNELS_CPU_PARALLEL_H_
#define HYBRIDSERVE_KERNELS_CPU_PARALLEL_H_

#include <cstdint>
#include <functional>

#include "kernels/cpu/thread_pool.h"

namespace hybridserve::kernels::cpu {

inline void ParallelFor(ThreadPool* pool, int64_t n,
                        const std::function<void(int64_t, int64_t)>& fn, int64_t min_grain = 1) {
  if (n <= 0) return;
  if (pool == nullptr) {
    fn(0, n);
  } else {
    pool->ParallelFor(n, fn, min_grain);
  }
}

// A grain that gives each range roughly kTargetElements elements of work when one item costs
// elements_per_item.
inline int64_t GrainFor(int64_t elements_per_item) {
  constexpr int64_t kTargetElements = 16384;
  if (elements_per_item <= 0) return 1;
  const int64_t grain = kTargetElements / elements_per_item;
  return grain < 1 ? 1 : grain;
}

}  // namespace hybridserve::kernels::cpu

#endif  // HYBRIDSERVE_KERNELS_CPU_PARALLEL_H_
