// Writes a random-weight checkpoint for a config.json: every tensor the family's adapter expects,
// with values in sensible ranges (norm weights near 1, A_log, dt_bias and D in their usual
// ranges, matrices ~ N(0, std)). Used by benchmarks and tests that need models of real shapes
// without downloading any weights.
#ifndef HYBRIDSERVE_ENGINE_MODEL_RANDOM_CHECKPOINT_H_
#define HYBRIDSERVE_ENGINE_MODEL_RANDOM_CHECKPOINT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "engine/weights/dtype.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {

struct RandomCheckpointOptions {
  uint64_t seed = 0;
  DType dtype = DType::kF32;
  float matrix_std = 0.02f;
};

// Creates dir (if needed) and writes dir/config.json and dir/model.safetensors.
absl::Status WriteRandomCheckpoint(const nlohmann::json& config, const std::string& dir,
                                   const RandomCheckpointOptions& options = {});

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_RANDOM_CHECKPOINT_H_
