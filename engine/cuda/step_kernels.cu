// Glue kernels of the CUDA model (see step_kernels.h).
#include "engine/cuda/step_kernels.h"

#include <algorithm>

#include "base/check.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/storage_type.cuh"

namespace hybridserve::engine {
namespace {

template <typename T>
__global__ void ScaleElementsKernel(T* data, int64_t n, float factor) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    kernels::cuda::StoreFloat(factor * kernels::cuda::LoadFloat(data, i), data, i);
  }
}

__global__ void NegExpKernel(const float* in, int64_t n, float* out) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = -expf(in[i]);
}

constexpr int kMaxSummed = 16;
struct Buffers {
  const float* at[kMaxSummed];
};

__global__ void SumBuffersKernel(Buffers buffers, int count, int64_t n, float* out) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float sum = buffers.at[0][i];
    for (int b = 1; b < count; ++b) sum += buffers.at[b][i];
    out[i] = sum;
  }
}

}  // namespace

void SumBuffers(const std::vector<const float*>& buffers, int64_t n, float* out,
                cudaStream_t stream) {
  HS_CHECK(!buffers.empty() && buffers.size() <= kMaxSummed);
  if (n == 0) return;
  Buffers b{};
  for (size_t i = 0; i < buffers.size(); ++i) b.at[i] = buffers[i];
  const int blocks = static_cast<int>(std::min<int64_t>((n + 255) / 256, 4096));
  SumBuffersKernel<<<blocks, 256, 0, stream>>>(b, static_cast<int>(buffers.size()), n, out);
  HS_CUDA_CHECK_LAUNCH();
}

void ScaleElements(kernels::cuda::DType dtype, void* data, int64_t begin, int64_t end, float factor,
                   cudaStream_t stream) {
  HS_CHECK(begin >= 0 && end >= begin);
  if (end == begin || factor == 1.0f) return;
  const int64_t n = end - begin;
  const int threads = 256;
  const int blocks = static_cast<int>(std::min<int64_t>((n + threads - 1) / threads, 65536));
  kernels::cuda::DispatchStorage(dtype, [&](auto tag) {
    using T = decltype(tag);
    ScaleElementsKernel<T>
        <<<blocks, threads, 0, stream>>>(static_cast<T*>(data) + begin, n, factor);
    HS_CUDA_CHECK_LAUNCH();
  });
}

void NegExp(const float* in, int64_t n, float* out, cudaStream_t stream) {
  if (n == 0) return;
  NegExpKernel<<<static_cast<unsigned>((n + 255) / 256), 256, 0, stream>>>(in, n, out);
  HS_CUDA_CHECK_LAUNCH();
}

}  // namespace hybridserve::engine
