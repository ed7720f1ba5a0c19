#include "engine/runner/load_runner.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/model/cpu_model.h"
#if HS_HAVE_CUDA
#include <cuda_runtime.h>

#include "engine/cuda/cuda_model.h"
#include "engine/cuda/tensor_parallel_model.h"
#endif

namespace hybridserve::engine {

bool CudaBackendAvailable() {
#if HS_HAVE_CUDA
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
#else
  return false;
#endif
}

#if HS_HAVE_CUDA
namespace {
std::string DTypeName(kernels::cuda::DType dtype) {
  switch (dtype) {
    case kernels::cuda::DType::kBF16:
      return "bf16";
    case kernels::cuda::DType::kF16:
      return "f16";
    case kernels::cuda::DType::kF32:
      break;
  }
  return "f32";
}
}  // namespace
#endif

absl::StatusOr<LoadedRunner> LoadModelRunner(const std::string& dir, const RunnerOptions& options) {
  if (options.device != "cpu" && options.device != "cuda" && options.device != "auto") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown device '", options.device, "'; expected cpu, cuda or auto"));
  }
  const bool cuda =
      options.device == "cuda" || (options.device == "auto" && CudaBackendAvailable());
  LoadedRunner loaded;
  if (options.tensor_parallel_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tensor-parallel-size must be at least 1, not ", options.tensor_parallel_size));
  }
  if (!cuda && options.tensor_parallel_size > 1) {
    return absl::InvalidArgumentError(
        "--tensor-parallel-size above 1 needs --device cuda (the model is split over GPUs)");
  }
  if (!cuda) {
    if ((options.dtype != "auto" && options.dtype != "f32" && options.dtype != "float32") ||
        (options.kv_dtype != "auto" && options.kv_dtype != "f32")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--dtype ", options.dtype, " needs --device cuda; the CPU backend computes in fp32"));
    }
    CpuModelOptions cpu_options;
    cpu_options.num_threads = options.num_threads;
    HS_ASSIGN_OR_RETURN(std::unique_ptr<CpuModel> model, CpuModel::Load(dir, cpu_options));
    loaded.runner = std::move(model);
    loaded.device = "cpu";
    loaded.dtype = "f32";
    return loaded;
  }
#if HS_HAVE_CUDA
  CudaModelOptions cuda_options;
  cuda_options.device = options.cuda_device;
  HS_ASSIGN_OR_RETURN(cuda_options.dtype, ParseCudaDType(options.dtype));
  HS_ASSIGN_OR_RETURN(cuda_options.kv_dtype, ParseCudaDType(options.kv_dtype));
  if (options.tensor_parallel_size > 1) {
    TensorParallelOptions tp_options;
    tp_options.world = options.tensor_parallel_size;
    tp_options.dtype = cuda_options.dtype;
    tp_options.kv_dtype = cuda_options.kv_dtype;
    HS_ASSIGN_OR_RETURN(std::unique_ptr<TensorParallelModel> model,
                        TensorParallelModel::Load(dir, tp_options));
    loaded.dtype = DTypeName(model->shard(0).dtype());
    loaded.runner = std::move(model);
    loaded.device = "cuda";
    return loaded;
  }
  HS_ASSIGN_OR_RETURN(std::unique_ptr<CudaModel> model, CudaModel::Load(dir, cuda_options));
  loaded.dtype = DTypeName(model->dtype());
  loaded.runner = std::move(model);
  loaded.device = "cuda";
  return loaded;
#else
  return absl::FailedPreconditionError(
      "this build has no CUDA backend (configured without a CUDA toolkit); use --device cpu or "
      "rebuild with -DHYBRIDSERVE_CUDA=ON");
#endif
}

}  // namespace hybridserve::engine
