// Why: the Mamba2 decode path: one token per sequence advances the SSM state by one step, which
// is cheaper than any chunked form.
// How: per head h (group g = h / (H / G)), in the order Hugging Face's selective state update
// uses: dA = exp(dt * A); S[p, n] = S[p, n] * dA + (dt * B[n]) * x[p]; y[p] = sum_n S[p, n] * C[n]
// + D * x[p]. The state is fp32 and updated in place.
#include <cmath>

#include "base/check.h"
#include "kernels/cpu/ops.h"

namespace hybridserve::kernels::cpu {

void Mamba2StateUpdate(int64_t num_heads, int64_t head_dim, int64_t num_groups, int64_t state_size,
                       const float* x, const float* dt, const float* A, const float* B,
                       const float* C, const float* D, float* state, float* y) {
  HS_CHECK(num_groups > 0 && num_heads % num_groups == 0);
  const int64_t heads_per_group = num_heads / num_groups;
  const int64_t N = state_size;
  for (int64_t h = 0; h < num_heads; ++h) {
    const int64_t group = h / heads_per_group;
    const float dt_h = dt[h];
    const float decay = std::exp(dt_h * A[h]);
    const float* b = B + group * N;
    const float* c = C + group * N;
    const float d_h = D != nullptr ? D[h] : 0.0f;
    for (int64_t p = 0; p < head_dim; ++p) {
      const float xv = x[h * head_dim + p];
      float* s = state + (h * head_dim + p) * N;
      float acc = 0.0f;
      for (int64_t n = 0; n < N; ++n) {
        s[n] = s[n] * decay + (dt_h * b[n]) * xv;
        acc += s[n] * c[n];
      }
      y[h * head_dim + p] = acc + xv * d_h;
    }
  }
}

}  // namespace hybridserve::kernels::cpu
