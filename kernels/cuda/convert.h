// Internal to kernels/cuda: the strided form of FromFloat, used by Blas to round activations to
// the weights' storage type before a tensor-core GEMM.
#ifndef HYBRIDSERVE_KERNELS_CUDA_CONVERT_H_
#define HYBRIDSERVE_KERNELS_CUDA_CONVERT_H_

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/ops.h"

namespace hybridserve::kernels::cuda {

// out[r, c] = (dtype)in[r, c] for [rows, cols]; in has row stride in_stride, out is dense
// (row stride cols). Round to nearest even.
void FromFloatRows(DType dtype, const float* in, int64_t in_stride, int64_t rows, int64_t cols,
                   void* out, cudaStream_t stream);

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_CONVERT_H_
