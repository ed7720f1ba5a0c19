// FalconH1ForCausalLM (model_type "falcon_h1"): parallel hybrid. Every layer runs attention and a
// Mamba2 mixer on the same normed input, adds both to the residual, then a SwiGLU MLP.
//
// Facts (transformers models/falcon_h1, v5):
//   h0 = embed * embedding_multiplier; logits = lm_head(h) * lm_head_multiplier.
//   n = input_layernorm(h); h += ssm_out_multiplier * mamba(n)
//                              + attention_out_multiplier * attention(attention_in_multiplier * n)
//   attention: k = k_proj(x) * key_multiplier (before RoPE and cache); full RoPE over head_dim
//   (head_dim from config, else D / heads; any partial factor is ignored), scale head_dim^-0.5.
//   mamba: u * ssm_in_multiplier, in_proj(u) * mup_vector where mup_vector (a non-persistent
//   buffer, never in checkpoints) scales the z | x | B | C | dt segments by ssm_multipliers[0..4].
//   I = mamba_d_ssm (class default 1024; null -> mamba_expand * D). Gated norm only when
//   mamba_rms_norm (then grouped by n_groups, norm-then-gate when mamba_norm_before_gate), else
//   y * silu(z) and no norm weight. dt clamped to time_step_limit. in_proj bias mamba_proj_bias,
//   out_proj bias projectors_bias.
//   mlp(x) = down(up(x) * silu(gate(x) * mlp_multipliers[0])) * mlp_multipliers[1].
// Names: model.embed_tokens, model.layers.{i}.{input_layernorm, pre_ff_layernorm},
// .mamba.*, .self_attn.*, .feed_forward.{gate,up,down}_proj, model.final_layernorm, lm_head.
#include "engine/model/families/falcon_h1.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/model/families/blocks.h"

