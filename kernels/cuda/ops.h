// The CUDA ops: the same operations as kernels/cpu/ops.h (the specification), on device memory,
// enqueued on a stream. Each op is tested against its CPU twin on random inputs
// (tests/kernels/cuda/).
//
// Data types: activations are fp32 everywhere (residual stream, norms, SSM inputs and outputs);
// weights and the KV cache are stored in the model's storage type (fp32, bf16 or fp16); every
// reduction accumulates in fp32; SSM and conv states are fp32. Only the GEMMs and the attention
// kernels read the storage type, so every other kernel has exactly one (fp32) instantiation.
//
// All pointers are device pointers unless the comment says "host". Shapes use the names of
// kernels/cpu/ops.h: T tokens, D width, H/P/N/G SSM heads / head dim / state / groups, K conv
// width, C conv channels. Ops never synchronize the stream and never allocate; scratch comes
// from the caller. Errors in arguments are programmer errors (HS_CHECK).
#ifndef HYBRIDSERVE_KERNELS_CUDA_OPS_H_
#define HYBRIDSERVE_KERNELS_CUDA_OPS_H_

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cpu/ops.h"  // Activation, GatedNormOrder, RouterParams, Router

namespace hybridserve::kernels::cuda {

enum class DType { kF32, kBF16, kF16 };
int64_t DTypeBytes(DType dtype);

// ---- conversion and elementwise ------------------------------------------------------------

// out[i] = (float)in[i] (in of dtype) / out[i] = (dtype)in[i], n elements.
void ToFloat(DType dtype, const void* in, int64_t n, float* out, cudaStream_t stream);
void FromFloat(DType dtype, const float* in, int64_t n, void* out, cudaStream_t stream);

// out[t, :] = table[tokens[t], :] * multiplier.  tokens: [T]; table: [V, D] (dtype); out: [T, D].
void Embedding(DType dtype, const int32_t* tokens, int64_t num_tokens, const void* table,
               int64_t dim, float multiplier, float* out, cudaStream_t stream);

// x[i] *= s, n elements.
void Scale(float* x, int64_t n, float s, cudaStream_t stream);
// y[t, i] += a * x[t, i] over [T, dim] with row strides.
void Axpy(float a, const float* x, int64_t x_stride, float* y, int64_t y_stride, int64_t num_tokens,
          int64_t dim, cudaStream_t stream);
// dst[t, :dim] = src[t, :dim] with row strides (a strided 2-D copy; also used for concatenation).
void CopyRows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride,
              int64_t num_tokens, int64_t dim, cudaStream_t stream);
// dst[r, :] = src[rows[r], :] for r < num_rows.  rows: [num_rows] (device).
void GatherRows(const float* src, int64_t dim, const int32_t* rows, int64_t num_rows, float* dst,
                cudaStream_t stream);

// ---- normalisation and activations (mirrors of the CPU ops, fp32 in and out) ---------------

// Rows of an op's result rounded to a GEMM's input type (bf16/fp16), for Blas::LinearRounded:
// the values Blas::Linear would have rounded the fp32 result to. stride in elements.
struct RoundedRows {
  DType type = DType::kF32;  // kF32: none
  void* data = nullptr;
  int64_t stride = 0;
};

// x, out: [T, D] with row strides x_stride / out_stride; weight: [D] (dtype). out may alias x.
// With rounded, the result is also written there, rounded.
void RmsNorm(const float* x, int64_t x_stride, DType wtype, const void* weight, int64_t num_tokens,
             int64_t dim, float eps, float* out, int64_t out_stride, cudaStream_t stream,
             RoundedRows rounded = {});
// y, z, out: [T, dim] with row strides; weight: [dim] (dtype). out may alias y.
void GatedRmsNorm(const float* y, int64_t y_stride, const float* z, int64_t z_stride, DType wtype,
                  const void* weight, int64_t num_tokens, int64_t dim, int64_t group_size,
                  float eps, cpu::GatedNormOrder order, float* out, int64_t out_stride,
                  cudaStream_t stream);
