// Internal to kernels/cuda (used by blas.cc): the linear layer for a few activation rows on
// bf16/fp16 weights, the decode case.
#ifndef HYBRIDSERVE_KERNELS_CUDA_GEMV_H_
#define HYBRIDSERVE_KERNELS_CUDA_GEMV_H_

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/ops.h"

namespace hybridserve::kernels::cuda {

inline constexpr int64_t kMaxGemvRows = 8;

// Whether Gemv takes this product: bf16/fp16 weights, 1..kMaxGemvRows rows, K a multiple of 8,
// weight and x rows 16-byte aligned.
bool GemvApplies(DType wtype, int64_t num_tokens, int64_t in_dim, const void* weight,
                 const float* x, int64_t x_stride);

// Blas::Linear's contract: out = scale * x . W^T (+ out with accumulate) (+ bias), with x rounded
// to the weight type as the GEMM path rounds it, fp32 accumulation.
void Gemv(const float* x, int64_t x_stride, DType wtype, const void* weight, const void* bias,
          int64_t num_tokens, int64_t in_dim, int64_t out_dim, float* out, int64_t out_stride,
          bool accumulate, float scale, cudaStream_t stream);

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_GEMV_H_
