// Loads a checkpoint onto the backend a user asks for: "cpu" (CpuModel, fp32), "cuda" (CudaModel,
// in the storage type --dtype names) or "auto" (CUDA when this build has it and a GPU is present,
// else the CPU). The one place that knows which backends exist, for hybridtool and the server.
#ifndef HYBRIDSERVE_ENGINE_RUNNER_LOAD_RUNNER_H_
#define HYBRIDSERVE_ENGINE_RUNNER_LOAD_RUNNER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/model/model_runner.h"

namespace hybridserve::engine {

struct RunnerOptions {
  std::string device = "auto";    // cpu | cuda | auto
  std::string dtype = "auto";     // auto | f32 | bf16 | f16 (CUDA only; the CPU computes in fp32)
  std::string kv_dtype = "auto";  // KV cache storage on CUDA; auto: as dtype
  int num_threads = 0;            // CPU threads (0: all)
  int cuda_device = 0;
  // > 1: the model split over GPUs 0 .. N-1 (tensor parallelism with NCCL, CUDA only).
  int tensor_parallel_size = 1;
};

struct LoadedRunner {
  std::unique_ptr<ModelRunner> runner;
  std::string device;  // "cpu" or "cuda", what was chosen
  std::string dtype;   // "f32", "bf16" or "f16"
};

absl::StatusOr<LoadedRunner> LoadModelRunner(const std::string& dir, const RunnerOptions& options);

// True when this build has the CUDA backend and a CUDA device is present.
bool CudaBackendAvailable();

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_RUNNER_LOAD_RUNNER_H_
