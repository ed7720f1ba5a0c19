// Internal to kernels/cuda: fp32 sums and maxima across a warp and across a block (warp shuffles,
// then one shared-memory step). The order is fixed, so results are deterministic run to run.
#ifndef HYBRIDSERVE_KERNELS_CUDA_REDUCE_CUH_
#define HYBRIDSERVE_KERNELS_CUDA_REDUCE_CUH_

#include <cmath>

namespace hybridserve::kernels::cuda {

inline constexpr unsigned kFullWarp = 0xFFFFFFFFu;

__device__ __forceinline__ float WarpSum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(kFullWarp, v, offset);
  return v;
}

__device__ __forceinline__ float WarpMax(float v) {
  for (int offset = 16; offset > 0; offset >>= 1)
    v = fmaxf(v, __shfl_xor_sync(kFullWarp, v, offset));
  return v;
}

// The sum of v over the block, returned to every thread. Every thread of the block must call it
// (blockDim.x a multiple of 32, at most 1024); it may be called repeatedly (it synchronizes before
// returning so the next call can reuse its shared memory).
__device__ __forceinline__ float BlockSum(float v) {
  __shared__ float partial[32];
  __shared__ float total;
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  v = WarpSum(v);
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    float s = lane < static_cast<int>(blockDim.x >> 5) ? partial[lane] : 0.0f;
    s = WarpSum(s);
    if (lane == 0) total = s;
  }
  __syncthreads();
  const float result = total;
  __syncthreads();
  return result;
}

// The max of v over the block, to every thread; BlockSum's contract.
__device__ __forceinline__ float BlockMax(float v) {
  __shared__ float partial[32];
  __shared__ float total;
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  v = WarpMax(v);
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    float m = lane < static_cast<int>(blockDim.x >> 5) ? partial[lane] : -INFINITY;
    m = WarpMax(m);
    if (lane == 0) total = m;
  }
  __syncthreads();
  const float result = total;
  __syncthreads();
  return result;
}

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_REDUCE_CUH_
