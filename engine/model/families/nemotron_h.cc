// NemotronHForCausalLM (model_type "nemotron_h"): one mixer per block, r = h; h = r +
// mixer(norm(h)), the mixer chosen per layer: Mamba2 ("M"), attention ("*"), relu2 MLP ("-"), or
// MoE ("E").
//
// Facts (transformers models/nemotron_h, v5): the layer list is layers_block_type (legacy names
// mamba/attention remapped; "layer_types" is the same field), else hybrid_override_pattern, else
// the 4-layer default; legacy mamba_* keys alias the v5 names (mamba_n_groups -> n_groups, ...).
// I = mamba_num_heads * mamba_head_dim (not expand * D). The gated norm is grouped (group size
// I / n_groups), eps = layer_norm_epsilon. The mixer sets time_step_limit = (time_step_min, inf)
// itself, so dt is clamped from below by time_step_min and the config's time_step_limit is not
// used. Attention: no RoPE, no bias, scale head_dim^-0.5. MLP / experts: down(relu2(up(x))), no
// gate. MoE: sigmoid router with e_score_correction_bias, group-limited top-k, optional
// renormalisation, routed_scaling_factor; optional fc1/fc2 latent projections around the routed
// experts; shared expert on the un-projected input. lm_head is never tied.
// Names (original checkpoints): backbone.embeddings.weight, backbone.layers.{i}.norm.weight,
// backbone.layers.{i}.mixer.*, backbone.norm_f.weight, lm_head.weight; routed experts one tensor
// per expert (mixer.experts.{e}.{up,down}_proj.weight). transformers renames backbone. -> model. on
// load and stacks experts into mixer.experts.{up,down}_proj [E, ...]: both are accepted (aliases).
#include "engine/model/families/nemotron_h.h"

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/model/families/blocks.h"
#include "engine/model/tensor_refs.h"

