// Where a model's fp32 weights come from on the host when a backend uploads them: the whole
// checkpoint (WeightStore) or one tensor-parallel shard of it (engine/parallel ShardedWeights).
#ifndef HYBRIDSERVE_ENGINE_MODEL_HOST_WEIGHTS_H_
#define HYBRIDSERVE_ENGINE_MODEL_HOST_WEIGHTS_H_

#include "engine/model/model_spec.h"

namespace hybridserve::engine {

class HostWeights {
 public:
  virtual ~HostWeights() = default;
  // The fp32 data of a view (shape ref.shape, row-major), or nullptr for an absent ref. Views
  // that share data return the same pointer.
  virtual const float* Get(const TensorRef& ref) const = 0;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_HOST_WEIGHTS_H_
