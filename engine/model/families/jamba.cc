// JambaForCausalLM (model_type "jamba"): serial hybrid of Mamba-1 (with dt/B/C RMSNorms) and
// attention layers, each followed by a dense SwiGLU MLP or a softmax-top-k MoE.
//
// Facts (transformers models/jamba, v5): layer i is attention when
// i % attn_layer_period == attn_layer_offset, else Mamba; it has num_experts experts when
// i % expert_layer_period == expert_layer_offset, else a dense MLP (also when num_experts == 1).
// Attention: no RoPE, no bias, head_dim = config head_dim or D / heads, scale head_dim^-0.5.
// Mamba1: I = mamba_expand * D, dt_rank "auto" = ceil(D / 16); in_proj [2I, D] (x then z);
// x_proj [R + 2N, I] (dt, B, C), dt_proj [I, R] + bias, dt/B/C RMSNorms with eps rms_norm_eps;
// conv bias mamba_conv_bias; in/out_proj bias mamba_proj_bias. MoE router: softmax over all
// experts, top-k, no renormalisation.
// Names: model.embed_tokens, model.layers.{i}.{input_layernorm, pre_ff_layernorm},
// .mamba.*, .self_attn.*, .feed_forward.{gate,up,down}_proj (dense), .feed_forward.router and
// .feed_forward.experts.{e}.{gate,up,down}_proj (original checkpoints, one tensor per expert);
// transformers fuses these on load into experts.gate_up_proj [E, 2F, D] (gate rows first) and
// experts.down_proj [E, D, F], accepted as alias views. model.final_layernorm, lm_head.
#include "engine/model/families/jamba.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/model/families/blocks.h"

