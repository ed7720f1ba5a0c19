// Why: the MLP activations (SiLU of gated MLPs, exact-erf GELU, Nemotron-H's squared ReLU), the
// gated MLP middle act(gate * multiplier) * up, and the SSM dt softplus with per-token limits.
// How: elementwise [T, dim] row grids (launch.cuh) with the activation a template argument, the
// scalar forms of scalar_math.cuh (twins of the CPU's). The order of operations is the CPU
// runner's: gate * multiplier, act, then * up; dt + bias, softplus (threshold 20), then
// min(max(v, lo), hi) with std::min/std::max semantics.
#include <type_traits>

#include "base/check.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/ops.h"
#include "kernels/cuda/rounded_pair.cuh"
#include "kernels/cuda/scalar_math.cuh"
#include "kernels/cuda/storage_type.cuh"

namespace hybridserve::kernels::cuda {

namespace {

template <cpu::Activation kAct>
__global__ void ActivateKernel(float* x, int64_t x_stride, int64_t num_tokens, int64_t dim) {
  HS_FOR_EACH_ROW(t, num_tokens) {
    float* row = x + t * x_stride;
    HS_FOR_EACH_COL(i, dim) { row[i] = ApplyActivation<kAct>(row[i]); }
  }
}

template <cpu::Activation kAct>
__global__ void GatedActivateKernel(float* x, int64_t x_stride, const float* up, int64_t up_stride,
                                    int64_t num_tokens, int64_t dim, float gate_multiplier) {
  WaitForPriorGrid();
  AllowDependentGrids();
  HS_FOR_EACH_ROW(t, num_tokens) {
    float* row = x + t * x_stride;
    const float* up_row = up + t * up_stride;
    HS_FOR_EACH_COL(i, dim) {
      row[i] = up_row[i] * ApplyActivation<kAct>(row[i] * gate_multiplier);
    }
  }
}

// act(x * gate_multiplier) * up, GatedActivate's expression.
template <cpu::Activation kAct>
struct GatedActivation {
  float gate_multiplier;
  __device__ float operator()(float x, float up) const {
    return up * ApplyActivation<kAct>(x * gate_multiplier);
  }
};

template <typename B>
__global__ void DtSoftplusKernel(float* dt, int64_t dt_stride, int64_t num_tokens,
                                 int64_t num_heads, const B* bias, const float* lo,
                                 const float* hi) {
  WaitForPriorGrid();
  AllowDependentGrids();
  HS_FOR_EACH_ROW(t, num_tokens) {
    float* row = dt + t * dt_stride;
    const float low = lo[t];
    const float high = hi[t];
    HS_FOR_EACH_COL(h, num_heads) {
      row[h] = ClampedSoftplus(row[h] + LoadFloat(bias, h), low, high);
    }
  }
}

}  // namespace

void Activate(float* x, int64_t x_stride, int64_t num_tokens, int64_t dim, cpu::Activation act,
              cudaStream_t stream) {
  HS_CHECK(num_tokens >= 0 && dim >= 0 && x_stride >= dim);
  if (num_tokens == 0 || dim == 0) return;
  DispatchActivation(act, [&](auto kind) {
    ActivateKernel<decltype(kind)::value>
        <<<RowsGrid(num_tokens, dim), kElementwiseThreads, 0, stream>>>(x, x_stride, num_tokens,
                                                                        dim);
    HS_CUDA_CHECK_LAUNCH();
  });
}

void GatedActivate(float* x, int64_t x_stride, const float* up, int64_t up_stride,
                   int64_t num_tokens, int64_t dim, cpu::Activation act, float gate_multiplier,
                   cudaStream_t stream) {
  HS_CHECK(num_tokens >= 0 && dim >= 0 && x_stride >= dim && up_stride >= dim);
  if (num_tokens == 0 || dim == 0) return;
  DispatchActivation(act, [&](auto kind) {
    LaunchChained(GatedActivateKernel<decltype(kind)::value>, dim3(RowsGrid(num_tokens, dim)),
                  dim3(kElementwiseThreads), 0, stream, x, x_stride, up, up_stride, num_tokens, dim,
                  gate_multiplier);
    HS_CUDA_CHECK_LAUNCH();
  });
}

void GatedActivateRounded(const float* x, int64_t x_stride, const float* up, int64_t up_stride,
                          int64_t num_tokens, int64_t dim, cpu::Activation act,
                          float gate_multiplier, RoundedRows out, cudaStream_t stream) {
  DispatchActivation(act, [&](auto kind) {
    LaunchRoundedPair(x, x_stride, up, up_stride, num_tokens, dim,
                      GatedActivation<decltype(kind)::value>{gate_multiplier}, out, stream);
  });
}

void DtSoftplus(float* dt, int64_t dt_stride, int64_t num_tokens, int64_t num_heads, DType btype,
                const void* bias, const float* lo, const float* hi, cudaStream_t stream) {
  HS_CHECK(num_tokens >= 0 && num_heads >= 0 && dt_stride >= num_heads);
  if (num_tokens == 0 || num_heads == 0) return;
  DispatchStorage(btype, [&](auto tag) {
    using B = decltype(tag);
    LaunchChained(DtSoftplusKernel<B>, dim3(RowsGrid(num_tokens, num_heads)),
                  dim3(kElementwiseThreads), 0, stream, dt, dt_stride, num_tokens, num_heads,
                  static_cast<const B*>(bias), lo, hi);
    HS_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace hybridserve::kernels::cuda