namespace hybridserve::engine {

using families::MakeNorm;

absl::StatusOr<ModelSpec> BuildFalconH1Spec(const ConfigReader& config) {
  ModelSpec spec;
  HS_RETURN_IF_ERROR(families::ReadCommon(config, /*default_bos=*/1, /*default_eos=*/2, &spec));
  const int64_t d_model = spec.hidden_size;
  HS_ASSIGN_OR_RETURN(int64_t num_layers, config.Int("num_hidden_layers", 32));
  if (num_layers <= 0) return config.Error("field \"num_hidden_layers\" must be positive");
  HS_ASSIGN_OR_RETURN(double eps, config.Float("rms_norm_eps", 1e-5));
  HS_ASSIGN_OR_RETURN(bool tied, config.Bool("tie_word_embeddings", false));
  HS_ASSIGN_OR_RETURN(spec.max_position_embeddings, config.Int("max_position_embeddings", 8192));
  HS_ASSIGN_OR_RETURN(double embedding_multiplier, config.Float("embedding_multiplier", 1.0));
  HS_ASSIGN_OR_RETURN(double lm_head_multiplier, config.Float("lm_head_multiplier", 1.0));
  spec.embedding_multiplier = static_cast<float>(embedding_multiplier);
  spec.logits_multiplier = static_cast<float>(lm_head_multiplier);

  HS_ASSIGN_OR_RETURN(double key_multiplier, config.Float("key_multiplier", 1.0));
  HS_ASSIGN_OR_RETURN(double attention_in_multiplier, config.Float("attention_in_multiplier", 1.0));
  HS_ASSIGN_OR_RETURN(double attention_out_multiplier,
                      config.Float("attention_out_multiplier", 1.0));
  HS_ASSIGN_OR_RETURN(double ssm_in_multiplier, config.Float("ssm_in_multiplier", 1.0));
  HS_ASSIGN_OR_RETURN(double ssm_out_multiplier, config.Float("ssm_out_multiplier", 1.0));
  HS_ASSIGN_OR_RETURN(std::vector<double> ssm_multipliers,
                      config.FloatList("ssm_multipliers", {1.0, 1.0, 1.0, 1.0, 1.0}));
  if (ssm_multipliers.size() != 5) {
    return config.Error(absl::StrCat("field \"ssm_multipliers\" must hold 5 numbers (z, x, B, C, ",
                                     "dt), got ", ssm_multipliers.size()));
  }
  HS_ASSIGN_OR_RETURN(std::vector<double> mlp_multipliers,
                      config.FloatList("mlp_multipliers", {1.0, 1.0}));
  if (mlp_multipliers.size() != 2) {
    return config.Error(absl::StrCat("field \"mlp_multipliers\" must hold 2 numbers (gate, ",
                                     "down), got ", mlp_multipliers.size()));
  }

  families::AttentionDims attn;
  attn.input_dim = d_model;
  attn.output_dim = d_model;
  HS_ASSIGN_OR_RETURN(attn.num_heads, config.Int("num_attention_heads", 32));
  HS_ASSIGN_OR_RETURN(attn.num_kv_heads, config.Int("num_key_value_heads", 8));
  if (attn.num_heads <= 0) return config.Error("field \"num_attention_heads\" must be positive");
  HS_ASSIGN_OR_RETURN(attn.head_dim, config.Int("head_dim", d_model / attn.num_heads));
  HS_ASSIGN_OR_RETURN(attn.bias, config.Bool("attention_bias", false));
  HS_ASSIGN_OR_RETURN(RopeConfig rope, config.Rope(/*default_theta=*/10000.0));

  families::Mamba2Dims dims;
  dims.d_model = d_model;
  HS_ASSIGN_OR_RETURN(int64_t expand, config.Int("mamba_expand", 2));
  if (config.json().contains("mamba_d_ssm")) {
    HS_ASSIGN_OR_RETURN(dims.d_inner, config.Int("mamba_d_ssm", expand * d_model));
  } else {
    dims.d_inner = 1024;  // the config class default
  }
  HS_ASSIGN_OR_RETURN(dims.num_heads, config.Int("mamba_n_heads", 128));
  if (dims.num_heads <= 0) return config.Error("field \"mamba_n_heads\" must be positive");
  HS_ASSIGN_OR_RETURN(dims.head_dim, families::ReadIntOrAuto(config, "mamba_d_head",
                                                             dims.d_inner / dims.num_heads));
  HS_ASSIGN_OR_RETURN(dims.n_groups, config.Int("mamba_n_groups", 1));
  if (dims.n_groups <= 0) return config.Error("field \"mamba_n_groups\" must be positive");
  HS_ASSIGN_OR_RETURN(dims.d_state, config.Int("mamba_d_state", 256));
  HS_ASSIGN_OR_RETURN(dims.d_conv, config.Int("mamba_d_conv", 4));
  HS_ASSIGN_OR_RETURN(dims.chunk_size, config.Int("mamba_chunk_size", 256));
  HS_ASSIGN_OR_RETURN(dims.conv_bias, config.Bool("mamba_conv_bias", true));
  HS_ASSIGN_OR_RETURN(dims.in_proj_bias, config.Bool("mamba_proj_bias", false));
  HS_ASSIGN_OR_RETURN(dims.out_proj_bias, config.Bool("projectors_bias", false));
  HS_ASSIGN_OR_RETURN(bool rms_norm, config.Bool("mamba_rms_norm", false));
  HS_ASSIGN_OR_RETURN(bool norm_before_gate, config.Bool("mamba_norm_before_gate", true));
  dims.has_norm = rms_norm;
  float dt_min = 0, dt_max = 0;
  HS_RETURN_IF_ERROR(families::ReadTimeStepLimit(config, &dt_min, &dt_max));

  HS_ASSIGN_OR_RETURN(int64_t intermediate, config.Int("intermediate_size", 14336));
  HS_ASSIGN_OR_RETURN(kernels::cpu::Activation act,
                      families::ReadActivation(config, "hidden_act", "silu"));
  HS_ASSIGN_OR_RETURN(bool mlp_bias, config.Bool("mlp_bias", false));

  spec.embedding = families::Tensor("model.embed_tokens.weight", {spec.vocab_size, d_model});
  for (int64_t i = 0; i < num_layers; ++i) {
    const std::string prefix = absl::StrCat("model.layers.", i);
    LayerSpec layer;
    layer.mixer = MixerKind::kParallel;
    layer.kind_label = "hybrid";
    layer.mixer_norm = MakeNorm(prefix + ".input_layernorm", d_model, eps);
    AttentionSpec a = families::MakeAttention(prefix + ".self_attn", attn);
    a.key_multiplier = static_cast<float>(key_multiplier);
    a.rope.rotary_dim = attn.head_dim;
    a.rope.theta = rope.theta;
    layer.attention = std::move(a);

    Mamba2Spec m = families::MakeMamba2(prefix + ".mamba", dims);
    if (rms_norm) {
      m.norm.eps = static_cast<float>(eps);
      m.norm_kind = norm_before_gate ? GatedNorm::kNormThenGate : GatedNorm::kGateThenNorm;
      m.norm_group_size = dims.d_inner / dims.n_groups;
    }
    m.dt_min = dt_min;
    m.dt_max = dt_max;
    m.in_multiplier = static_cast<float>(ssm_in_multiplier);
    m.mup_z = static_cast<float>(ssm_multipliers[0]);
    m.mup_x = static_cast<float>(ssm_multipliers[1]);
    m.mup_b = static_cast<float>(ssm_multipliers[2]);
    m.mup_c = static_cast<float>(ssm_multipliers[3]);
    m.mup_dt = static_cast<float>(ssm_multipliers[4]);
    layer.mamba2 = std::move(m);
    layer.attention_in_multiplier = static_cast<float>(attention_in_multiplier);
    layer.attention_out_multiplier = static_cast<float>(attention_out_multiplier);
    layer.ssm_out_multiplier = static_cast<float>(ssm_out_multiplier);

    layer.ffn_norm = MakeNorm(prefix + ".pre_ff_layernorm", d_model, eps);
    MlpSpec mlp =
        families::MakeGatedMlp(prefix + ".feed_forward", d_model, intermediate, act, mlp_bias);
    mlp.gate_multiplier = static_cast<float>(mlp_multipliers[0]);
    mlp.down_multiplier = static_cast<float>(mlp_multipliers[1]);
    layer.mlp = std::move(mlp);
    spec.layers.push_back(std::move(layer));
  }
  spec.final_norm = MakeNorm("model.final_layernorm", d_model, eps);
  families::SetLmHead(tied, &spec);
  return spec;
}

}  // namespace hybridserve::engine
