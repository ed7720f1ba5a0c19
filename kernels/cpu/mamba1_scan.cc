// Why: the Mamba1 selective scan (Jamba's SSM layers), for a prefill chunk continuing from the
// carried state or a single decode step. Mamba1 has a per-channel, per-state A, so there is no
// cheap chunked form; the recurrence itself is the reference.
// How: channels are independent and split over the pool. For channel i and each token t, in the
// order of Hugging Face's slow path: S[n] = exp(A[i, n] * dt) * S[n] + (dt * B[t, n]) * x;
// y = sum_n S[n] * C[t, n] + x * D[i]. The state is fp32 and updated in place.
#include <cmath>

#include "kernels/cpu/ops.h"
#include "kernels/cpu/parallel.h"

namespace hybridserve::kernels::cpu {

void Mamba1Scan(int64_t num_tokens, int64_t inner, int64_t state_size, const float* x,
                int64_t x_stride, const float* dt, int64_t dt_stride, const float* A,
                const float* B, int64_t b_stride, const float* C, int64_t c_stride, const float* D,
                float* state, float* y, int64_t y_stride, ThreadPool* pool) {
  if (num_tokens <= 0) return;
  const int64_t N = state_size;
  ParallelFor(
      pool, inner,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          float* s = state + i * N;
          const float* a = A + i * N;
          const float d_i = D != nullptr ? D[i] : 0.0f;
          for (int64_t t = 0; t < num_tokens; ++t) {
            const float dt_i = dt[t * dt_stride + i];
            const float xv = x[t * x_stride + i];
            const float* b = B + t * b_stride;
            const float* c = C + t * c_stride;
            float acc = 0.0f;
            for (int64_t n = 0; n < N; ++n) {
              s[n] = std::exp(a[n] * dt_i) * s[n] + (dt_i * b[n]) * xv;
              acc += s[n] * c[n];
            }
            y[t * y_stride + i] = acc + xv * d_i;
          }
        }
      },
      GrainFor(num_tokens * N * 4));
}

}  // namespace hybridserve::kernels::cpu
