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

// v reduced over the block by WarpOp (WarpSum or WarpMax: a warp's reduction to every lane),
// returned to every thread; identity is the value that leaves the reduction unchanged. Every
// thread of the block must call it (blockDim.x a multiple of 32, at most 1024); it may be called
// repeatedly (it synchronizes before returning so the next call can reuse its shared memory).
template <typename WarpOp>
__device__ __forceinline__ float BlockReduce(float v, float identity, WarpOp warp_op) {
  __shared__ float partial[32];
  __shared__ float total;
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  v = warp_op(v);
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    float s = lane < static_cast<int>(blockDim.x >> 5) ? partial[lane] : identity;
    s = warp_op(s);
    if (lane == 0) total = s;
  }
  __syncthreads();
  const float result = total;
  __syncthreads();
  return result;
}

// The sum and the max of v over the block (BlockReduce's contract).
__device__ __forceinline__ float BlockSum(float v) {
  return BlockReduce(v, 0.0f, [](float x) { return WarpSum(x); });
}
__device__ __forceinline__ float BlockMax(float v) {
  return BlockReduce(v, -INFINITY, [](float x) { return WarpMax(x); });
}

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_REDUCE_CUH_