// The gated norm of a group split over tensor-parallel shards, in two steps: each shard writes the
// square sums of its dim channels of each token (sums[t * sums_stride]; h = y * silu(z) or y as
// `order` says), the shards add them up, and each normalises its channels with the group's sums
// (group_size channels in all). Equals GatedRmsNorm over the whole group up to summation order.
void GatedSquareSums(const float* y, int64_t y_stride, const float* z, int64_t z_stride,
                     int64_t num_tokens, int64_t dim, cpu::GatedNormOrder order, float* sums,
                     int64_t sums_stride, cudaStream_t stream);
void GatedRmsNormFromSums(const float* y, int64_t y_stride, const float* z, int64_t z_stride,
                          DType wtype, const void* weight, int64_t num_tokens, int64_t dim,
                          const float* sums, int64_t sums_stride, int64_t group_size, float eps,
                          cpu::GatedNormOrder order, float* out, int64_t out_stride,
                          cudaStream_t stream);
void GateSilu(float* y, int64_t y_stride, const float* z, int64_t z_stride, int64_t num_tokens,
              int64_t dim, cudaStream_t stream);
// out = round(y * silu(z)) (y is left as it is): GateSilu for a GEMM that reads rounded rows.
void GateSiluRounded(const float* y, int64_t y_stride, const float* z, int64_t z_stride,
                     int64_t num_tokens, int64_t dim, RoundedRows out, cudaStream_t stream);
// x[t, i] = act(x[t, i]) over [T, dim] with row stride.
void Activate(float* x, int64_t x_stride, int64_t num_tokens, int64_t dim, cpu::Activation act,
              cudaStream_t stream);
// x[t, i] = act(x[t, i] * gate_multiplier) * up[t, i] (a gated MLP's middle), row strides.
void GatedActivate(float* x, int64_t x_stride, const float* up, int64_t up_stride,
                   int64_t num_tokens, int64_t dim, cpu::Activation act, float gate_multiplier,
                   cudaStream_t stream);
// out = round(act(x * gate_multiplier) * up) (x is left as it is), for a GEMM reading rounded rows.
void GatedActivateRounded(const float* x, int64_t x_stride, const float* up, int64_t up_stride,
                          int64_t num_tokens, int64_t dim, cpu::Activation act,
                          float gate_multiplier, RoundedRows out, cudaStream_t stream);
// dt[t, h] = clamp(softplus(dt[t, h] + bias[h]), lo[t], hi[t]) over [T, H] with row stride;
// bias: [H] (dtype); lo, hi: [T] per-token limits (prompt vs decode tokens).
void DtSoftplus(float* dt, int64_t dt_stride, int64_t num_tokens, int64_t num_heads, DType btype,
                const void* bias, const float* lo, const float* hi, cudaStream_t stream);

// ---- positions -------------------------------------------------------------------------------

// In-place NeoX RoPE on the first rotary_dim channels of each head (as cpu::ApplyRope).
// x: [T, num_heads, head_dim] with row stride; positions: [T] (device, int64).
void ApplyRope(float* x, int64_t x_stride, const int64_t* positions, int64_t num_tokens,
               int64_t num_heads, int64_t head_dim, int64_t rotary_dim, double theta,
               cudaStream_t stream);
// ApplyRope on q ([T, q_heads, head_dim]) and k ([T, k_heads, head_dim]) in one launch.
void ApplyRopeQk(float* q, int64_t q_stride, int64_t q_heads, float* k, int64_t k_stride,
                 int64_t k_heads, const int64_t* positions, int64_t num_tokens, int64_t head_dim,
                 int64_t rotary_dim, double theta, cudaStream_t stream);

// ---- batch layout ----------------------------------------------------------------------------

// How the T rows of a step's activations split into sequences. All arrays are device arrays.
struct BatchLayout {
  int32_t num_seqs = 0;
  int32_t num_tokens = 0;
  int32_t max_seq_tokens = 0;              // max over sequences of their rows this step
  const int32_t* seq_row_begin = nullptr;  // [S + 1]: rows of sequence s are [begin[s], begin[s+1])
  const int32_t* seq_start_pos = nullptr;  // [S]: tokens of s already cached before this step
  const int32_t* token_seq = nullptr;      // [T]: sequence of each row
  const int32_t* seq_slot = nullptr;       // [S]: SSM slot of each sequence
  const int32_t* block_tables = nullptr;   // [S, max_blocks]: KV blocks of each sequence
  int32_t max_blocks = 0;                  // row stride of block_tables
  int32_t max_context = 0;                 // max over sequences of start_pos + rows
};

