// Glue kernels of the CUDA model (see step_kernels.h).
#include "engine/cuda/step_kernels.h"

#include <algorithm>

#include "base/check.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/storage_type.cuh"

namespace hybridserve::engine {
namespace {

struct Segments {
  ColumnSegment at[5];
};

__global__ void ScaleColumnSegmentsKernel(float* m, int64_t num_rows, int64_t width,
                                          Segments segments) {
  const int64_t total = num_rows * width;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t c = i % width;
    for (const ColumnSegment& segment : segments.at) {
      if (c >= segment.begin && c < segment.end && segment.factor != 1.0f) {
        m[i] *= segment.factor;
      }
    }
  }
}

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

void ScaleColumnSegments(float* m, int64_t num_rows, int64_t width,
                         const std::array<ColumnSegment, 5>& segments, cudaStream_t stream) {
  bool any = false;
  for (const ColumnSegment& segment : segments)
    any |= segment.factor != 1.0f && segment.end > segment.begin;
  if (!any || num_rows == 0) return;
  Segments by_value;
  for (size_t k = 0; k < segments.size(); ++k) by_value.at[k] = segments[k];
  const int64_t total = num_rows * width;
  const int threads = 256;
  const int blocks = static_cast<int>(std::min<int64_t>((total + threads - 1) / threads, 65536));
  ScaleColumnSegmentsKernel<<<blocks, threads, 0, stream>>>(m, num_rows, width, by_value);
  HS_CUDA_CHECK_LAUNCH();
}

}  // namespace hybridserve::engine
