// The internal description of a model: a list of layers built from a Hugging Face config.json by
// one adapter per family (engine/model/families). It expresses sequential hybrids (one mixer per
// layer) and parallel ones (attention and SSM branches on the same normed input, merged with
// multipliers), plus the few family-specific pieces (Zamba2's shared transformer block).
//
// Every weight is named by a TensorRef: the tensor's name in the checkpoint (with aliases for
// other on-disk spellings), the shape the runner expects, and an optional element offset so that
// one stored tensor (stacked experts, fused projections) can back several views.
//
// Forward of one layer (see engine/model/cpu_model.cc):
//   x = h                          (+ zamba_shared(cat(h, e0)) for a Zamba2 hybrid layer)
//   n = mixer_norm(x)
//   m = attention_out_multiplier * attention(attention_in_multiplier * n)   if has attention
//     + ssm_out_multiplier * mamba(n)                                       if has mamba
//   h = h + residual_multiplier * m                                         if any mixer
//   n = ffn_norm(h);  h = h + residual_multiplier * (mlp(n) + moe(n))       if any ffn
#ifndef HYBRIDSERVE_ENGINE_MODEL_MODEL_SPEC_H_
#define HYBRIDSERVE_ENGINE_MODEL_MODEL_SPEC_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "kernels/cpu/ops.h"

namespace hybridserve::engine {

struct TensorRef {
  std::string name;                  // empty: absent (an optional weight, e.g. a bias)
  std::vector<std::string> aliases;  // other names the same tensor may be stored under
  std::vector<int64_t> shape;        // shape of this view, as the runner uses it
  // A view into a larger stored tensor: the stored tensor has source_shape (empty: == shape) and
  // the view starts offset_elements in (row-major). Used for stacked experts and fused weights.
  std::vector<int64_t> source_shape;
  int64_t offset_elements = 0;
  // Other names under which the same view lives inside a stored tensor of another layout (e.g.
  // one expert of a stacked [E, F, D] tensor when name is the per-expert [F, D] tensor). Each
  // carries its own source_shape / offset_elements. Tried after name and aliases.
  struct AliasView {
    std::string name;
    std::vector<int64_t> source_shape;
    int64_t offset_elements = 0;
  };
  std::vector<AliasView> alias_views;

  bool present() const { return !name.empty(); }
};

struct LinearSpec {
  TensorRef weight;  // [out_dim, in_dim]
  TensorRef bias;    // [out_dim] or absent
  int64_t in_dim = 0;
  int64_t out_dim = 0;
  bool present() const { return weight.present(); }
};

// A low-rank adapter added to a linear's output: out += up(down(x)). No bias, no activation.
struct LoraSpec {
  LinearSpec down;  // [rank, in_dim]
  LinearSpec up;    // [out_dim, rank]
  bool present() const { return down.present(); }
};

struct NormSpec {
  TensorRef weight;  // [dim]
  int64_t dim = 0;
  float eps = 1e-5f;
  bool present() const { return weight.present(); }
};

struct RopeSpec {
  int64_t rotary_dim = 0;  // 0: no positional encoding (NoPE)
  double theta = 10000.0;
};

struct AttentionSpec {
  int64_t input_dim = 0;  // D (2D for Zamba2's shared block)
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  float scale = 1.0f;           // softmax scale (hd^-0.5, attention_multiplier, (hd/2)^-0.5)
  float key_multiplier = 1.0f;  // Falcon-H1: k = k_proj(x) * key_multiplier before RoPE/cache
  RopeSpec rope;
  LinearSpec q_proj, k_proj, v_proj, o_proj;
  LoraSpec q_lora, k_lora, v_lora;  // Zamba2 shared-attention adapters (usually absent)
  int kv_layer = -1;                // index of this layer's KV cache (set by FinalizeSpec)
};

enum class GatedNorm {
  kNone,          // y * silu(z), no norm (Falcon-H1 with mamba_rms_norm=false)
  kGateThenNorm,  // norm(y * silu(z)) over groups of group_size (ungrouped: group_size = I)
  kNormThenGate,  // norm(y) * silu(z) over groups (Falcon-H1 norm_before_gate=true)
};

struct Mamba2Spec {
  int64_t d_model = 0;  // input width
  int64_t d_inner = 0;  // I = num_heads * head_dim
  int64_t num_heads = 0;
  int64_t head_dim = 0;
  int64_t n_groups = 1;
  int64_t d_state = 0;
  int64_t d_conv = 4;
  int64_t chunk_size = 256;
  LinearSpec in_proj;     // [I + CD + H, D], layout z | xBC | dt
  TensorRef conv_weight;  // [CD, 1, K]
  TensorRef conv_bias;    // [CD] or absent
  TensorRef dt_bias;      // [H]
  TensorRef a_log;        // [H]
  TensorRef d_skip;       // [H]
  GatedNorm norm_kind = GatedNorm::kGateThenNorm;
  NormSpec norm;                // [I] (absent with kNone)
  int64_t norm_group_size = 0;  // I for the ungrouped variant, I / G for the grouped one
  // A tensor-parallel shard whose channels are part of one norm group that spans shards
  // (engine/parallel): the layer has norm_span_groups groups of norm_group_size channels, this
  // shard holds a part of group norm_span_group, and the group's sum of squares is summed over
  // the shards. 0: every group lies whole on this shard.
  int64_t norm_span_groups = 0;
  int64_t norm_span_group = 0;
  LinearSpec out_proj;  // [D, I]
  // dt = clamp(softplus(dt_raw + dt_bias), dt_min, dt_max) for prompt tokens, and with the
  // decode limits for generated tokens (Nemotron-H and Zamba2 clamp dt >= time_step_min in the
  // chunked scan but not in the single-step update; the other families use one limit for both).
  float dt_min = 0.0f;
  float dt_max = std::numeric_limits<float>::infinity();
  float decode_dt_min = 0.0f;
  float decode_dt_max = std::numeric_limits<float>::infinity();
  // Falcon-H1 muP: input scaled by in_multiplier, in_proj output segments z, x, B, C, dt scaled.
  float in_multiplier = 1.0f;
  float mup_z = 1.0f, mup_x = 1.0f, mup_b = 1.0f, mup_c = 1.0f, mup_dt = 1.0f;
  int ssm_layer = -1;  // index of this layer's SSM state (set by FinalizeSpec)

