// GraniteMoeHybridForCausalLM (model_type "granitemoehybrid", Granite 4.0-H): Bamba's mixer and
// attention per layer (layer_types), then MoE + shared SwiGLU MLP, with Granite's multipliers.
//
// Facts (transformers models/granitemoehybrid, v5): h0 = embed * embedding_multiplier; each
// sub-layer adds residual_multiplier * output; logits = lm_head(h) / logits_scaling; attention
// softmax scale = attention_multiplier; RoPE (full head_dim, theta from rope_parameters /
// rope_theta) only when position_embedding_type == "rope", otherwise none. layer_types (alias
// layers_block_type; legacy mamba/attention names) defaults to all Mamba. I = mamba_expand * D;
// gated norm ungrouped, eps = rms_norm_eps; dt clamped to time_step_limit. FFN:
// shared_mlp(n) + block_sparse_moe(n) (MoE absent when num_local_experts == 0). Router: top-k of
// logits, softmax over the k. input_linear rows: first half = gate (goes through silu), second
// half = up, for the shared MLP and for every expert.
// Names: model.embed_tokens, model.layers.{i}.{input_layernorm, post_attention_layernorm},
// .mamba.*, .self_attn.*, .shared_mlp.{input_linear [2Fs, D], output_linear [D, Fs]},
// .block_sparse_moe.{input_linear [E, 2F, D], output_linear [E, D, F], router.layer [E, D]}
// (transformers' in-memory names experts.gate_up_proj / experts.down_proj / router.weight are
// accepted as aliases), model.norm, lm_head.
#include "engine/model/families/granite_moe_hybrid.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/model/families/blocks.h"

