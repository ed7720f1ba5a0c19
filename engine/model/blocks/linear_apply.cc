#include "engine/model/blocks/linear_apply.h"

#include <vector>

#include "kernels/cpu/ops.h"

namespace hybridserve::engine {

void ApplyLinear(const LinearSpec& linear, const WeightStore& weights, const float* x,
                 int64_t x_stride, int64_t num_tokens, float* out, int64_t out_stride,
                 bool accumulate) {
  kernels::cpu::Linear(x, x_stride, weights.Get(linear.weight), weights.Get(linear.bias),
                       num_tokens, linear.in_dim, linear.out_dim, out, out_stride, accumulate);
}

void ApplyLora(const LoraSpec& lora, const WeightStore& weights, const float* x, int64_t x_stride,
               int64_t num_tokens, float* out, int64_t out_stride) {
  if (!lora.present() || num_tokens == 0) return;
  std::vector<float> low(static_cast<size_t>(num_tokens * lora.down.out_dim));
  ApplyLinear(lora.down, weights, x, x_stride, num_tokens, low.data(), lora.down.out_dim);
  ApplyLinear(lora.up, weights, low.data(), lora.down.out_dim, num_tokens, out, out_stride,
              /*accumulate=*/true);
}

void Scale(float* x, int64_t n, float factor) {
  if (factor == 1.0f) return;
  for (int64_t i = 0; i < n; ++i) x[i] *= factor;
}

}  // namespace hybridserve::engine
