// The batching engine on the CUDA backend (fp32): batched == alone (engine_equivalence_cases.h):
// 32 concurrent requests, chunked prefill, preemption, seeded sampling.
#include "engine/cuda/cuda_model.h"
#include "tests/engine/serving/engine_equivalence_cases.h"

namespace hybridserve::engine {

absl::StatusOr<std::unique_ptr<ModelRunner>> LoadTestRunner(const std::string& dir) {
  auto model = CudaModel::Load(dir, {.dtype = CudaDType::kF32});
  if (!model.ok()) return model.status();
  return std::unique_ptr<ModelRunner>(std::move(*model));
}

}  // namespace hybridserve::engine
