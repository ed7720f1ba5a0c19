// Why: RMSNorm is the pre-norm of every block, and the gated RMSNorm is the Mamba2 output norm
// (grouped or not, gate before or after the norm depending on the family).
// How: one thread block per normalised span (a token row, or one group of a row). Pass 1 sums
// the squares in fp32 (per-thread partial sums, then BlockSum); pass 2 writes the output in the
// CPU's order: r = 1 / sqrtf(mean + eps) (IEEE sqrt and division, so r rounds like the CPU's
// 1 / std::sqrt), then x * r, then weight * (x * r). Each element is read and written by the
// same thread after the block-wide sum, so out may alias the input.
#include <algorithm>
#include <type_traits>

#include "base/check.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/ops.h"
#include "kernels/cuda/reduce.cuh"
#include "kernels/cuda/rounded_pair.cuh"
#include "kernels/cuda/scalar_math.cuh"
#include "kernels/cuda/storage_type.cuh"

namespace hybridserve::kernels::cuda {

namespace {

constexpr int kNormThreads = 256;

unsigned NormBlocks(int64_t spans) {
  return static_cast<unsigned>(std::clamp<int64_t>(spans, 1, int64_t{1} << 20));
}

__device__ __forceinline__ float InverseRms(float sum_of_squares, int64_t n, float eps) {
  const float variance = sum_of_squares / static_cast<float>(n);
  return 1.0f / sqrtf(variance + eps);
}

// R: the type of the rounded copy (float: none). Rows up to kCached * kNormThreads (2048) wide
// are held in registers: the weights are loaded before waiting for the
// kernel before (a chained launch: they do not depend on it), the row once; wider rows loop.
// Both paths sum and scale in the same order (thread i: elements i, i + 256, ...).
constexpr int kCached = 8;
template <typename W, typename R>
__global__ void __launch_bounds__(kNormThreads)
    RmsNormKernel(const float* x, int64_t x_stride, const W* weight, int64_t num_tokens,
                  int64_t dim, float eps, float* out, int64_t out_stride, R* rounded,
                  int64_t rounded_stride) {
  const bool cached = dim <= kCached * kNormThreads;
  float w[kCached];
  if (cached) {
#pragma unroll
    for (int c = 0; c < kCached; ++c) {
      const int64_t i = threadIdx.x + c * kNormThreads;
      w[c] = i < dim ? LoadFloat(weight, i) : 0.0f;
    }
  }
  WaitForPriorGrid();
  AllowDependentGrids();
  for (int64_t t = blockIdx.x; t < num_tokens; t += gridDim.x) {
    const float* row = x + t * x_stride;
    float* out_row = out + t * out_stride;
    if (cached) {
      float v[kCached];
#pragma unroll
      for (int c = 0; c < kCached; ++c) {
        const int64_t i = threadIdx.x + c * kNormThreads;
        v[c] = i < dim ? row[i] : 0.0f;
      }
      float sum = 0.0f;
#pragma unroll
      for (int c = 0; c < kCached; ++c) {
        if (threadIdx.x + c * kNormThreads < dim) sum += v[c] * v[c];
      }
      const float r = InverseRms(BlockSum(sum), dim, eps);
#pragma unroll
      for (int c = 0; c < kCached; ++c) {
        const int64_t i = threadIdx.x + c * kNormThreads;
        if (i >= dim) break;
        const float value = w[c] * (v[c] * r);
        out_row[i] = value;
        if constexpr (!std::is_same_v<R, float>) {
          StoreFloat(value, rounded + t * rounded_stride, i);
        }
      }
      continue;
    }
    float sum = 0.0f;
#pragma unroll 8
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) sum += row[i] * row[i];
    const float r = InverseRms(BlockSum(sum), dim, eps);
#pragma unroll 4
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
      const float v = LoadFloat(weight, i) * (row[i] * r);
      out_row[i] = v;
      if constexpr (!std::is_same_v<R, float>) StoreFloat(v, rounded + t * rounded_stride, i);
    }
  }
}

// The sum over n channels of h^2, h = y * silu(z) (gate first) or y (norm first), to every
// thread of the block.
template <cpu::GatedNormOrder kOrder>
__device__ __forceinline__ float GatedSquareSum(const float* y_row, const float* z_row, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    // Gate first: h = y * silu(z) is what is normalised (recomputed identically when written).
    const float h =
        kOrder == cpu::GatedNormOrder::kGateThenNorm ? y_row[i] * Silu(z_row[i]) : y_row[i];
    sum += h * h;
  }
  return BlockSum(sum);
}

