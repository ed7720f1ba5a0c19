// The fp32 weights of one loaded model. Load() resolves every TensorRef of a ModelSpec against a
// checkpoint (trying aliases), checks shapes, widens BF16/F16 to fp32 once, and stores each
// stored tensor once however many views (tied embeddings, shared blocks, stacked experts) use it.
#ifndef HYBRIDSERVE_ENGINE_MODEL_WEIGHT_STORE_H_
#define HYBRIDSERVE_ENGINE_MODEL_WEIGHT_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "engine/model/host_weights.h"
#include "engine/model/model_spec.h"
#include "engine/weights/checkpoint.h"

namespace hybridserve::engine {

class WeightStore : public HostWeights {
 public:
  static absl::StatusOr<std::unique_ptr<WeightStore>> Load(const ModelSpec& spec,
                                                           const Checkpoint& checkpoint);

  // The fp32 data of a view, or nullptr for an absent (optional) ref. The ref must be one of the
  // spec's refs that Load() resolved.
  const float* Get(const TensorRef& ref) const override;

  int64_t num_stored_floats() const { return num_stored_floats_; }
  // Stored tensors by the name found in the checkpoint, for reporting dtypes.
  const std::vector<std::string>& stored_dtypes() const { return stored_dtypes_; }

 private:
  struct View {
    std::shared_ptr<std::vector<float>> data;
    int64_t offset_elements = 0;
  };
  absl::Status Resolve(const TensorRef& ref, const Checkpoint& checkpoint);

  // Keyed by ref.name + "@" + ref.offset_elements -> the view into the widened stored tensor.
  absl::flat_hash_map<std::string, View> by_ref_;
  absl::flat_hash_map<std::string, std::shared_ptr<std::vector<float>>> by_stored_name_;
  std::vector<std::string> stored_dtypes_;
  int64_t num_stored_floats_ = 0;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_WEIGHT_STORE_H_
