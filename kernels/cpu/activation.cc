// Why: the MLP activations (SiLU for gated MLPs, exact GELU, Nemotron-H's squared ReLU) and the
// dt softplus of the SSM layers, applied in place over flat buffers.
// How: elementwise with the scalar forms of scalar_math.h, which follow PyTorch's fp32 kernels;
// Activate splits the buffer over the pool, SoftplusClamp is small (T x H) and runs inline.
#include <algorithm>

#include "kernels/cpu/ops.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/scalar_math.h"

namespace hybridserve::kernels::cpu {

namespace {

template <float (*kFn)(float)>
void ApplyRange(float* x, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) x[i] = kFn(x[i]);
}

}  // namespace

void Activate(float* x, int64_t n, Activation act, ThreadPool* pool) {
  ParallelFor(
      pool, n,
      [&](int64_t begin, int64_t end) {
        switch (act) {
          case Activation::kSilu:
            ApplyRange<Silu>(x, begin, end);
            break;
          case Activation::kGelu:
            ApplyRange<GeluErf>(x, begin, end);
            break;
          case Activation::kRelu2:
            ApplyRange<Relu2>(x, begin, end);
            break;
        }
      },
      GrainFor(1));
}

void SoftplusClamp(float* x, int64_t n, float lo, float hi) {
  for (int64_t i = 0; i < n; ++i) x[i] = std::min(std::max(Softplus(x[i]), lo), hi);
}

}  // namespace hybridserve::kernels::cpu
