// Why: rotary position embedding for the attention layers that use it (Bamba partially,
// Falcon-H1, Zamba2, Granite). Matching PyTorch's fp32 angles matters: at large positions and
// large theta a different rounding of the angle moves cos/sin by far more than 1e-6.
// How: the angles are formed exactly as Hugging Face does in fp32:
//   inv_freq[i] = 1 / (theta_f ^ (float(2i) / float(rotary_dim))),  angle = float(pos) *
//   inv_freq[i]
// then cos/sin of the fp32 angle. The NeoX (rotate_half) pairing rotates channel i with channel
// i + rotary_dim/2: out_lo = x_lo*cos - x_hi*sin, out_hi = x_hi*cos + x_lo*sin; channels from
// rotary_dim on pass through.
#include <cmath>
#include <vector>

#include "base/check.h"
#include "kernels/cpu/ops.h"

namespace hybridserve::kernels::cpu {

void ApplyRope(float* x, int64_t x_stride, const int64_t* positions, int64_t num_tokens,
               int64_t num_heads, int64_t head_dim, int64_t rotary_dim, double theta) {
  HS_CHECK(rotary_dim % 2 == 0 && rotary_dim <= head_dim);
  if (num_tokens <= 0 || rotary_dim == 0) return;
  const int64_t half = rotary_dim / 2;

  // PyTorch evaluates `base ** float_tensor` with the base rounded to the tensor's fp32.
  const float base = static_cast<float>(theta);
  std::vector<float> inv_freq(half);
  for (int64_t i = 0; i < half; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(rotary_dim);
    inv_freq[i] = 1.0f / std::pow(base, exponent);
  }

  std::vector<float> cos_v(half);
  std::vector<float> sin_v(half);
  for (int64_t t = 0; t < num_tokens; ++t) {
    const float position = static_cast<float>(positions[t]);
    for (int64_t i = 0; i < half; ++i) {
      const float angle = position * inv_freq[i];
      cos_v[i] = std::cos(angle);
      sin_v[i] = std::sin(angle);
    }
    float* row = x + t * x_stride;
    for (int64_t h = 0; h < num_heads; ++h) {
      float* head = row + h * head_dim;
      for (int64_t i = 0; i < half; ++i) {
        const float lo = head[i];
        const float hi = head[i + half];
        head[i] = lo * cos_v[i] + (-hi) * sin_v[i];
        head[i + half] = hi * cos_v[i] + lo * sin_v[i];
      }
    }
  }
}

}  // namespace hybridserve::kernels::cpu
