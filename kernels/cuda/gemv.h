// The linear layer for a few activation rows on bf16/fp16 weights, the decode case (reached
// through Blas; GemvSegment is also Blas::LinearGroup's argument).
#ifndef HYBRIDSERVE_KERNELS_CUDA_GEMV_H_
#define HYBRIDSERVE_KERNELS_CUDA_GEMV_H_

#include <cuda_runtime.h>

#include <cstdint>

#include "absl/types/span.h"
#include "kernels/cuda/ops.h"

namespace hybridserve::kernels::cuda {

inline constexpr int64_t kMaxGemvRows = 8;

// Whether Gemv takes this product: bf16/fp16 weights, 1..kMaxGemvRows rows, K a multiple of 8,
// weight and x rows 16-byte aligned.
bool GemvApplies(DType wtype, int64_t num_tokens, int64_t in_dim, const void* weight,
                 const float* x, int64_t x_stride);

// One linear layer of a GroupedGemv: out = scale * x . W^T (+ out with accumulate) (+ bias).
struct GemvSegment {
  const void* weight;  // [out_dim, K] in the launch's weight type
  const void* bias;    // [out_dim] or null
  float* out;
  int64_t out_stride;
  int64_t out_dim;
  float scale;
  bool accumulate;
};
inline constexpr int kMaxGemvSegments = 4;

// Several linear layers on the same rows (q, k and v) in one launch, each as Gemv computes it (bit
// for bit where Gemv of that layer alone would split its rows the same way: gemv.cu, SplitFor).
void GroupedGemv(const float* x, int64_t x_stride, DType wtype, int64_t num_tokens, int64_t in_dim,
                 absl::Span<const GemvSegment> segments, cudaStream_t stream);

// Blas::Linear's contract: out = scale * x . W^T (+ out with accumulate) (+ bias), with x rounded
// to the weight type as the GEMM path rounds it, fp32 accumulation.
void Gemv(const float* x, int64_t x_stride, DType wtype, const void* weight, const void* bias,
          int64_t num_tokens, int64_t in_dim, int64_t out_dim, float* out, int64_t out_stride,
          bool accumulate, float scale, cudaStream_t stream);

// The gated MLP's middle for a few rows in one launch: out = act(gate_multiplier * x . Wg^T) *
// (x . Wu^T), each product exactly as Gemv makes it (scale 1, no bias) and the combination as
// GatedActivate. Applies where GemvApplies does for both weights.
void GatedGemv(const float* x, int64_t x_stride, DType wtype, const void* gate_weight,
               const void* up_weight, int64_t num_tokens, int64_t in_dim, int64_t out_dim,
               cpu::Activation act, float gate_multiplier, float* out, int64_t out_stride,
               cudaStream_t stream);

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_GEMV_H_
