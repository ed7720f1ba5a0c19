// Why: the small fp32 updates between the big ops: scaling by a muP multiplier, the residual
// adds (y += a * x, as the CPU runner's `h[i] += multiplier * mixed[i]`), and the bias of a
// GEMM whose product cuBLAS already wrote.
// How: grid-stride kernels, flat or over [T, dim] rows with strides (launch.cuh). Each element
// rounds exactly as its CPU twin: a product, then a sum, no FMA (--fmad=false).
#include "base/check.h"
#include "kernels/cuda/blas.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/ops.h"
#include "kernels/cuda/storage_type.cuh"

namespace hybridserve::kernels::cuda {

namespace {

__global__ void ScaleKernel(float* x, int64_t n, float s) {
  HS_FOR_EACH_INDEX(i, n) { x[i] = x[i] * s; }
}

__global__ void AxpyKernel(float a, const float* x, int64_t x_stride, float* y, int64_t y_stride,
                           int64_t num_tokens, int64_t dim) {
  HS_FOR_EACH_ROW(t, num_tokens) {
    const float* x_row = x + t * x_stride;
    float* y_row = y + t * y_stride;
    HS_FOR_EACH_COL(i, dim) { y_row[i] = y_row[i] + a * x_row[i]; }
  }
}

template <typename T>
__global__ void AddBiasKernel(const T* bias, int64_t num_tokens, int64_t out_dim, float* out,
                              int64_t out_stride) {
  HS_FOR_EACH_ROW(t, num_tokens) {
    float* row = out + t * out_stride;
    HS_FOR_EACH_COL(n, out_dim) { row[n] = row[n] + LoadFloat(bias, n); }
  }
}

}  // namespace

void Scale(float* x, int64_t n, float s, cudaStream_t stream) {
  HS_CHECK(n >= 0);
  if (n == 0) return;
  ScaleKernel<<<FlatBlocks(n), kElementwiseThreads, 0, stream>>>(x, n, s);
  HS_CUDA_CHECK_LAUNCH();
}

void Axpy(float a, const float* x, int64_t x_stride, float* y, int64_t y_stride, int64_t num_tokens,
          int64_t dim, cudaStream_t stream) {
  HS_CHECK(num_tokens >= 0 && dim >= 0 && x_stride >= dim && y_stride >= dim);
  if (num_tokens == 0 || dim == 0) return;
  AxpyKernel<<<RowsGrid(num_tokens, dim), kElementwiseThreads, 0, stream>>>(
      a, x, x_stride, y, y_stride, num_tokens, dim);
  HS_CUDA_CHECK_LAUNCH();
}

void AddBias(DType wtype, const void* bias, int64_t num_tokens, int64_t out_dim, float* out,
             int64_t out_stride, cudaStream_t stream) {
  HS_CHECK(num_tokens >= 0 && out_dim >= 0 && out_stride >= out_dim);
  if (num_tokens == 0 || out_dim == 0) return;
  DispatchStorage(wtype, [&](auto tag) {
    using T = decltype(tag);
    AddBiasKernel<T><<<RowsGrid(num_tokens, out_dim), kElementwiseThreads, 0, stream>>>(
        static_cast<const T*>(bias), num_tokens, out_dim, out, out_stride);
    HS_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace hybridserve::kernels::cuda