// ---- attention over a paged KV cache -----------------------------------------------------------

// One attention layer's KV memory: [num_blocks, block_size, num_kv_heads, head_dim] each.
struct PagedKvCache {
  void* keys = nullptr;
  void* values = nullptr;
  DType dtype = DType::kF32;
  int32_t block_size = 0;
  int32_t num_kv_heads = 0;
  int32_t head_dim = 0;
};

// Writes each row's k, v (fp32, [T, nkv, hd] with row strides) at its position (seq_start_pos +
// row offset) through its sequence's block table.
void WriteKv(const float* k, int64_t k_stride, const float* v, int64_t v_stride,
             const BatchLayout& batch, const PagedKvCache& kv, cudaStream_t stream);

// ApplyRopeQk (k_heads = kv.num_kv_heads, head_dim = kv.head_dim, one row per batch token), then
// WriteKv of the rotated k and of v, in one launch: the same q, k and cache contents as the two
// calls, one launch fewer on the decode step.
void ApplyRopeQkWriteKv(float* q, int64_t q_stride, int64_t q_heads, float* k, int64_t k_stride,
                        const float* v, int64_t v_stride, const int64_t* positions,
                        int64_t rotary_dim, double theta, const BatchLayout& batch,
                        const PagedKvCache& kv, cudaStream_t stream);

// Causal GQA attention for every row over its sequence's keys 0..position (written first with
// WriteKv): softmax(q.k * scale) . v with fp32 accumulation and an online softmax (no score
// matrix). q: [T, num_heads, head_dim] (row stride q_stride); out: [T, num_heads * head_dim]
// (row stride out_stride). Handles prefill chunks (many rows per sequence) and decode rows in one
// launch; query head h reads kv head h / (num_heads / num_kv_heads).
// head_dim: up to 256 (multiples of 32 take the tiled kernels, others a generic one); block_size:
// any positive value (16, 32, 64 in practice). Precision: the fp32 cores in the CPU op's
// arithmetic, except for batches that are not decode-only over a bf16/fp16 cache at head_dim 64
// or 128 (prefill), whose two products run on the tensor cores with Q and the softmax
// probabilities rounded to the cache's type (fp32 accumulation and softmax; within ~1e-2 (bf16)
// and ~2e-3 (fp16) of the output's scale).
void PagedAttention(const float* q, int64_t q_stride, int32_t num_heads, float scale,
                    const BatchLayout& batch, const PagedKvCache& kv, float* out,
                    int64_t out_stride, cudaStream_t stream);

// The same, free to split long contexts across CTAs (flash-decoding: each CTA attends to one
// partition of the keys, a second kernel merges the partial softmaxes), which is what keeps the
// GPU busy for decode batches of a few sequences with long contexts. scratch: device memory of at
// least PagedAttentionScratchBytes(num_heads, head_dim) bytes, 16-byte aligned, enough for any
// batch (the op bounds its partitions by it); contents are overwritten, no need to clear it.
// The tensor-core prefill path does not split and leaves scratch untouched.
int64_t PagedAttentionScratchBytes(int32_t num_heads, int32_t head_dim);
void PagedAttention(const float* q, int64_t q_stride, int32_t num_heads, float scale,
                    const BatchLayout& batch, const PagedKvCache& kv, float* out,
                    int64_t out_stride, void* scratch, cudaStream_t stream);

// ---- state-space layers
// --------------------------------------------------------------------------

// Causal depthwise conv per sequence from its slot's window (as cpu::CausalConv1d, batched):
// x: [T, C] raw inputs (row stride); weight: [C, K] (fp32); bias: [C] (fp32) or null;
// conv_state: [num_slots, C, K] (fp32), read and updated for each sequence's slot;
// out: [T, C] (row stride). out must not alias x.
void CausalConv1d(const float* x, int64_t x_stride, int64_t channels, int64_t kernel_width,
                  const float* weight, const float* bias, bool apply_silu, const BatchLayout& batch,
                  float* conv_state, float* out, int64_t out_stride, cudaStream_t stream);

