// Why: the Mamba2 prefill path. The chunked "state space duality" (SSD) form computes the same
// recurrence as Mamba2StateUpdate applied token by token, but as small dense products, which is
// how every fast backend does it; this file is the specification those kernels are checked
// against, so it follows Hugging Face's torch_forward algorithm step by step.
// How: heads are independent and split over the pool. For one head, each chunk of Q tokens
// (the last one may be shorter) with a_l = A * dt_l, x~_l = x_l * dt_l and the running sum
// cum_l = a_0 + .. + a_l (accumulated in double, as torch.cumsum does on CPU):
//   decay(l, s) = exp(a_{s+1} + .. + a_l)                 for s <= l (segment sum, no subtraction)
//   y_l   = sum_{s<=l} (C_l . B_s) decay(l, s) x~_s       intra-chunk, causal
//         + exp(cum_l) (C_l . S)                          contribution of the incoming state S
//         + D x_l
//   S    <- exp(cum_{Q-1}) S + sum_s B_s (x) x~_s exp(cum_{Q-1} - cum_s)   state passed on
// starting from the given state, which is left holding the final state.
#include <algorithm>
#include <cmath>
#include <vector>

#include "base/check.h"
#include "kernels/cpu/dot.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/parallel.h"

namespace hybridserve::kernels::cpu {

namespace {

struct SsdArgs {
  const SsdShape& shape;
  const float* x;
  int64_t x_stride;
  const float* dt;
  int64_t dt_stride;
  const float* A;
  const float* B;
  int64_t b_stride;
  const float* C;
  int64_t c_stride;
  const float* D;
  float* state;
  float* y;
  int64_t y_stride;
};

// Per-thread scratch for one chunk of one head.
struct SsdScratch {
  // q_max: the longest chunk of this call, min(chunk_size, num_tokens).
  SsdScratch(const SsdShape& s, int64_t q_max)
      : a(q_max),
        cum(q_max),
        x_dt(q_max * s.head_dim),
        weights(q_max * q_max),
        b_decay(q_max * s.state_size),
        chunk_state(s.head_dim * s.state_size) {}
  std::vector<float> a;            // [Q]
  std::vector<float> cum;          // [Q]
  std::vector<float> x_dt;         // [Q, P]
  std::vector<float> weights;      // [Q, Q]  (C_l . B_s) * decay(l, s), lower triangle
  std::vector<float> b_decay;      // [Q, N]
  std::vector<float> chunk_state;  // [P, N]
};

void ScanHead(const SsdArgs& args, int64_t h, SsdScratch& scratch) {
  const SsdShape& s = args.shape;
  const int64_t P = s.head_dim;
  const int64_t N = s.state_size;
  const int64_t group = h / (s.num_heads / s.num_groups);
  const float a_head = args.A[h];
  const float d_head = args.D != nullptr ? args.D[h] : 0.0f;
  float* state = args.state + h * P * N;  // [P, N]

  for (int64_t t0 = 0; t0 < s.num_tokens; t0 += s.chunk_size) {
    const int64_t q = std::min(s.chunk_size, s.num_tokens - t0);
    auto x_row = [&](int64_t l) { return args.x + (t0 + l) * args.x_stride + h * P; };
    auto b_row = [&](int64_t l) { return args.B + (t0 + l) * args.b_stride + group * N; };
    auto c_row = [&](int64_t l) { return args.C + (t0 + l) * args.c_stride + group * N; };

    // Discretisation: a_l = A * dt_l, x~_l = x_l * dt_l, cum_l.
    double running = 0.0;
    for (int64_t l = 0; l < q; ++l) {
      const float dt = args.dt[(t0 + l) * args.dt_stride + h];
      scratch.a[l] = a_head * dt;
      running += scratch.a[l];
      scratch.cum[l] = static_cast<float>(running);
      const float* xl = x_row(l);
      float* xdt = scratch.x_dt.data() + l * P;
      for (int64_t p = 0; p < P; ++p) xdt[p] = xl[p] * dt;
    }

    // Intra-chunk weights: (C_l . B_s) * exp(segment sum a_{s+1..l}), s <= l.
    for (int64_t s_idx = 0; s_idx < q; ++s_idx) {
      const float* bs = b_row(s_idx);
      double segment = 0.0;
      for (int64_t l = s_idx; l < q; ++l) {
        if (l > s_idx) segment += scratch.a[l];
        const float* cl = c_row(l);
        const float cb = Dot(cl, bs, N);
        scratch.weights[l * q + s_idx] = cb * std::exp(static_cast<float>(segment));
      }
    }

    // Outputs: intra-chunk + incoming state + skip.
    for (int64_t l = 0; l < q; ++l) {
      float* yl = args.y + (t0 + l) * args.y_stride + h * P;
      const float* cl = c_row(l);
      const float* wl = scratch.weights.data() + l * q;
      const float state_decay = std::exp(scratch.cum[l]);
      const float* xl = x_row(l);
      for (int64_t p = 0; p < P; ++p) yl[p] = 0.0f;
      for (int64_t s_idx = 0; s_idx <= l; ++s_idx) {
        const float w = wl[s_idx];
        const float* xdt = scratch.x_dt.data() + s_idx * P;
        for (int64_t p = 0; p < P; ++p) yl[p] += w * xdt[p];
      }
      for (int64_t p = 0; p < P; ++p) {
        const float* sp = state + p * N;
        const float cs = Dot(cl, sp, N);
        yl[p] = (yl[p] + cs * state_decay) + d_head * xl[p];
      }
    }

    // State passed to the next chunk.
    const float total = scratch.cum[q - 1];
    for (int64_t l = 0; l < q; ++l) {
      const float decay = std::exp(total - scratch.cum[l]);
      const float* bl = b_row(l);
      float* bd = scratch.b_decay.data() + l * N;
      for (int64_t n = 0; n < N; ++n) bd[n] = bl[n] * decay;
    }
    float* cs = scratch.chunk_state.data();
    for (int64_t i = 0; i < P * N; ++i) cs[i] = 0.0f;
    for (int64_t l = 0; l < q; ++l) {
      const float* bd = scratch.b_decay.data() + l * N;
      const float* xdt = scratch.x_dt.data() + l * P;
      for (int64_t p = 0; p < P; ++p) {
        const float xv = xdt[p];
        float* row = cs + p * N;
        for (int64_t n = 0; n < N; ++n) row[n] += bd[n] * xv;
      }
    }
    const float chunk_decay = std::exp(total);
    for (int64_t i = 0; i < P * N; ++i) state[i] = chunk_decay * state[i] + cs[i];
  }
}

}  // namespace

void Mamba2ChunkScan(const SsdShape& shape, const float* x, int64_t x_stride, const float* dt,
                     int64_t dt_stride, const float* A, const float* B, int64_t b_stride,
                     const float* C, int64_t c_stride, const float* D, float* state, float* y,
                     int64_t y_stride, ThreadPool* pool) {
  HS_CHECK(shape.chunk_size > 0 && shape.num_groups > 0);
  HS_CHECK(shape.num_heads % shape.num_groups == 0);
  if (shape.num_tokens <= 0) return;
  const SsdArgs args{shape,    x, x_stride, dt, dt_stride, A, B,
                     b_stride, C, c_stride, D,  state,     y, y_stride};
  ParallelFor(pool, shape.num_heads, [&](int64_t begin, int64_t end) {
    SsdScratch scratch(shape, std::min(shape.chunk_size, shape.num_tokens));
    for (int64_t h = begin; h < end; ++h) ScanHead(args, h, scratch);
  });
}

}  // namespace hybridserve::kernels::cpu