template <typename W, cpu::GatedNormOrder kOrder>
__device__ __forceinline__ void GatedNormWrite(const float* y_row, const float* z_row, const W* w,
                                               int64_t n, float r, float* out_row) {
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    if constexpr (kOrder == cpu::GatedNormOrder::kGateThenNorm) {
      const float h = y_row[i] * Silu(z_row[i]);
      out_row[i] = LoadFloat(w, i) * (h * r);
    } else {
      out_row[i] = (LoadFloat(w, i) * (y_row[i] * r)) * Silu(z_row[i]);
    }
  }
}

// One block per (token, group): span = t * num_groups + g.
template <typename W, cpu::GatedNormOrder kOrder>
__global__ void __launch_bounds__(kNormThreads)
    GatedRmsNormKernel(const float* y, int64_t y_stride, const float* z, int64_t z_stride,
                       const W* weight, int64_t num_tokens, int64_t num_groups, int64_t group_size,
                       float eps, float* out, int64_t out_stride) {
  WaitForPriorGrid();
  AllowDependentGrids();
  for (int64_t span = blockIdx.x; span < num_tokens * num_groups; span += gridDim.x) {
    const int64_t t = span / num_groups;
    const int64_t offset = (span % num_groups) * group_size;
    const float* y_row = y + t * y_stride + offset;
    const float* z_row = z + t * z_stride + offset;
    const float r = InverseRms(GatedSquareSum<kOrder>(y_row, z_row, group_size), group_size, eps);
    GatedNormWrite<W, kOrder>(y_row, z_row, weight + offset, group_size, r,
                              out + t * out_stride + offset);
  }
}

// One block per token: sums[t * sums_stride] = its square sum over dim channels.
template <cpu::GatedNormOrder kOrder>
__global__ void __launch_bounds__(kNormThreads)
    GatedSquareSumKernel(const float* y, int64_t y_stride, const float* z, int64_t z_stride,
                         int64_t num_tokens, int64_t dim, float* sums, int64_t sums_stride) {
  for (int64_t t = blockIdx.x; t < num_tokens; t += gridDim.x) {
    const float sum = GatedSquareSum<kOrder>(y + t * y_stride, z + t * z_stride, dim);
    if (threadIdx.x == 0) sums[t * sums_stride] = sum;
  }
}

// One block per token: the norm of dim channels of a group_size group with the given sums.
template <typename W, cpu::GatedNormOrder kOrder>
__global__ void __launch_bounds__(kNormThreads)
    GatedNormFromSumsKernel(const float* y, int64_t y_stride, const float* z, int64_t z_stride,
                            const W* weight, int64_t num_tokens, int64_t dim, const float* sums,
                            int64_t sums_stride, int64_t group_size, float eps, float* out,
                            int64_t out_stride) {
  for (int64_t t = blockIdx.x; t < num_tokens; t += gridDim.x) {
    const float r = InverseRms(sums[t * sums_stride], group_size, eps);
    GatedNormWrite<W, kOrder>(y + t * y_stride, z + t * z_stride, weight, dim, r,
                              out + t * out_stride);
  }
}

__global__ void GateSiluKernel(float* y, int64_t y_stride, const float* z, int64_t z_stride,
                               int64_t num_tokens, int64_t dim) {
  WaitForPriorGrid();
  AllowDependentGrids();
  HS_FOR_EACH_ROW(t, num_tokens) {
    float* y_row = y + t * y_stride;
    const float* z_row = z + t * z_stride;
    HS_FOR_EACH_COL(i, dim) { y_row[i] = y_row[i] * Silu(z_row[i]); }
  }
}

// y * silu(z), GateSilu's expression.
struct SiluGate {
  __device__ float operator()(float y, float z) const { return y * Silu(z); }
};

}  // namespace

void RmsNorm(const float* x, int64_t x_stride, DType wtype, const void* weight, int64_t num_tokens,
             int64_t dim, float eps, float* out, int64_t out_stride, cudaStream_t stream,
             RoundedRows rounded) {
  HS_CHECK(num_tokens >= 0 && dim > 0 && x_stride >= dim && out_stride >= dim);
  HS_CHECK(rounded.type == DType::kF32 || (rounded.data != nullptr && rounded.stride >= dim));
  if (num_tokens == 0) return;
  DispatchStorage(wtype, [&](auto tag) {
    using W = decltype(tag);
    DispatchStorage(rounded.type, [&](auto rounded_tag) {
      using R = decltype(rounded_tag);
      LaunchChained(RmsNormKernel<W, R>, dim3(NormBlocks(num_tokens)), dim3(kNormThreads), 0,
                    stream, x, x_stride, static_cast<const W*>(weight), num_tokens, dim, eps, out,
                    out_stride, static_cast<R*>(rounded.data), rounded.stride);
      HS_CUDA_CHECK_LAUNCH();
    });
  });
}