namespace hybridserve::engine {

using families::MakeLinear;
using families::MakeNorm;
using families::TensorView;

absl::StatusOr<ModelSpec> BuildGraniteMoeHybridSpec(const ConfigReader& original_config) {
  ConfigReader config = original_config;
  config.AddAlias("layer_types", "layers_block_type");

  ModelSpec spec;
  HS_RETURN_IF_ERROR(families::ReadCommon(config, /*default_bos=*/1, /*default_eos=*/2, &spec));
  const int64_t d_model = spec.hidden_size;
  HS_ASSIGN_OR_RETURN(int64_t num_layers, config.Int("num_hidden_layers", 32));
  std::vector<std::string> types(static_cast<size_t>(std::max<int64_t>(num_layers, 0)),
                                 "linear_attention");
  if (config.Has("layer_types")) {
    HS_ASSIGN_OR_RETURN(types, config.StringList("layer_types"));
    HS_RETURN_IF_ERROR(
        families::CheckLayerCount(config, "layer_types", static_cast<int64_t>(types.size())));
  } else if (num_layers <= 0) {
    return config.Error("field \"num_hidden_layers\" must be positive");
  }

  HS_ASSIGN_OR_RETURN(double eps, config.Float("rms_norm_eps", 1e-6));
  HS_ASSIGN_OR_RETURN(bool tied, config.Bool("tie_word_embeddings", false));
  HS_ASSIGN_OR_RETURN(spec.max_position_embeddings, config.Int("max_position_embeddings", 2048));
  HS_ASSIGN_OR_RETURN(double embedding_multiplier, config.Float("embedding_multiplier", 1.0));
  HS_ASSIGN_OR_RETURN(double logits_scaling, config.Float("logits_scaling", 1.0));
  HS_ASSIGN_OR_RETURN(double residual_multiplier, config.Float("residual_multiplier", 1.0));
  HS_ASSIGN_OR_RETURN(double attention_multiplier, config.Float("attention_multiplier", 1.0));
  if (logits_scaling == 0.0) return config.Error("field \"logits_scaling\" must be non-zero");
  spec.embedding_multiplier = static_cast<float>(embedding_multiplier);
  spec.logits_multiplier = static_cast<float>(1.0 / logits_scaling);
  HS_ASSIGN_OR_RETURN(kernels::cpu::Activation act,
                      families::ReadActivation(config, "hidden_act", "silu"));

  families::AttentionDims attn;
  attn.input_dim = d_model;
  attn.output_dim = d_model;
  HS_ASSIGN_OR_RETURN(attn.num_heads, config.Int("num_attention_heads", 32));
  HS_ASSIGN_OR_RETURN(attn.num_kv_heads, config.Int("num_key_value_heads", attn.num_heads));
  if (attn.num_heads <= 0) return config.Error("field \"num_attention_heads\" must be positive");
  HS_ASSIGN_OR_RETURN(attn.head_dim, config.Int("head_dim", d_model / attn.num_heads));
  HS_ASSIGN_OR_RETURN(attn.bias, config.Bool("attention_bias", false));
  HS_ASSIGN_OR_RETURN(std::string position_type, config.String("position_embedding_type", ""));
  RopeConfig rope;
  const bool use_rope = position_type == "rope";
  if (use_rope) {
    HS_ASSIGN_OR_RETURN(rope, config.Rope(/*default_theta=*/10000.0));
  }

  HS_ASSIGN_OR_RETURN(families::Mamba2Dims dims, families::ReadBambaMamba2Dims(config, d_model));
  float dt_min = 0, dt_max = 0;
  HS_RETURN_IF_ERROR(families::ReadTimeStepLimit(config, &dt_min, &dt_max));

  HS_ASSIGN_OR_RETURN(int64_t num_experts, config.Int("num_local_experts", 8));
  HS_ASSIGN_OR_RETURN(int64_t top_k, config.Int("num_experts_per_tok", 2));
  HS_ASSIGN_OR_RETURN(int64_t expert_hidden, config.Int("intermediate_size", 11008));
  HS_ASSIGN_OR_RETURN(int64_t shared_hidden, config.Int("shared_intermediate_size", 1024));
  if (num_experts < 0) return config.Error("field \"num_local_experts\" must be >= 0");

  spec.embedding = families::Tensor("model.embed_tokens.weight", {spec.vocab_size, d_model});
  for (size_t i = 0; i < types.size(); ++i) {
    const std::string prefix = absl::StrCat("model.layers.", i);
    LayerSpec layer;
    layer.residual_multiplier = static_cast<float>(residual_multiplier);
    layer.mixer_norm = MakeNorm(prefix + ".input_layernorm", d_model, eps);
    const std::string& type = types[i];
    if (type == "linear_attention" || type == "mamba") {
      layer.mixer = MixerKind::kMamba2;
      layer.kind_label = "mamba";
      layer.mamba2 = families::MakeBambaMamba2(prefix + ".mamba", dims, eps, dt_min, dt_max);
    } else if (type == "full_attention" || type == "attention") {
      layer.mixer = MixerKind::kAttention;
      layer.kind_label = "attention";
      AttentionSpec a = families::MakeAttention(prefix + ".self_attn", attn);
      a.scale = static_cast<float>(attention_multiplier);
      if (use_rope) {
        a.rope.rotary_dim = attn.head_dim;
        a.rope.theta = rope.theta;
      }
      layer.attention = std::move(a);
    } else {
      return config.Error(absl::StrCat("field \"layer_types\" holds unknown layer type \"", type,
                                       "\"; expected mamba or attention"));
    }

    layer.ffn_norm = MakeNorm(prefix + ".post_attention_layernorm", d_model, eps);
    // Shared MLP: input_linear [2Fs, D] = gate rows then up rows.
    const std::string shared = prefix + ".shared_mlp";
    MlpSpec mlp;
    mlp.gated = true;
    mlp.activation = act;
    mlp.hidden_dim = shared_hidden;
    mlp.gate_proj = families::MakeLinearRows(shared + ".input_linear.weight", d_model,
                                             shared_hidden, 2 * shared_hidden, 0);
    mlp.up_proj = families::MakeLinearRows(shared + ".input_linear.weight", d_model, shared_hidden,
                                           2 * shared_hidden, shared_hidden);
    mlp.down_proj = MakeLinear(shared + ".output_linear", shared_hidden, d_model, false);
    layer.mlp = std::move(mlp);

    if (num_experts > 0) {
      const std::string block = prefix + ".block_sparse_moe";
      MoeSpec moe;
      moe.router.kind = kernels::cpu::Router::kTopkThenSoftmax;
      moe.router.num_experts = num_experts;
      moe.router.top_k = top_k;
      moe.router_proj = MakeLinear(block + ".router.layer", d_model, num_experts, false);
      moe.router_proj.weight.aliases.push_back(block + ".router.weight");
      const std::vector<int64_t> in_stack = {num_experts, 2 * expert_hidden, d_model};
      const std::vector<int64_t> out_stack = {num_experts, d_model, expert_hidden};
      for (int64_t e = 0; e < num_experts; ++e) {
        MlpSpec expert;
        expert.gated = true;
        expert.activation = act;
        expert.hidden_dim = expert_hidden;
        const int64_t in_offset = e * 2 * expert_hidden * d_model;
        expert.gate_proj.in_dim = expert.up_proj.in_dim = d_model;
        expert.gate_proj.out_dim = expert.up_proj.out_dim = expert_hidden;
        expert.gate_proj.weight = TensorView(block + ".input_linear.weight",
                                             {expert_hidden, d_model}, in_stack, in_offset);
        expert.up_proj.weight = TensorView(block + ".input_linear.weight", {expert_hidden, d_model},
                                           in_stack, in_offset + expert_hidden * d_model);
        expert.down_proj.in_dim = expert_hidden;
        expert.down_proj.out_dim = d_model;
        expert.down_proj.weight =
            TensorView(block + ".output_linear.weight", {d_model, expert_hidden}, out_stack,
                       e * d_model * expert_hidden);
        expert.gate_proj.weight.aliases.push_back(block + ".experts.gate_up_proj");
        expert.up_proj.weight.aliases.push_back(block + ".experts.gate_up_proj");
        expert.down_proj.weight.aliases.push_back(block + ".experts.down_proj");
        moe.experts.push_back(std::move(expert));
      }
      layer.moe = std::move(moe);
    }
    spec.layers.push_back(std::move(layer));
  }
  spec.final_norm = MakeNorm("model.norm", d_model, eps);
  families::SetLmHead(tied, &spec);
  return spec;
}

}  // namespace hybridserve::engine
