// Internal to kernels/cuda: grid shapes for the two kernel layouts most ops use, so every op
// covers any size (grid-stride loops) without exceeding the grid limits.
//   flat:  one index i in [0, n), blocks x threads striding over it;
//   rows:  [T, dim] with row strides; blockIdx.y strides over rows, x over columns.
#ifndef HYBRIDSERVE_KERNELS_CUDA_LAUNCH_CUH_
#define HYBRIDSERVE_KERNELS_CUDA_LAUNCH_CUH_

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "kernels/cuda/cuda_check.h"

namespace hybridserve::kernels::cuda {

inline constexpr int kElementwiseThreads = 256;

// Blocks for a flat grid-stride loop over n elements.
inline unsigned FlatBlocks(int64_t n) {
  const int64_t blocks = (n + kElementwiseThreads - 1) / kElementwiseThreads;
  return static_cast<unsigned>(std::clamp<int64_t>(blocks, 1, 1 << 16));
}

// Grid for a [rows, cols] loop: x over columns, y over rows (both grid-strided).
inline dim3 RowsGrid(int64_t rows, int64_t cols) {
  const int64_t col_blocks = (cols + kElementwiseThreads - 1) / kElementwiseThreads;
  return dim3(static_cast<unsigned>(std::clamp<int64_t>(col_blocks, 1, 1024)),
              static_cast<unsigned>(std::clamp<int64_t>(rows, 1, 65535)), 1);
}

// Grid for a [rows, cols] loop that takes four columns per thread (HS_FOR_EACH_COL over
// Quads(cols)).
__host__ __device__ inline int64_t Quads(int64_t cols) { return (cols + 3) / 4; }

// Loop helpers for kernels launched with RowsGrid.
#define HS_FOR_EACH_ROW(r, rows) for (int64_t r = blockIdx.y; r < (rows); r += gridDim.y)
#define HS_FOR_EACH_COL(c, cols)                                                            \
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < (cols); \
       c += static_cast<int64_t>(gridDim.x) * blockDim.x)
#define HS_FOR_EACH_INDEX(i, n)                                                          \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

// ---- chained launches (programmatic dependent launch, sm_90 and later) -----------------------
//
// A decode step is hundreds of short kernels, each of which otherwise starts only once the one
// before it has drained: the launch and the ramp-up sit between every pair. A kernel launched
// with LaunchChained may be started while the kernel before it on the stream is still running:
// its blocks first do whatever does not depend on that kernel (a GEMV loads its weights), then
// WaitForPriorGrid() blocks until the prior kernel has completed and its writes are visible;
// AllowDependentGrids() lets the next chained kernel start in turn. Every kernel launched with
// LaunchChained must call WaitForPriorGrid() before reading or writing anything another kernel
// of the step touches, and on every path (the wait orders this kernel's completion after the
// prior one's). On devices before sm_90 the launch is a plain one and both calls are no-ops.
__device__ __forceinline__ void WaitForPriorGrid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
__device__ __forceinline__ void AllowDependentGrids() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" :::);
#endif
}

// Whether the current device takes chained launches (compute capability 9.0 or later).
bool ChainedLaunchSupported();

template <typename... Params, typename... Args>
void LaunchChained(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes,
                   cudaStream_t stream, Args&&... args) {
  cudaLaunchConfig_t config = {};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = shared_bytes;
  config.stream = stream;
  cudaLaunchAttribute attribute = {};
  attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute.val.programmaticStreamSerializationAllowed = 1;
  config.attrs = &attribute;
  config.numAttrs = ChainedLaunchSupported() ? 1 : 0;
  HS_CUDA_CHECK(cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...));
}

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_LAUNCH_CUH_