namespace hybridserve::engine {

using families::MakeLinear;
using families::MakeNorm;
using families::Tensor;

absl::StatusOr<ModelSpec> BuildJambaSpec(const ConfigReader& original_config) {
  ConfigReader config = original_config;
  config.AddAlias("num_experts", "num_local_experts");

  ModelSpec spec;
  HS_RETURN_IF_ERROR(families::ReadCommon(config, /*default_bos=*/1, /*default_eos=*/2, &spec));
  const int64_t d_model = spec.hidden_size;
  HS_ASSIGN_OR_RETURN(int64_t num_layers, config.Int("num_hidden_layers", 32));
  if (num_layers <= 0) return config.Error("field \"num_hidden_layers\" must be positive");
  HS_ASSIGN_OR_RETURN(double eps, config.Float("rms_norm_eps", 1e-6));
  HS_ASSIGN_OR_RETURN(bool tied, config.Bool("tie_word_embeddings", false));
  HS_ASSIGN_OR_RETURN(spec.max_position_embeddings, config.Int("max_position_embeddings", 262144));
  HS_ASSIGN_OR_RETURN(int64_t attn_period, config.Int("attn_layer_period", 8));
  HS_ASSIGN_OR_RETURN(int64_t attn_offset, config.Int("attn_layer_offset", 4));
  HS_ASSIGN_OR_RETURN(int64_t expert_period, config.Int("expert_layer_period", 2));
  HS_ASSIGN_OR_RETURN(int64_t expert_offset, config.Int("expert_layer_offset", 1));
  if (attn_period <= 0 || attn_offset < 0 || attn_offset >= attn_period) {
    return config.Error(absl::StrCat("field \"attn_layer_offset\" (", attn_offset,
                                     ") must be in [0, attn_layer_period = ", attn_period, ")"));
  }
  if (expert_period <= 0 || expert_offset < 0 || expert_offset >= expert_period) {
    return config.Error(absl::StrCat("field \"expert_layer_offset\" (", expert_offset,
                                     ") must be in [0, expert_layer_period = ", expert_period,
                                     ")"));
  }
  HS_ASSIGN_OR_RETURN(int64_t num_experts, config.Int("num_experts", 16));
  HS_ASSIGN_OR_RETURN(int64_t top_k, config.Int("num_experts_per_tok", 2));
  HS_ASSIGN_OR_RETURN(int64_t intermediate, config.Int("intermediate_size", 14336));
  HS_ASSIGN_OR_RETURN(kernels::cpu::Activation act,
                      families::ReadActivation(config, "hidden_act", "silu"));

  families::AttentionDims attn;
  attn.input_dim = d_model;
  attn.output_dim = d_model;
  HS_ASSIGN_OR_RETURN(attn.num_heads, config.Int("num_attention_heads", 32));
  HS_ASSIGN_OR_RETURN(attn.num_kv_heads, config.Int("num_key_value_heads", 8));
  if (attn.num_heads <= 0) return config.Error("field \"num_attention_heads\" must be positive");
  HS_ASSIGN_OR_RETURN(attn.head_dim, config.Int("head_dim", d_model / attn.num_heads));
  attn.bias = false;

  HS_ASSIGN_OR_RETURN(int64_t expand, config.Int("mamba_expand", 2));
  const int64_t inner = expand * d_model;
  HS_ASSIGN_OR_RETURN(int64_t d_state, config.Int("mamba_d_state", 16));
  HS_ASSIGN_OR_RETURN(int64_t d_conv, config.Int("mamba_d_conv", 4));
  HS_ASSIGN_OR_RETURN(int64_t dt_rank,
                      families::ReadIntOrAuto(config, "mamba_dt_rank", (d_model + 15) / 16));
  HS_ASSIGN_OR_RETURN(bool conv_bias, config.Bool("mamba_conv_bias", true));
  HS_ASSIGN_OR_RETURN(bool proj_bias, config.Bool("mamba_proj_bias", false));

  spec.embedding = Tensor("model.embed_tokens.weight", {spec.vocab_size, d_model});
  for (int64_t i = 0; i < num_layers; ++i) {
    const std::string prefix = absl::StrCat("model.layers.", i);
    LayerSpec layer;
    layer.mixer_norm = MakeNorm(prefix + ".input_layernorm", d_model, eps);
    const bool is_attention = i % attn_period == attn_offset;
    if (is_attention) {
      layer.mixer = MixerKind::kAttention;
      layer.attention = families::MakeAttention(prefix + ".self_attn", attn);
    } else {
      layer.mixer = MixerKind::kMamba1;
      const std::string mp = prefix + ".mamba";
      Mamba1Spec m;
      m.d_model = d_model;
      m.d_inner = inner;
      m.d_state = d_state;
      m.d_conv = d_conv;
      m.dt_rank = dt_rank;
      m.in_proj = MakeLinear(mp + ".in_proj", d_model, 2 * inner, proj_bias);
      m.conv_weight = Tensor(mp + ".conv1d.weight", {inner, 1, d_conv});
      if (conv_bias) m.conv_bias = Tensor(mp + ".conv1d.bias", {inner});
      m.x_proj = MakeLinear(mp + ".x_proj", inner, dt_rank + 2 * d_state, false);
      m.dt_proj = MakeLinear(mp + ".dt_proj", dt_rank, inner, true);
      m.a_log = Tensor(mp + ".A_log", {inner, d_state});
      m.d_skip = Tensor(mp + ".D", {inner});
      m.dt_norm = MakeNorm(mp + ".dt_layernorm", dt_rank, eps);
      m.b_norm = MakeNorm(mp + ".b_layernorm", d_state, eps);
      m.c_norm = MakeNorm(mp + ".c_layernorm", d_state, eps);
      m.out_proj = MakeLinear(mp + ".out_proj", inner, d_model, proj_bias);
      layer.mamba1 = std::move(m);
    }

    layer.ffn_norm = MakeNorm(prefix + ".pre_ff_layernorm", d_model, eps);
    const std::string ff = prefix + ".feed_forward";
    const bool is_moe = num_experts > 1 && i % expert_period == expert_offset;
    if (is_moe) {
      MoeSpec moe;
      moe.router.kind = kernels::cpu::Router::kSoftmaxThenTopk;
      moe.router.num_experts = num_experts;
      moe.router.top_k = top_k;
      moe.router_proj = MakeLinear(ff + ".router", d_model, num_experts, false);
      const std::vector<int64_t> gate_up_stack = {num_experts, 2 * intermediate, d_model};
      const std::vector<int64_t> down_stack = {num_experts, d_model, intermediate};
      for (int64_t e = 0; e < num_experts; ++e) {
        MlpSpec expert = families::MakeGatedMlp(absl::StrCat(ff, ".experts.", e), d_model,
                                                intermediate, act, false);
        const int64_t base = e * 2 * intermediate * d_model;
        families::AddAliasView(&expert.gate_proj.weight, ff + ".experts.gate_up_proj",
                               gate_up_stack, base);
        families::AddAliasView(&expert.up_proj.weight, ff + ".experts.gate_up_proj", gate_up_stack,
                               base + intermediate * d_model);
        families::AddAliasView(&expert.down_proj.weight, ff + ".experts.down_proj", down_stack,
                               e * d_model * intermediate);
        moe.experts.push_back(std::move(expert));
      }
      layer.moe = std::move(moe);
    } else {
      layer.mlp = families::MakeGatedMlp(ff, d_model, intermediate, act, false);
    }
    layer.kind_label = absl::StrCat(is_attention ? "attention" : "mamba", is_moe ? "+moe" : "+mlp");
    spec.layers.push_back(std::move(layer));
  }
  spec.final_norm = MakeNorm("model.final_layernorm", d_model, eps);
  families::SetLmHead(tied, &spec);
  return spec;
}

}  // namespace hybridserve::engine