// How the chunked scan computes its three products (C B^T, the chunk states, the outputs):
//   kExact       fp32 multiply-adds on the CUDA cores in the CPU op's order: within a few fp32
//                ulps of cpu::Mamba2ChunkScan (fp32 models).
//   kTensorCore  tensor cores with TF32 operands (10-bit mantissa) and fp32 accumulation, ~2x
//                faster (H200, Nemotron-H-8B shape: 1.40 vs 2.70 ms at 4096 tokens): within
//                ~1e-3 of the output scale, below the rounding of bf16/fp16 weights (the engine
//                picks it for those models).
// The cumulative sums, decays and the state passing across chunks are the same fp32/double code
// in both.
enum class ScanPrecision { kExact, kTensorCore };

// Mamba2 SSD chunked scan for ONE sequence's rows (the prefill path; as cpu::Mamba2ChunkScan):
// from state (its slot's [H, P, N], fp32) and leaving the final state in it. A, D: [H] fp32
// (D may be null). Scratch: at least Mamba2ChunkScanScratchFloats(shape) floats (either
// precision).
int64_t Mamba2ChunkScanScratchFloats(const cpu::SsdShape& shape);
void Mamba2ChunkScan(const cpu::SsdShape& shape, const float* x, int64_t x_stride, const float* dt,
                     int64_t dt_stride, const float* A, const float* B, int64_t b_stride,
                     const float* C, int64_t c_stride, const float* D, float* state, float* y,
                     int64_t y_stride, float* scratch, cudaStream_t stream,
                     ScanPrecision precision = ScanPrecision::kExact);

// Mamba2 single-step state update for many sequences at once (the decode path): row r (one token)
// updates slot slots[r] of state ([num_slots, H, P, N], fp32). x: [R, H, P], dt: [R, H],
// B, C: [R, G, N] (row strides given); y: [R, H, P] (row stride). With raw_dt.bias, dt is
// in_proj's raw output and the update applies DtSoftplus to it itself (bias [H] fp32, lo/hi [R]):
// the same dt values, one launch fewer on the decode step; dt is left as it was.
struct RawDt {
  const float* bias = nullptr;
  const float* lo = nullptr;
  const float* hi = nullptr;
};
void Mamba2StateUpdate(int64_t num_rows, int64_t num_heads, int64_t head_dim, int64_t num_groups,
                       int64_t state_size, const float* x, int64_t x_stride, const float* dt,
                       int64_t dt_stride, const float* A, const float* B, int64_t b_stride,
                       const float* C, int64_t c_stride, const float* D, const int32_t* slots,
                       float* state, float* y, int64_t y_stride, cudaStream_t stream,
                       const RawDt& raw_dt = {});

// Mamba1 selective scan, batched over sequences (prefill chunks and decode rows alike): each
// sequence scans its rows in order from its slot's state ([num_slots, I, N], fp32).
// x, dt: [T, I]; A: [I, N]; B, C: [T, N]; D: [I] or null; y: [T, I] (row strides given).
void Mamba1Scan(int64_t inner, int64_t state_size, const float* x, int64_t x_stride,
                const float* dt, int64_t dt_stride, const float* A, const float* B,
                int64_t b_stride, const float* C, int64_t c_stride, const float* D,
                const BatchLayout& batch, float* state, float* y, int64_t y_stride,
                cudaStream_t stream);

// Zeroes the SSM and conv state of each listed slot: state [num_slots, slot_floats].
void ZeroSlots(float* state, int64_t slot_floats, const int32_t* slots, int64_t num_slots_listed,
               cudaStream_t stream);

// ---- mixture of experts routing
// ------------------------------------------------------------------

// As cpu::RouteTokens on device: logits [T, E] fp32 -> experts [T, top_k], weights [T, top_k].
// params.correction_bias, when set, is a device pointer (fp32).
void RouteTokens(const cpu::RouterParams& params, const float* logits, int64_t num_tokens,
                 int32_t* experts, float* weights, cudaStream_t stream);

// out[rows[r], :] += weights[r] * src[r, :] for r < num_rows (rows may repeat across calls, not
// within one call). src: [R, D]; rows: [R]; weights: [R] (device).
void ScatterAddRows(const float* src, int64_t dim, const int32_t* rows, const float* weights,
                    int64_t num_rows, float* out, cudaStream_t stream);

}  // namespace hybridserve::kernels::cuda

#endif  // HYBRIDSERVE_KERNELS_CUDA_OPS_H_