  int64_t conv_dim() const { return d_inner + 2 * n_groups * d_state; }
};

struct Mamba1Spec {
  int64_t d_model = 0;
  int64_t d_inner = 0;
  int64_t d_state = 0;
  int64_t d_conv = 4;
  int64_t dt_rank = 0;
  LinearSpec in_proj;                // [2I, D], layout x | z
  TensorRef conv_weight;             // [I, 1, K]
  TensorRef conv_bias;               // [I] or absent
  LinearSpec x_proj;                 // [R + 2N, I], layout dt | B | C
  LinearSpec dt_proj;                // [I, R] + bias [I]
  TensorRef a_log;                   // [I, N]
  TensorRef d_skip;                  // [I]
  NormSpec dt_norm, b_norm, c_norm;  // Jamba's inner RMSNorms (absent for plain Mamba1)
  LinearSpec out_proj;               // [D, I]
  int ssm_layer = -1;
};

struct MlpSpec {
  bool gated = true;  // gated: down(act(gate(x) * gate_multiplier) * up(x)); else down(act(up(x)))
  kernels::cpu::Activation activation = kernels::cpu::Activation::kSilu;
  int64_t hidden_dim = 0;
  LinearSpec gate_proj, up_proj, down_proj;
  LoraSpec gate_lora, up_lora;  // Zamba2 gate_up adapters (split by rows)
  float gate_multiplier = 1.0f;
  float down_multiplier = 1.0f;
};

struct MoeSpec {
  kernels::cpu::RouterParams router;     // pointers inside are filled at load
  LinearSpec router_proj;                // [E, D]
  TensorRef correction_bias;             // [E] or absent
  std::vector<MlpSpec> experts;          // E entries
  LinearSpec latent_in, latent_out;      // Nemotron-H fc1/fc2 latent projections (usually absent)
  std::optional<MlpSpec> shared_expert;  // added to the routed output (Nemotron-H)
};

// Zamba2: t = linear(shared transformer block(cat(h, e0))), added to the mamba input only.
struct ZambaSharedSpec {
  NormSpec input_norm;      // [2D]
  AttentionSpec attention;  // input_dim = 2D
  NormSpec pre_ff_norm;     // [D]
  MlpSpec mlp;
  LinearSpec linear;  // [D, D], per layer
};

enum class MixerKind { kNone, kAttention, kMamba2, kMamba1, kParallel /* attention + mamba2 */ };

struct LayerSpec {
  MixerKind mixer = MixerKind::kNone;
  NormSpec mixer_norm;
  std::optional<AttentionSpec> attention;
  std::optional<Mamba2Spec> mamba2;
  std::optional<Mamba1Spec> mamba1;
  float attention_in_multiplier = 1.0f;
  float attention_out_multiplier = 1.0f;
  float ssm_out_multiplier = 1.0f;
  std::optional<ZambaSharedSpec> zamba_shared;

  NormSpec ffn_norm;
  std::optional<MlpSpec> mlp;
  std::optional<MoeSpec> moe;

  float residual_multiplier = 1.0f;
  std::string kind_label;  // for inspect: "mamba", "attention", "mlp", "moe", "hybrid", ...
};

struct ModelSpec {
  std::string architecture;  // e.g. "BambaForCausalLM"
  std::string model_type;    // config.json model_type
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t max_position_embeddings = 0;
  TensorRef embedding;  // [V, D]
  float embedding_multiplier = 1.0f;
  std::vector<LayerSpec> layers;
  NormSpec final_norm;
  LinearSpec lm_head;  // [V, D]; tied models point at the embedding tensor
  float logits_multiplier = 1.0f;
  std::vector<int64_t> eos_token_ids;
  std::optional<int64_t> bos_token_id;

  // Filled by FinalizeSpec: cache geometry.
  int num_kv_layers = 0;
  int num_ssm_layers = 0;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_MODEL_SPEC_H_