namespace hybridserve::engine {
namespace {

using families::MakeLinear;
using families::MakeNorm;

absl::StatusOr<std::vector<char>> ReadPattern(const ConfigReader& config) {
  std::vector<char> pattern;
  if (config.Has("layers_block_type")) {
    HS_ASSIGN_OR_RETURN(std::vector<std::string> types, config.StringList("layers_block_type"));
    for (const std::string& type : types) {
      if (type == "linear_attention" || type == "mamba") {
        pattern.push_back('M');
      } else if (type == "full_attention" || type == "attention") {
        pattern.push_back('*');
      } else if (type == "mlp") {
        pattern.push_back('-');
      } else if (type == "moe") {
        pattern.push_back('E');
      } else {
        return config.Error(
            absl::StrCat("field \"layers_block_type\" holds unknown layer type \"", type,
                         "\"; expected linear_attention, full_attention, mlp or moe"));
      }
    }
    return pattern;
  }
  if (config.Has("hybrid_override_pattern")) {
    HS_ASSIGN_OR_RETURN(std::string text, config.String("hybrid_override_pattern"));
    for (char c : text) {
      if (c != 'M' && c != '*' && c != '-' && c != 'E') {
        return config.Error(absl::StrCat("field \"hybrid_override_pattern\" holds '",
                                         std::string(1, c), "'; expected only M, *, - or E"));
      }
      pattern.push_back(c);
    }
    return pattern;
  }
  return std::vector<char>{'M', 'E', '*', '-'};
}

// A non-gated relu2-style MLP: prefix.up_proj [F, in], prefix.down_proj [in, F].
MlpSpec MakePlainMlp(const std::string& prefix, int64_t in_dim, int64_t hidden_dim,
                     kernels::cpu::Activation act, bool bias) {
  MlpSpec mlp;
  mlp.gated = false;
  mlp.activation = act;
  mlp.hidden_dim = hidden_dim;
  mlp.up_proj = MakeLinear(prefix + ".up_proj", in_dim, hidden_dim, bias);
  mlp.down_proj = MakeLinear(prefix + ".down_proj", hidden_dim, in_dim, bias);
  return mlp;
}

}  // namespace

absl::StatusOr<ModelSpec> BuildNemotronHSpec(const ConfigReader& original_config) {
  ConfigReader config = original_config;
  config.AddAlias("n_groups", "mamba_n_groups");
  config.AddAlias("conv_kernel", "mamba_d_conv");
  config.AddAlias("expand", "mamba_expand");
  config.AddAlias("time_step_min", "mamba_dt_min");
  config.AddAlias("time_step_max", "mamba_dt_max");
  config.AddAlias("time_step_limit", "mamba_dt_limit");
  config.AddAlias("time_step_floor", "mamba_dt_init_floor");
  config.AddAlias("use_conv_bias", "mamba_conv_bias");
  config.AddAlias("chunk_size", "mamba_chunk_size");
  config.AddAlias("layers_block_type", "layer_types");
  config.AddAlias("n_routed_experts", "num_local_experts");

  ModelSpec spec;
  HS_RETURN_IF_ERROR(families::ReadCommon(config, /*default_bos=*/1, /*default_eos=*/2, &spec));
  const int64_t d_model = spec.hidden_size;
  HS_ASSIGN_OR_RETURN(std::vector<char> pattern, ReadPattern(config));
  HS_RETURN_IF_ERROR(families::CheckLayerCount(
      config, config.Has("layers_block_type") ? "layers_block_type" : "hybrid_override_pattern",
      static_cast<int64_t>(pattern.size())));
  HS_ASSIGN_OR_RETURN(double eps, config.Float("layer_norm_epsilon", 1e-5));
  HS_ASSIGN_OR_RETURN(spec.max_position_embeddings, config.Int("max_position_embeddings", 4096));

  families::AttentionDims attn;
  attn.input_dim = d_model;
  attn.output_dim = d_model;
  HS_ASSIGN_OR_RETURN(attn.num_heads, config.Int("num_attention_heads", 32));
  HS_ASSIGN_OR_RETURN(attn.num_kv_heads, config.Int("num_key_value_heads", 8));
  HS_ASSIGN_OR_RETURN(attn.head_dim, config.Int("head_dim", 128));
  attn.bias = false;  // q/k/v/o are built without bias whatever attention_bias says

  families::Mamba2Dims dims;
  dims.d_model = d_model;
  HS_ASSIGN_OR_RETURN(dims.num_heads, config.Int("mamba_num_heads", 128));
  HS_ASSIGN_OR_RETURN(dims.head_dim, config.Int("mamba_head_dim", 64));
  dims.d_inner = dims.num_heads * dims.head_dim;
  HS_ASSIGN_OR_RETURN(dims.n_groups, config.Int("n_groups", 8));
  HS_ASSIGN_OR_RETURN(dims.d_state, config.Int("ssm_state_size", 128));
  HS_ASSIGN_OR_RETURN(dims.d_conv, config.Int("conv_kernel", 4));
  HS_ASSIGN_OR_RETURN(dims.chunk_size, config.Int("chunk_size", 128));
  HS_ASSIGN_OR_RETURN(dims.conv_bias, config.Bool("use_conv_bias", true));
  HS_ASSIGN_OR_RETURN(bool use_bias, config.Bool("use_bias", false));
  dims.in_proj_bias = use_bias;
  dims.out_proj_bias = use_bias;
  HS_ASSIGN_OR_RETURN(double time_step_min, config.Float("time_step_min", 0.001));
  if (dims.n_groups <= 0) return config.Error("field \"n_groups\" must be positive");
  HS_ASSIGN_OR_RETURN(kernels::cpu::Activation mamba_act,
                      families::ReadActivation(config, "mamba_hidden_act", "silu"));
  if (mamba_act != kernels::cpu::Activation::kSilu) {
    return config.Error("field \"mamba_hidden_act\" must be \"silu\"");
  }

  HS_ASSIGN_OR_RETURN(kernels::cpu::Activation mlp_act,
                      families::ReadActivation(config, "mlp_hidden_act", "relu2"));
  HS_ASSIGN_OR_RETURN(bool mlp_bias, config.Bool("mlp_bias", false));
  HS_ASSIGN_OR_RETURN(int64_t intermediate, config.Int("intermediate_size", 21504));

  spec.embedding = families::Tensor("backbone.embeddings.weight", {spec.vocab_size, d_model});
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string prefix = absl::StrCat("backbone.layers.", i);
    const std::string mixer = prefix + ".mixer";
    LayerSpec layer;
    const NormSpec norm = MakeNorm(prefix + ".norm", d_model, eps);
    switch (pattern[i]) {
      case 'M': {
        layer.mixer = MixerKind::kMamba2;
        layer.kind_label = "mamba";
        layer.mixer_norm = norm;
        Mamba2Spec m = families::MakeMamba2(mixer, dims);
        m.norm.eps = static_cast<float>(eps);
        m.norm_kind = GatedNorm::kGateThenNorm;
        m.norm_group_size = dims.d_inner / dims.n_groups;
        m.dt_min = static_cast<float>(time_step_min);
        m.dt_max = std::numeric_limits<float>::infinity();
        layer.mamba2 = std::move(m);
        break;
      }
      case '*': {
        layer.mixer = MixerKind::kAttention;
        layer.kind_label = "attention";
        layer.mixer_norm = norm;
        layer.attention = families::MakeAttention(mixer, attn);
        break;
      }
      case '-': {
        layer.kind_label = "mlp";
        layer.ffn_norm = norm;
        layer.mlp = MakePlainMlp(mixer, d_model, intermediate, mlp_act, mlp_bias);
        break;
      }
      case 'E': {
        layer.kind_label = "moe";
        layer.ffn_norm = norm;
        MoeSpec moe;
        moe.router.kind = kernels::cpu::Router::kSigmoidGroupedTopk;
        HS_ASSIGN_OR_RETURN(moe.router.num_experts, config.Int("n_routed_experts", 8));
        HS_ASSIGN_OR_RETURN(moe.router.top_k, config.Int("num_experts_per_tok", 2));
        HS_ASSIGN_OR_RETURN(moe.router.num_groups, config.Int("n_group", 1));
        HS_ASSIGN_OR_RETURN(moe.router.top_groups, config.Int("topk_group", 1));
        HS_ASSIGN_OR_RETURN(moe.router.normalize, config.Bool("norm_topk_prob", true));
        HS_ASSIGN_OR_RETURN(double scaling, config.Float("routed_scaling_factor", 1.0));
        moe.router.scaling = static_cast<float>(scaling);
        const int64_t num_experts = moe.router.num_experts;
        moe.router_proj = MakeLinear(mixer + ".gate", d_model, num_experts, false);
        moe.correction_bias =
            families::Tensor(mixer + ".gate.e_score_correction_bias", {num_experts});
        HS_ASSIGN_OR_RETURN(std::optional<int64_t> latent, config.OptionalInt("moe_latent_size"));
        const int64_t expert_dim = latent.has_value() ? *latent : d_model;
        if (latent.has_value()) {
          moe.latent_in = MakeLinear(mixer + ".fc1_latent_proj", d_model, *latent, mlp_bias);
          moe.latent_out = MakeLinear(mixer + ".fc2_latent_proj", *latent, d_model, mlp_bias);
        }
        HS_ASSIGN_OR_RETURN(int64_t expert_hidden, config.Int("moe_intermediate_size", 7688));
        const std::vector<int64_t> up_stack = {num_experts, expert_hidden, expert_dim};
        const std::vector<int64_t> down_stack = {num_experts, expert_dim, expert_hidden};
        for (int64_t e = 0; e < num_experts; ++e) {
          MlpSpec expert = MakePlainMlp(absl::StrCat(mixer, ".experts.", e), expert_dim,
                                        expert_hidden, mlp_act, false);
          const int64_t expert_elements = expert_hidden * expert_dim;
          families::AddAliasView(&expert.up_proj.weight, mixer + ".experts.up_proj", up_stack,
                                 e * expert_elements);
          families::AddAliasView(&expert.down_proj.weight, mixer + ".experts.down_proj", down_stack,
                                 e * expert_elements);
          moe.experts.push_back(std::move(expert));
        }
        HS_ASSIGN_OR_RETURN(int64_t shared_hidden,
                            config.Int("moe_shared_expert_intermediate_size", 7688));
        // The shared expert is always built (n_shared_experts is not consulted).
        moe.shared_expert =
            MakePlainMlp(mixer + ".shared_experts", d_model, shared_hidden, mlp_act, mlp_bias);
        layer.moe = std::move(moe);
        break;
      }
    }
    spec.layers.push_back(std::move(layer));
  }
  spec.final_norm = MakeNorm("backbone.norm_f", d_model, eps);
  families::SetLmHead(/*tied=*/false, &spec);
  AddPrefixAliases(&spec, "backbone.", "model.");
  return spec;
}

}  // namespace hybridserve::engine
