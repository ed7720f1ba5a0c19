// Error checks for CUDA runtime and cuBLAS calls. A failing call in an op is a programmer error or
// a dead device: it aborts with the call, file, line and the library's message. Fallible
// boundaries (allocation at load, device discovery) use CudaStatus and return absl::Status.
#ifndef HYBRIDSERVE_KERNELS_CUDA_CUDA_CHECK_H_
#define HYBRIDSERVE_KERNELS_CUDA_CUDA_CHECK_H_

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/check.h"

namespace hybridserve::kernels::cuda {

inline absl::Status CudaStatus(cudaError_t error, const char* what) {
  if (error == cudaSuccess) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": ", cudaGetErrorString(error)));
}

}  // namespace hybridserve::kernels::cuda

#define HS_CUDA_CHECK(call)                                                 \
  do {                                                                      \
    const cudaError_t hs_cuda_error_ = (call);                              \
    if (hs_cuda_error_ != cudaSuccess) {                                    \
      ::hybridserve::base::CheckFailed(__FILE__, __LINE__, #call,           \
                                       cudaGetErrorString(hs_cuda_error_)); \
    }                                                                       \
  } while (false)

#define HS_CUBLAS_CHECK(call)                                                     \
  do {                                                                            \
    const cublasStatus_t hs_cublas_status_ = (call);                              \
    if (hs_cublas_status_ != CUBLAS_STATUS_SUCCESS) {                             \
      ::hybridserve::base::CheckFailed(__FILE__, __LINE__, #call,                 \
                                       cublasGetStatusString(hs_cublas_status_)); \
    }                                                                             \
  } while (false)

// Checks the last kernel launch (launch-configuration errors surface here, not at the launch).
#define HS_CUDA_CHECK_LAUNCH() HS_CUDA_CHECK(cudaGetLastError())

#endif  // HYBRIDSERVE_KERNELS_CUDA_CUDA_CHECK_H_
