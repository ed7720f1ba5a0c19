// Seeded uniform fill for random-weight models on the device: each element's value is a hash of
// (seed, index) (splitmix64), so an 8B-parameter model is generated in well under a second and
// the same seed gives the same values in every dtype.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "engine/cuda/device_weights.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/storage_type.cuh"

namespace hybridserve::engine {
namespace {

__device__ __forceinline__ float HashUniform(uint64_t seed, uint64_t i) {
  uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * (1.0f / 16777216.0f);  // [0, 1)
}

template <typename T>
__global__ void FillKernel(T* out, int64_t n, float lo, float hi, uint64_t seed) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float v = lo + (hi - lo) * HashUniform(seed, static_cast<uint64_t>(i));
    kernels::cuda::StoreFloat(v, out, i);
  }
}

}  // namespace

void FillUniform(kernels::cuda::DType dtype, void* out, int64_t n, float lo, float hi,
                 uint64_t seed, cudaStream_t stream) {
  if (n == 0) return;
  const int threads = 256;
  const int blocks = static_cast<int>(std::min<int64_t>((n + threads - 1) / threads, 65536));
  kernels::cuda::DispatchStorage(dtype, [&](auto zero) {
    using T = decltype(zero);
    FillKernel<<<blocks, threads, 0, stream>>>(static_cast<T*>(out), n, lo, hi, seed);
  });
  HS_CUDA_CHECK_LAUNCH();
}

}  // namespace hybridserve::engine
