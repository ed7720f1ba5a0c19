// Why: RMSNorm is the pre-norm of every block, and the gated RMSNorm is the Mamba2 output norm;
// the families differ in grouping and in whether the gate comes before or after the norm.
// How: one pass per token row (rows split over the pool). The mean of squares is summed in
// double and rounded once to fp32 (close to PyTorch's pairwise fp32 sum); the rest follows the
// PyTorch order: r = 1 / sqrt(var + eps), then x * r, then weight * (x * r).
#include <cmath>

#include "base/check.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/scalar_math.h"

namespace hybridserve::kernels::cpu {

namespace {

// 1 / sqrt(mean(v^2) + eps) over n values.
float InverseRms(const float* v, int64_t n, float eps) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(v[i]) * v[i];
  const float variance = static_cast<float>(sum) / static_cast<float>(n);
  return 1.0f / std::sqrt(variance + eps);
}

}  // namespace

void RmsNorm(const float* x, const float* weight, int64_t num_tokens, int64_t dim, float eps,
             float* out, ThreadPool* pool) {
  ParallelFor(
      pool, num_tokens,
      [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
          const float* row = x + t * dim;
          float* out_row = out + t * dim;
          const float r = InverseRms(row, dim, eps);
          for (int64_t i = 0; i < dim; ++i) out_row[i] = weight[i] * (row[i] * r);
        }
      },
      GrainFor(dim));
}

void GatedRmsNorm(const float* y, const float* z, const float* weight, int64_t num_tokens,
                  int64_t dim, int64_t group_size, float eps, GatedNormOrder order, float* out,
                  ThreadPool* pool) {
  HS_CHECK(group_size > 0 && dim % group_size == 0);
  const int64_t num_groups = dim / group_size;
  ParallelFor(
      pool, num_tokens,
      [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
          const float* y_row = y + t * dim;
          const float* z_row = z + t * dim;
          float* out_row = out + t * dim;
          if (order == GatedNormOrder::kGateThenNorm) {
            // h = y * silu(z), written into out (elementwise, so out may alias y).
            for (int64_t i = 0; i < dim; ++i) out_row[i] = y_row[i] * Silu(z_row[i]);
            for (int64_t g = 0; g < num_groups; ++g) {
              float* h = out_row + g * group_size;
              const float* w = weight + g * group_size;
              const float r = InverseRms(h, group_size, eps);
              for (int64_t i = 0; i < group_size; ++i) h[i] = w[i] * (h[i] * r);
            }
          } else {
            for (int64_t g = 0; g < num_groups; ++g) {
              const int64_t offset = g * group_size;
              const float r = InverseRms(y_row + offset, group_size, eps);
              for (int64_t i = offset; i < offset + group_size; ++i) {
                out_row[i] = (weight[i] * (y_row[i] * r)) * Silu(z_row[i]);
              }
            }
          }
        }
      },
      GrainFor(dim));
}

void GateSilu(float* y, int64_t y_stride, const float* z, int64_t z_stride, int64_t num_tokens,
              int64_t dim, ThreadPool* pool) {
  ParallelFor(
      pool, num_tokens,
      [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
          float* y_row = y + t * y_stride;
          const float* z_row = z + t * z_stride;
          for (int64_t i = 0; i < dim; ++i) y_row[i] = y_row[i] * Silu(z_row[i]);
        }
      },
      GrainFor(dim));
}

}  // namespace hybridserve::kernels::cpu
