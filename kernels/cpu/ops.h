// The CPU reference ops: the specification every other backend is tested against.
//
// All compute is fp32. Tensors are dense, row-major, and passed as raw pointers with a shape
// comment naming each dim. T = tokens of one call, D = model width, H = SSM heads, P = SSM head
// dim, N = SSM state size, G = SSM groups, K = conv kernel width, C = conv channels.
// Ops never allocate per call beyond small scratch; "pool" may be null (then single-threaded).
#ifndef HYBRIDSERVE_KERNELS_CPU_OPS_H_
#define HYBRIDSERVE_KERNELS_CPU_OPS_H_

#include <cstdint>

#include "kernels/cpu/thread_pool.h"

namespace hybridserve::kernels::cpu {

// ---- elementwise and normalisation -------------------------------------------------------

// out[t, :] = x[t, :] * rsqrt(mean(x[t, :]^2) + eps) * weight.   x, out: [T, D]; weight: [D].
// out may alias x.
void RmsNorm(const float* x, const float* weight, int64_t num_tokens, int64_t dim, float eps,
             float* out, ThreadPool* pool);

enum class GatedNormOrder {
  kGateThenNorm,  // h = y * silu(z); out = weight * h * rsqrt(var_group(h) + eps)
  kNormThenGate,  // out = weight * y * rsqrt(var_group(y) + eps) * silu(z)   (Falcon-H1
                  // norm_before_gate)
};
// Gated RMSNorm over groups of group_size contiguous channels (group_size == dim: ungrouped).
// y, z, out: [T, dim]; weight: [dim]. out may alias y.
void GatedRmsNorm(const float* y, const float* z, const float* weight, int64_t num_tokens,
                  int64_t dim, int64_t group_size, float eps, GatedNormOrder order, float* out,
                  ThreadPool* pool);

// y[t, i] *= silu(z[t, i]).   y, z: [T, dim] with row strides (elements) y_stride, z_stride.
void GateSilu(float* y, int64_t y_stride, const float* z, int64_t z_stride, int64_t num_tokens,
              int64_t dim, ThreadPool* pool);

enum class Activation { kSilu, kGelu /* exact erf GELU */, kRelu2 /* relu(x)^2 */ };
// x[i] = act(x[i]) over n elements.
void Activate(float* x, int64_t n, Activation act, ThreadPool* pool);

// ---- linear algebra ----------------------------------------------------------------------

// out[T, N] = x[T, K] . weight[N, K]^T (+ bias[N]); bias may be null. Row strides are in
// elements (x_stride >= K, out_stride >= N). accumulate: out += result instead of out = result.
void Linear(const float* x, int64_t x_stride, const float* weight, const float* bias,
            int64_t num_tokens, int64_t in_dim, int64_t out_dim, float* out, int64_t out_stride,
            bool accumulate = false);

// ---- positions ---------------------------------------------------------------------------

// In-place NeoX-style (rotate_half) RoPE on the first rotary_dim channels of each head; the rest
// pass through. x: [T, num_heads, head_dim] with row stride x_stride (elements) between tokens;
// positions: [T]. inv_freq[i] = 1 / theta^(2i / rotary_dim), angles computed as HF does (fp32).
void ApplyRope(float* x, int64_t x_stride, const int64_t* positions, int64_t num_tokens,
               int64_t num_heads, int64_t head_dim, int64_t rotary_dim, double theta);

// ---- attention over a paged KV cache -----------------------------------------------------

// One attention layer's view of the paged KV pool. Token position p of a sequence lives in
// block block_table[p / block_size], row p % block_size.
struct PagedKv {
  float* keys = nullptr;    // [num_blocks, block_size, num_kv_heads, head_dim]
  float* values = nullptr;  // [num_blocks, block_size, num_kv_heads, head_dim]
  int64_t block_size = 0;
  const int32_t* block_table = nullptr;  // [>= ceil(positions / block_size)]
};

// Writes k, v for tokens at positions [start_position, start_position + T) into the cache.
// k, v: [T, num_kv_heads, head_dim] with row strides k_stride, v_stride (elements).
void WriteKv(const float* k, int64_t k_stride, const float* v, int64_t v_stride, int64_t num_tokens,
             int64_t start_position, int64_t num_kv_heads, int64_t head_dim, const PagedKv& kv);

// Causal GQA attention for T new queries at positions [start_position, start_position + T) over
// keys 0..position (already written with WriteKv). Query head h uses kv head h / (nq / nkv).
// q: [T, num_heads, head_dim] (row stride q_stride); out: [T, num_heads * head_dim] (row stride
// out_stride). softmax(q.k * scale) . v, all fp32.
void PagedAttention(const float* q, int64_t q_stride, int64_t num_tokens, int64_t start_position,
                    int64_t num_heads, int64_t num_kv_heads, int64_t head_dim, float scale,
                    const PagedKv& kv, float* out, int64_t out_stride, ThreadPool* pool);

// ---- state-space layers ------------------------------------------------------------------

// Causal depthwise conv over time with a carried window, then optional SiLU. Works for a prefill
// chunk of any length (also continuing) and for a single decode step (T = 1).
// x: [T, C] (row stride x_stride) raw pre-conv inputs; weight: [C, K]; bias: [C] or null;
// state: [C, K], the last K pre-conv inputs of the sequence so far (oldest at k = 0; zeros for a
// new sequence), updated in place to the last K inputs including x. out: [T, C] (row stride
// out_stride); out[t, c] = bias[c] + sum_k weight[c, k] * window_t[c, k], where window_t is the
// K inputs ending at t.
void CausalConv1d(const float* x, int64_t x_stride, int64_t num_tokens, int64_t channels,
                  int64_t kernel_width, const float* weight, const float* bias, bool apply_silu,
                  float* state, float* out, int64_t out_stride, ThreadPool* pool);

// Mamba2 SSD, chunked (the prefill path). Exactly the recurrence
//   S_t[h,p,n] = exp(dt[t,h] * A[h]) * S_{t-1}[h,p,n] + dt[t,h] * B[t,g(h),n] * x[t,h,p]
//   y[t,h,p]   = sum_n C[t,g(h),n] * S_t[h,p,n] + D[h] * x[t,h,p],   g(h) = h / (H / G)
// computed chunk by chunk of chunk_size tokens (intra-chunk quadratic form + inter-chunk state
// passing), starting from state and leaving the final state in it.
// x: [T, H, P] (row stride x_stride); dt: [T, H] (already softplus'ed and clamped; row stride
// dt_stride); A: [H] (negative); B, C: [T, G, N] (row strides b_stride, c_stride); D: [H] or null;
// state: [H, P, N] in/out; y: [T, H, P] (row stride y_stride).
struct SsdShape {
  int64_t num_tokens, num_heads, head_dim, num_groups, state_size, chunk_size;
};
void Mamba2ChunkScan(const SsdShape& shape, const float* x, int64_t x_stride, const float* dt,
                     int64_t dt_stride, const float* A, const float* B, int64_t b_stride,
                     const float* C, int64_t c_stride, const float* D, float* state, float* y,
                     int64_t y_stride, ThreadPool* pool);

// Mamba2 single-step state update (the decode path): the recurrence above for one token.
// x: [H, P]; dt: [H]; B, C: [G, N]; state: [H, P, N] in/out; y: [H, P].
void Mamba2StateUpdate(int64_t num_heads, int64_t head_dim, int64_t num_groups, int64_t state_size,
                       const float* x, const float* dt, const float* A, const float* B,
                       const float* C, const float* D, float* state, float* y);

// Mamba1 selective scan over T tokens from state (prefill chunk or T = 1 decode):
//   S[i,n] = exp(dt[t,i] * A[i,n]) * S[i,n] + dt[t,i] * B[t,n] * x[t,i]
//   y[t,i] = sum_n S[i,n] * C[t,n] + D[i] * x[t,i]
// x, dt: [T, I] (row strides x_stride, dt_stride); A: [I, N]; B, C: [T, N] (row strides
// b_stride, c_stride); D: [I] or null; state: [I, N] in/out; y: [T, I] (row stride y_stride).
void Mamba1Scan(int64_t num_tokens, int64_t inner, int64_t state_size, const float* x,
                int64_t x_stride, const float* dt, int64_t dt_stride, const float* A,
                const float* B, int64_t b_stride, const float* C, int64_t c_stride, const float* D,
                float* state, float* y, int64_t y_stride, ThreadPool* pool);

// x[i] = log1p(exp(x[i])) (PyTorch softplus, threshold 20), then clamp to [lo, hi].
void SoftplusClamp(float* x, int64_t n, float lo, float hi);

// ---- mixture of experts routing ----------------------------------------------------------

enum class Router {
  kTopkThenSoftmax,     // GraniteMoeHybrid: top-k of logits, softmax over the k selected
  kSoftmaxThenTopk,     // Jamba: softmax over all experts, top-k, no renormalisation
  kSigmoidGroupedTopk,  // Nemotron-H (DeepSeek-V3 style): sigmoid, + correction bias for the
                        // choice only, group-limited top-k, optional renormalisation, scaling
};
struct RouterParams {
  Router kind = Router::kTopkThenSoftmax;
  int64_t num_experts = 0;
  int64_t top_k = 0;
  const float* correction_bias = nullptr;  // [E], kSigmoidGroupedTopk only (may be null)
  int64_t num_groups = 1;                  // kSigmoidGroupedTopk: n_group
  int64_t top_groups = 1;                  // kSigmoidGroupedTopk: topk_group
  bool normalize = true;                   // kSigmoidGroupedTopk: norm_topk_prob
  float scaling = 1.0f;                    // kSigmoidGroupedTopk: routed_scaling_factor
};
// logits: [T, E]; experts: [T, top_k] chosen expert ids; weights: [T, top_k] their gates.
// Ties break toward the lower expert id (as torch.topk does on CPU).
void RouteTokens(const RouterParams& params, const float* logits, int64_t num_tokens,
                 int32_t* experts, float* weights);

}  // namespace hybridserve::kernels::cpu

#endif  // HYBRIDSERVE_KERNELS_CPU_OPS_H_
