// Internal to kernels/cuda: the elementwise passes that combine two fp32 [T, dim] inputs into a
// GEMM's rounded input (RoundedRows): out[t, i] = op(a[t, i], b[t, i]) rounded to the weight type.
// Four columns per thread (float4 loads and one store of four when every row is aligned): at
// prefill sizes such a pass moves hundreds of megabytes.
#ifndef HYBRIDSERVE_KERNELS_CUDA_ROUNDED_PAIR_CUH_
#define HYBRIDSERVE_KERNELS_CUDA_ROUNDED_PAIR_CUH_

#include <cuda_runtime.h>

#include <cstdint>

#include "base/check.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/ops.h"
#include "kernels/cuda/storage_type.cuh"

namespace hybridserve::kernels::cuda {

template <typename O, class Op>
__global__ void RoundedPairKernel(const float* __restrict__ a, int64_t a_stride,
                                  const float* __restrict__ b, int64_t b_stride, int64_t num_tokens,
                                  int64_t dim, Op op, O* __restrict__ out, int64_t out_stride,
                                  bool aligned) {
  HS_FOR_EACH_ROW(t, num_tokens) {
    const float* a_row = a + t * a_stride;
    const float* b_row = b + t * b_stride;
    O* out_row = out + t * out_stride;
    HS_FOR_EACH_COL(quad, Quads(dim)) {
      const int64_t i0 = quad * 4;
      if (aligned && i0 + 4 <= dim) {
        const float4 x = *reinterpret_cast<const float4*>(a_row + i0);
        const float4 y = *reinterpret_cast<const float4*>(b_row + i0);
        const float v[4] = {op(x.x, y.x), op(x.y, y.y), op(x.z, y.z), op(x.w, y.w)};
        StoreFour(v, out_row + i0);
      } else {
        for (int64_t i = i0; i < min(i0 + 4, dim); ++i)
          StoreFloat(op(a_row[i], b_row[i]), out_row, i);
      }
    }
  }
}

// Launches RoundedPairKernel for out's type (bf16 or fp16).
template <class Op>
void LaunchRoundedPair(const float* a, int64_t a_stride, const float* b, int64_t b_stride,
                       int64_t num_tokens, int64_t dim, const Op& op, RoundedRows out,
                       cudaStream_t stream) {
  HS_CHECK(num_tokens >= 0 && dim >= 0 && a_stride >= dim && b_stride >= dim);
  HS_CHECK(out.type != DType::kF32 && out.data != nullptr && out.stride >= dim);
  if (num_tokens == 0 || dim == 0) return;
  DispatchStorage(out.type, [&](auto tag) {
    using O = decltype(tag);
    O* to = static_cast<O*>(out.data);
    const bool aligned = RowsAlignedToFour(a, a_stride) && RowsAlignedToFour(b, b_stride) &&
                         RowsAlignedToFour(to, out.stride);
    RoundedPairKernel<O, Op><<<RowsGrid(num_tokens, Quads(dim)), kElementwiseThreads, 0, stream>>>(
        a, a_stride, b, b_stride, num_tokens, dim, op, to, out.stride, aligned);
    HS_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_ROUNDED_PAIR_CUH_
