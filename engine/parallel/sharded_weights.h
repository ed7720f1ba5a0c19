// The host weights of one tensor-parallel shard: the sliced tensors of a ShardedSpec cut out of
// the full model's weights, the whole ones read through from them.
#ifndef HYBRIDSERVE_ENGINE_PARALLEL_SHARDED_WEIGHTS_H_
#define HYBRIDSERVE_ENGINE_PARALLEL_SHARDED_WEIGHTS_H_

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "engine/model/host_weights.h"
#include "engine/parallel/shard_plan.h"

namespace hybridserve::engine {

class ShardedWeights : public HostWeights {
 public:
  // `full` must outlive the result (whole tensors are not copied).
  static absl::StatusOr<ShardedWeights> Cut(const ShardedSpec& shard, const HostWeights& full);

  const float* Get(const TensorRef& ref) const override;

 private:
  explicit ShardedWeights(const HostWeights* full) : full_(full) {}
  const HostWeights* full_;
  absl::flat_hash_map<std::string, std::vector<float>> parts_;  // by sliced ref name
};

// The slice's elements of a full view of `shape`, row-major in the slice's shape.
std::vector<float> CutSlice(const TensorSlice& slice, const float* full,
                            const std::vector<int64_t>& shape);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_PARALLEL_SHARDED_WEIGHTS_H_