void GatedRmsNorm(const float* y, int64_t y_stride, const float* z, int64_t z_stride, DType wtype,
                  const void* weight, int64_t num_tokens, int64_t dim, int64_t group_size,
                  float eps, cpu::GatedNormOrder order, float* out, int64_t out_stride,
                  cudaStream_t stream) {
  HS_CHECK(group_size > 0 && dim % group_size == 0);
  HS_CHECK(num_tokens >= 0 && y_stride >= dim && z_stride >= dim && out_stride >= dim);
  if (num_tokens == 0 || dim == 0) return;
  const int64_t num_groups = dim / group_size;
  DispatchStorage(wtype, [&](auto tag) {
    using W = decltype(tag);
    const W* w = static_cast<const W*>(weight);
    const unsigned blocks = NormBlocks(num_tokens * num_groups);
    const auto kernel = order == cpu::GatedNormOrder::kGateThenNorm
                            ? GatedRmsNormKernel<W, cpu::GatedNormOrder::kGateThenNorm>
                            : GatedRmsNormKernel<W, cpu::GatedNormOrder::kNormThenGate>;
    LaunchChained(kernel, dim3(blocks), dim3(kNormThreads), 0, stream, y, y_stride, z, z_stride, w,
                  num_tokens, num_groups, group_size, eps, out, out_stride);
    HS_CUDA_CHECK_LAUNCH();
  });
}

void GatedSquareSums(const float* y, int64_t y_stride, const float* z, int64_t z_stride,
                     int64_t num_tokens, int64_t dim, cpu::GatedNormOrder order, float* sums,
                     int64_t sums_stride, cudaStream_t stream) {
  HS_CHECK(num_tokens >= 0 && dim > 0 && y_stride >= dim && z_stride >= dim && sums_stride >= 1);
  if (num_tokens == 0) return;
  if (order == cpu::GatedNormOrder::kGateThenNorm) {
    GatedSquareSumKernel<cpu::GatedNormOrder::kGateThenNorm>
        <<<NormBlocks(num_tokens), kNormThreads, 0, stream>>>(y, y_stride, z, z_stride, num_tokens,
                                                              dim, sums, sums_stride);
  } else {
    GatedSquareSumKernel<cpu::GatedNormOrder::kNormThenGate>
        <<<NormBlocks(num_tokens), kNormThreads, 0, stream>>>(y, y_stride, z, z_stride, num_tokens,
                                                              dim, sums, sums_stride);
  }
  HS_CUDA_CHECK_LAUNCH();
}

void GatedRmsNormFromSums(const float* y, int64_t y_stride, const float* z, int64_t z_stride,
                          DType wtype, const void* weight, int64_t num_tokens, int64_t dim,
                          const float* sums, int64_t sums_stride, int64_t group_size, float eps,
                          cpu::GatedNormOrder order, float* out, int64_t out_stride,
                          cudaStream_t stream) {
  HS_CHECK(num_tokens >= 0 && dim > 0 && group_size >= dim && sums_stride >= 1);
  HS_CHECK(y_stride >= dim && z_stride >= dim && out_stride >= dim);
  if (num_tokens == 0) return;
  DispatchStorage(wtype, [&](auto tag) {
    using W = decltype(tag);
    const W* w = static_cast<const W*>(weight);
    if (order == cpu::GatedNormOrder::kGateThenNorm) {
      GatedNormFromSumsKernel<W, cpu::GatedNormOrder::kGateThenNorm>
          <<<NormBlocks(num_tokens), kNormThreads, 0, stream>>>(y, y_stride, z, z_stride, w,
                                                                num_tokens, dim, sums, sums_stride,
                                                                group_size, eps, out, out_stride);
    } else {
      GatedNormFromSumsKernel<W, cpu::GatedNormOrder::kNormThenGate>
          <<<NormBlocks(num_tokens), kNormThreads, 0, stream>>>(y, y_stride, z, z_stride, w,
                                                                num_tokens, dim, sums, sums_stride,
                                                                group_size, eps, out, out_stride);
    }
    HS_CUDA_CHECK_LAUNCH();
  });
}

void GateSilu(float* y, int64_t y_stride, const float* z, int64_t z_stride, int64_t num_tokens,
              int64_t dim, cudaStream_t stream) {
  HS_CHECK(num_tokens >= 0 && dim >= 0 && y_stride >= dim && z_stride >= dim);
  if (num_tokens == 0 || dim == 0) return;
  LaunchChained(GateSiluKernel, dim3(RowsGrid(num_tokens, dim)), dim3(kElementwiseThreads), 0,
                stream, y, y_stride, z, z_stride, num_tokens, dim);
  HS_CUDA_CHECK_LAUNCH();
}

void GateSiluRounded(const float* y, int64_t y_stride, const float* z, int64_t z_stride,
                     int64_t num_tokens, int64_t dim, RoundedRows out, cudaStream_t stream) {
  LaunchRoundedPair(y, y_stride, z, z_stride, num_tokens, dim, SiluGate{}, out, stream);
}

}  // namespace hybridserve::kernels::cuda
