// Internal to kernels/cuda: grid shapes for the two kernel layouts most ops use, so every op
// covers any size (grid-stride loops) without exceeding the grid limits.
//   flat:  one index i in [0, n), blocks x threads striding over it;
//   rows:  [T, dim] with row strides; blockIdx.y strides over rows, x over columns.
#ifndef HYBRIDSERVE_KERNELS_CUDA_LAUNCH_CUH_
#define HYBRIDSERVE_KERNELS_CUDA_LAUNCH_CUH_

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

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

// Loop helpers for kernels launched with RowsGrid.
#define HS_FOR_EACH_ROW(r, rows) for (int64_t r = blockIdx.y; r < (rows); r += gridDim.y)
#define HS_FOR_EACH_COL(c, cols)                                                            \
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < (cols); \
       c += static_cast<int64_t>(gridDim.x) * blockDim.x)
#define HS_FOR_EACH_INDEX(i, n)                                                          \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_LAUNCH_CUH_
