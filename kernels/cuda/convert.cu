// Why: weights and the KV cache live in the checkpoint's storage type (fp32, bf16 or fp16) while
// activations are fp32; the GEMMs round activations to the weight type, and tests and loaders
// widen storage back to fp32.
// How: elementwise grid-stride kernels, one per direction and storage type; narrowing rounds to
// nearest even (__float2bfloat16_rn / __float2half_rn), as torch's .to(dtype). fp32 to fp32 is a
// device-to-device copy.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "base/check.h"
#include "kernels/cuda/convert.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/ops.h"
#include "kernels/cuda/storage_type.cuh"

namespace hybridserve::kernels::cuda {

namespace {

template <typename T>
__global__ void ToFloatKernel(const T* in, int64_t n, float* out) {
  HS_FOR_EACH_INDEX(i, n) { out[i] = LoadFloat(in, i); }
}

template <typename T>
__global__ void FromFloatRowsKernel(const float* in, int64_t in_stride, int64_t rows, int64_t cols,
                                    T* out) {
  HS_FOR_EACH_ROW(r, rows) {
    const float* in_row = in + r * in_stride;
    T* out_row = out + r * cols;
    HS_FOR_EACH_COL(c, cols) { StoreFloat(in_row[c], out_row, c); }
  }
}

}  // namespace

int64_t DTypeBytes(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return 4;
    case DType::kBF16:
    case DType::kF16:
      return 2;
  }
  HS_CHECK_MSG(false, "unknown dtype");
  return 0;
}

void ToFloat(DType dtype, const void* in, int64_t n, float* out, cudaStream_t stream) {
  HS_CHECK(n >= 0);
  if (n == 0) return;
  if (dtype == DType::kF32) {
    HS_CUDA_CHECK(cudaMemcpyAsync(out, in, n * sizeof(float), cudaMemcpyDeviceToDevice, stream));
    return;
  }
  DispatchStorage(dtype, [&](auto tag) {
    using T = decltype(tag);
    ToFloatKernel<T>
        <<<FlatBlocks(n), kElementwiseThreads, 0, stream>>>(static_cast<const T*>(in), n, out);
    HS_CUDA_CHECK_LAUNCH();
  });
}

void FromFloatRows(DType dtype, const float* in, int64_t in_stride, int64_t rows, int64_t cols,
                   void* out, cudaStream_t stream) {
  HS_CHECK(rows >= 0 && cols >= 0 && in_stride >= cols);
  if (rows == 0 || cols == 0) return;
  if (dtype == DType::kF32) {
    HS_CUDA_CHECK(cudaMemcpy2DAsync(out, cols * sizeof(float), in, in_stride * sizeof(float),
                                    cols * sizeof(float), rows, cudaMemcpyDeviceToDevice, stream));
    return;
  }
  DispatchStorage(dtype, [&](auto tag) {
    using T = decltype(tag);
    FromFloatRowsKernel<T><<<RowsGrid(rows, cols), kElementwiseThreads, 0, stream>>>(
        in, in_stride, rows, cols, static_cast<T*>(out));
    HS_CUDA_CHECK_LAUNCH();
  });
}

void FromFloat(DType dtype, const float* in, int64_t n, void* out, cudaStream_t stream) {
  HS_CHECK(n >= 0);
  if (n == 0) return;
  if (dtype == DType::kF32) {
    HS_CUDA_CHECK(cudaMemcpyAsync(out, in, n * sizeof(float), cudaMemcpyDeviceToDevice, stream));
    return;
  }
  // One flat row: the row kernel's column loop is the flat loop.
  DispatchStorage(dtype, [&](auto tag) {
    using T = decltype(tag);
    FromFloatRowsKernel<T><<<dim3(FlatBlocks(n), 1, 1), kElementwiseThreads, 0, stream>>>(
        in, n, 1, n, static_cast<T*>(out));
    HS_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace hybridserve::kernels::cuda
