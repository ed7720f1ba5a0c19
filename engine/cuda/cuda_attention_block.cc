// Attention on the GPU: q/k/v projections (+ LoRA), key multiplier, RoPE at each row's position,
// KV written through the block tables, paged attention over every row of the batch in one launch,
// output projection. The twin of engine/model/blocks/attention_block.cc.
#include "engine/cuda/cuda_blocks.h"

namespace hybridserve::engine {

void CudaAttention(CudaStep& step, const AttentionSpec& spec, const float* x, float in_scale,
                   float* out, float out_scale, bool accumulate) {
  namespace kc = kernels::cuda;
  const int64_t T = step.num_tokens;
  const int64_t q_dim = spec.num_heads * spec.head_dim;
  const int64_t kv_dim = spec.num_kv_heads * spec.head_dim;
  const int64_t in = spec.input_dim;
  float* q = step.arena->Alloc<float>(T * q_dim);   // [T, nq, hd]
  float* k = step.arena->Alloc<float>(T * kv_dim);  // [T, nkv, hd]
  float* v = step.arena->Alloc<float>(T * kv_dim);  // [T, nkv, hd]
  // The input scale and the key multiplier ride on the GEMMs where the products alone are
  // scaled: no biases to keep unscaled, no adapters reading the same input.
  const bool adapters = spec.q_lora.present() || spec.k_lora.present() || spec.v_lora.present();
  const bool biases =
      spec.q_proj.bias.present() || spec.k_proj.bias.present() || spec.v_proj.bias.present();
  if (in_scale != 1.0f && (adapters || biases)) {
    float* scaled = step.arena->Alloc<float>(T * in);
    kc::CopyRows(x, in, scaled, in, T, in, step.stream);
    kc::Scale(scaled, T * in, in_scale, step.stream);
    x = scaled;
    in_scale = 1.0f;
  }
  const bool fold_key = !spec.k_lora.present();
  const float key_scale = fold_key ? in_scale * spec.key_multiplier : in_scale;
  const DeviceWeights& w = *step.weights;
  const kc::GemvSegment qkv[] = {
      {w.Get(spec.q_proj.weight), nullptr, q, q_dim, q_dim, in_scale, false},
      {w.Get(spec.k_proj.weight), nullptr, k, kv_dim, kv_dim, key_scale, false},
      {w.Get(spec.v_proj.weight), nullptr, v, kv_dim, kv_dim, in_scale, false}};
  // Decode: the three projections in one launch where the GEMV takes them (no biases).
  if (biases || !step.blas->LinearGroup(x, in, w.dtype(), T, in, qkv)) {
    CudaLinear(step, spec.q_proj, x, in, T, q, q_dim, false, in_scale);
    CudaLinear(step, spec.k_proj, x, in, T, k, kv_dim, false, key_scale);
    CudaLinear(step, spec.v_proj, x, in, T, v, kv_dim, false, in_scale);
  }
  CudaLora(step, spec.q_lora, x, in, T, q, q_dim);
  CudaLora(step, spec.k_lora, x, in, T, k, kv_dim);
  CudaLora(step, spec.v_lora, x, in, T, v, kv_dim);
  if (!fold_key && spec.key_multiplier != 1.0f) {
    kc::Scale(k, T * kv_dim, spec.key_multiplier, step.stream);
  }
  // RoPE of q and k and the KV write in one launch.
  const kc::PagedKvCache kv = step.cache->Kv(spec.kv_layer);
  kc::ApplyRopeQkWriteKv(q, q_dim, spec.num_heads, k, kv_dim, v, kv_dim, step.positions,
                         spec.rope.rotary_dim, spec.rope.theta, step.batch, kv, step.stream);
  float* attended = step.arena->Alloc<float>(T * q_dim);  // [T, nq * hd]
  void* scratch = step.arena->AllocBytes(kc::PagedAttentionScratchBytes(
      static_cast<int32_t>(spec.num_heads), static_cast<int32_t>(spec.head_dim)));
  kc::PagedAttention(q, q_dim, static_cast<int32_t>(spec.num_heads), spec.scale, step.batch, kv,
                     attended, q_dim, scratch, step.stream);
  CudaLinear(step, spec.o_proj, attended, q_dim, T, out, spec.o_proj.out_dim, accumulate,
             out_scale);
}

}  // namespace hybridserve::engine
