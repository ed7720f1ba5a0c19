// BambaForCausalLM (model_type "bamba"): serial hybrid; each layer is input_layernorm -> (Mamba2
// mixer | attention) -> residual, then pre_ff_layernorm -> SwiGLU MLP -> residual.
//
// Facts (transformers models/bamba, v5): attention layers are the indices in attn_layer_indices;
// I = mamba_expand * hidden_size, mamba_d_head "auto" = I / mamba_n_heads; the gated norm is
// ungrouped with eps = rms_norm_eps; the torch path clamps dt to time_step_limit. RoPE: the config
// class forces partial_rotary_factor = 0.5 into rope_parameters unless rope_parameters already
// holds one, and the rotary embedding rotates int(head_dim * factor) channels (the rest pass
// through); theta from rope_parameters / rope_theta (default 10000). Softmax scale head_dim^-0.5,
// head_dim = config head_dim or hidden_size / num_attention_heads.
// Names: model.embed_tokens, model.layers.{i}.{input_layernorm, pre_ff_layernorm},
// model.layers.{i}.mamba.*, model.layers.{i}.self_attn.{q,k,v,o}_proj,
// model.layers.{i}.feed_forward.{gate,up,down}_proj, model.final_layernorm, lm_head.
#include "engine/model/families/bamba.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/model/families/blocks.h"

namespace hybridserve::engine {

using families::MakeNorm;

absl::StatusOr<ModelSpec> BuildBambaSpec(const ConfigReader& config) {
  ModelSpec spec;
  HS_RETURN_IF_ERROR(families::ReadCommon(config, /*default_bos=*/1, /*default_eos=*/2, &spec));
  const int64_t d_model = spec.hidden_size;
  HS_ASSIGN_OR_RETURN(int64_t num_layers, config.Int("num_hidden_layers", 32));
  HS_ASSIGN_OR_RETURN(std::vector<int64_t> attn_layers, config.IntList("attn_layer_indices", {}));
  for (int64_t index : attn_layers) {
    if (index < 0 || index >= num_layers) {
      return config.Error(absl::StrCat("field \"attn_layer_indices\" holds ", index,
                                       ", outside [0, num_hidden_layers = ", num_layers, ")"));
    }
  }
  HS_RETURN_IF_ERROR(families::CheckLayerCount(config, "attn_layer_indices", num_layers));
  HS_ASSIGN_OR_RETURN(double eps, config.Float("rms_norm_eps", 1e-5));
  HS_ASSIGN_OR_RETURN(bool tied, config.Bool("tie_word_embeddings", false));
  HS_ASSIGN_OR_RETURN(spec.max_position_embeddings, config.Int("max_position_embeddings", 262144));
  HS_ASSIGN_OR_RETURN(int64_t intermediate, config.Int("intermediate_size", 14336));
  HS_ASSIGN_OR_RETURN(kernels::cpu::Activation act,
                      families::ReadActivation(config, "hidden_act", "silu"));
  HS_ASSIGN_OR_RETURN(bool mlp_bias, config.Bool("mlp_bias", false));

  families::AttentionDims attn;
  attn.input_dim = d_model;
  attn.output_dim = d_model;
  HS_ASSIGN_OR_RETURN(attn.num_heads, config.Int("num_attention_heads", 32));
  HS_ASSIGN_OR_RETURN(attn.num_kv_heads, config.Int("num_key_value_heads", attn.num_heads));
  if (attn.num_heads <= 0) return config.Error("field \"num_attention_heads\" must be positive");
  HS_ASSIGN_OR_RETURN(attn.head_dim, config.Int("head_dim", d_model / attn.num_heads));
  HS_ASSIGN_OR_RETURN(attn.bias, config.Bool("attention_bias", false));
  RopeConfig rope;
  if (!attn_layers.empty()) {
    HS_ASSIGN_OR_RETURN(rope, config.Rope(/*default_theta=*/10000.0,
                                          /*default_partial_rotary_factor=*/0.5));
  }

  HS_ASSIGN_OR_RETURN(families::Mamba2Dims dims, families::ReadBambaMamba2Dims(config, d_model));
  float dt_min = 0, dt_max = 0;
  HS_RETURN_IF_ERROR(families::ReadTimeStepLimit(config, &dt_min, &dt_max));

  spec.embedding = families::Tensor("model.embed_tokens.weight", {spec.vocab_size, d_model});
  for (int64_t i = 0; i < num_layers; ++i) {
    const std::string prefix = absl::StrCat("model.layers.", i);
    const bool is_attention =
        std::find(attn_layers.begin(), attn_layers.end(), i) != attn_layers.end();
    LayerSpec layer;
    layer.mixer_norm = MakeNorm(prefix + ".input_layernorm", d_model, eps);
    if (is_attention) {
      layer.mixer = MixerKind::kAttention;
      layer.kind_label = "attention";
      AttentionSpec a = families::MakeAttention(prefix + ".self_attn", attn);
      a.rope.rotary_dim = families::RotaryDim(attn.head_dim, rope.partial_rotary_factor);
      a.rope.theta = rope.theta;
      layer.attention = std::move(a);
    } else {
      layer.mixer = MixerKind::kMamba2;
      layer.kind_label = "mamba";
      layer.mamba2 = families::MakeBambaMamba2(prefix + ".mamba", dims, eps, dt_min, dt_max);
    }
    layer.ffn_norm = MakeNorm(prefix + ".pre_ff_layernorm", d_model, eps);
    layer.mlp =
        families::MakeGatedMlp(prefix + ".feed_forward", d_model, intermediate, act, mlp_bias);
    spec.layers.push_back(std::move(layer));
  }
  spec.final_norm = MakeNorm("model.final_layernorm", d_model, eps);
  families::SetLmHead(tied, &spec);
  return spec;
}

}  // namespace hybridserve::engine
