// The batching engine on the CPU backend: batched == alone (engine_equivalence_cases.h).
#include "engine/model/cpu_model.h"
#include "tests/engine/serving/engine_equivalence_cases.h"

namespace hybridserve::engine {

absl::StatusOr<std::unique_ptr<ModelRunner>> LoadTestRunner(const std::string& dir) {
  auto model = CpuModel::Load(dir, {.num_threads = 1});
  if (!model.ok()) return model.status();
  return std::unique_ptr<ModelRunner>(std::move(*model));
}

}  // namespace hybridserve::engine
