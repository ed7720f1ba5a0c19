// Zamba2ForCausalLM (model_type "zamba2"): a Mamba2 backbone; "hybrid" layers first run one of
// num_mem_blocks shared transformer blocks on cat(h, e0), project it with a per-layer linear and
// add it to the Mamba input only.
//
// Facts (transformers models/zamba2, v5):
//   layers_block_type (legacy "mamba" = "linear_attention") defaults to the 54-layer pattern.
//   The j-th hybrid layer (j counts hybrid layers only) uses block b = j % num_mem_blocks, and
//   adapter slot j inside that block. Blocks are tied to the first hybrid layer that uses them,
//   so the stored names are model.layers.{first hybrid layer of b}.shared_transformer.*, the
//   adapter slots included; other layers' spellings are accepted as aliases. Each hybrid layer
//   has its own KV cache although the weights are shared.
//   Attention: input 2D, head_dim = 2D / num_attention_heads (a config head_dim is ignored), scale
//   (head_dim / 2)^-0.5, RoPE over the full head_dim only when use_mem_rope. Optional q/k/v LoRA
//   adapters (use_shared_attention_adapter); the gate_up LoRA adapter is always present.
//   MLP: gate_up_proj [2F, D], first F rows = gate (gelu), last F rows = up.
//   Mamba: I = mamba_expand * D, P = I / n_mamba_heads, conv1d bias always stored, grouped gated
//   norm (I / mamba_ngroups) with eps fixed at 1e-5, dt clamped from below by time_step_min.
//   lm_head tied to the embedding by default.
#include "engine/model/families/zamba2.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/model/families/blocks.h"

namespace hybridserve::engine {
namespace {

using families::MakeLinear;
using families::MakeNorm;

std::vector<std::string> DefaultPattern() {
  std::vector<std::string> types = {"linear_attention"};
  for (int i = 0; i < 7; ++i) {
    for (int k = 0; k < 5; ++k) types.push_back("linear_attention");
    types.push_back("hybrid");
  }
  for (int k = 0; k < 4; ++k) types.push_back("linear_attention");
  types.push_back("hybrid");
  for (int k = 0; k < 3; ++k) types.push_back("linear_attention");
  types.push_back("hybrid");
  for (int k = 0; k < 2; ++k) types.push_back("linear_attention");
  return types;
}

// A TensorRef named under the block's owner layer, with the current layer's spelling as alias.
TensorRef SharedTensor(const std::string& owner, const std::string& self, const std::string& suffix,
                       std::vector<int64_t> shape) {
  TensorRef ref = families::Tensor(owner + suffix, std::move(shape));
  if (self != owner) ref.aliases.push_back(self + suffix);
  return ref;
}

LinearSpec SharedLinear(const std::string& owner, const std::string& self,
                        const std::string& suffix, int64_t in_dim, int64_t out_dim) {
  LinearSpec linear;
  linear.in_dim = in_dim;
  linear.out_dim = out_dim;
  linear.weight = SharedTensor(owner, self, suffix + ".weight", {out_dim, in_dim});
  return linear;
}

// One Sequential(Linear(in, r), Linear(r, out)) adapter slot; up_rows selects a row range of the
// second linear (for the split gate_up adapter), empty = all rows.
LoraSpec SharedLora(const std::string& owner, const std::string& self, const std::string& list,
                    int64_t slot, int64_t in_dim, int64_t rank, int64_t out_total,
                    int64_t row_begin, int64_t rows) {
  const std::string base = absl::StrCat(list, ".", slot);
  LoraSpec lora;
  lora.down = SharedLinear(owner, self, base + ".0", in_dim, rank);
  lora.up.in_dim = rank;
  lora.up.out_dim = rows;
  lora.up.weight = SharedTensor(owner, self, base + ".1.weight", {rows, rank});
  if (rows != out_total) {
    lora.up.weight.source_shape = {out_total, rank};
    lora.up.weight.offset_elements = row_begin * rank;
  }
  return lora;
}

}  // namespace

absl::StatusOr<ModelSpec> BuildZamba2Spec(const ConfigReader& original_config) {
  ConfigReader config = original_config;
  config.AddAlias("layers_block_type", "layer_types");

  ModelSpec spec;
  HS_RETURN_IF_ERROR(families::ReadCommon(config, /*default_bos=*/1, /*default_eos=*/2, &spec));
  const int64_t d_model = spec.hidden_size;
  std::vector<std::string> types = DefaultPattern();
  if (config.Has("layers_block_type")) {
    HS_ASSIGN_OR_RETURN(types, config.StringList("layers_block_type"));
  }
  HS_RETURN_IF_ERROR(
      families::CheckLayerCount(config, "layers_block_type", static_cast<int64_t>(types.size())));
  std::vector<int64_t> hybrid_ids;
  for (size_t i = 0; i < types.size(); ++i) {
    if (types[i] == "hybrid") {
      hybrid_ids.push_back(static_cast<int64_t>(i));
    } else if (types[i] != "linear_attention" && types[i] != "mamba") {
      return config.Error(absl::StrCat("field \"layers_block_type\" holds unknown layer type \"",
                                       types[i], "\"; expected mamba or hybrid"));
    }
  }

  HS_ASSIGN_OR_RETURN(double eps, config.Float("rms_norm_eps", 1e-5));
  HS_ASSIGN_OR_RETURN(bool tied, config.Bool("tie_word_embeddings", true));
  HS_ASSIGN_OR_RETURN(bool long_context, config.Bool("use_long_context", false));
  HS_ASSIGN_OR_RETURN(spec.max_position_embeddings, config.Int("max_position_embeddings", 4096));
  if (long_context) spec.max_position_embeddings = 16384;
  HS_ASSIGN_OR_RETURN(bool bias, config.Bool("add_bias_linear", false));

  // Shared transformer block.
  HS_ASSIGN_OR_RETURN(int64_t num_heads, config.Int("num_attention_heads", 32));
  if (num_heads <= 0) return config.Error("field \"num_attention_heads\" must be positive");
  HS_ASSIGN_OR_RETURN(int64_t num_kv_heads, config.Int("num_key_value_heads", num_heads));
  const int64_t attention_hidden = 2 * d_model;
  const int64_t head_dim = attention_hidden / num_heads;
  HS_ASSIGN_OR_RETURN(int64_t intermediate, config.Int("intermediate_size", 4 * d_model));
  HS_ASSIGN_OR_RETURN(kernels::cpu::Activation act,
                      families::ReadActivation(config, "hidden_act", "gelu"));
  HS_ASSIGN_OR_RETURN(int64_t num_mem_blocks, config.Int("num_mem_blocks", 1));
  if (num_mem_blocks <= 0) return config.Error("field \"num_mem_blocks\" must be positive");
  HS_ASSIGN_OR_RETURN(bool attention_adapters, config.Bool("use_shared_attention_adapter", false));
  HS_ASSIGN_OR_RETURN(int64_t rank, config.Int("adapter_rank", 128));
  HS_ASSIGN_OR_RETURN(bool mem_rope, config.Bool("use_mem_rope", false));
  RopeConfig rope;
  if (mem_rope && !hybrid_ids.empty()) {
    HS_ASSIGN_OR_RETURN(rope, config.Rope(/*default_theta=*/10000.0));
  }

  // Mamba2 mixer.
  families::Mamba2Dims dims;
  dims.d_model = d_model;
  HS_ASSIGN_OR_RETURN(double expand, config.Float("mamba_expand", 2));
  dims.d_inner = static_cast<int64_t>(expand * static_cast<double>(d_model));
  HS_ASSIGN_OR_RETURN(dims.num_heads, config.Int("n_mamba_heads", 8));
  if (dims.num_heads <= 0) return config.Error("field \"n_mamba_heads\" must be positive");
  dims.head_dim = dims.d_inner / dims.num_heads;
  HS_ASSIGN_OR_RETURN(dims.n_groups, config.Int("mamba_ngroups", 1));
  if (dims.n_groups <= 0) return config.Error("field \"mamba_ngroups\" must be positive");
  HS_ASSIGN_OR_RETURN(dims.d_state, config.Int("mamba_d_state", 64));
  HS_ASSIGN_OR_RETURN(dims.d_conv, config.Int("mamba_d_conv", 4));
  HS_ASSIGN_OR_RETURN(dims.chunk_size, config.Int("chunk_size", 256));
  dims.conv_bias = true;  // conv1d is always built with a bias
  dims.in_proj_bias = bias;
  dims.out_proj_bias = bias;
  HS_ASSIGN_OR_RETURN(double time_step_min, config.Float("time_step_min", 0.001));

  spec.embedding = families::Tensor("model.embed_tokens.weight", {spec.vocab_size, d_model});
  int64_t hybrid_index = 0;
  for (size_t i = 0; i < types.size(); ++i) {
    const std::string prefix = absl::StrCat("model.layers.", i);
    const bool hybrid = types[i] == "hybrid";
    const std::string mamba_prefix = hybrid ? prefix + ".mamba_decoder" : prefix;
    LayerSpec layer;
    layer.mixer = MixerKind::kMamba2;
    layer.kind_label = hybrid ? "hybrid" : "mamba";
    layer.mixer_norm = MakeNorm(mamba_prefix + ".input_layernorm", d_model, eps);
    Mamba2Spec m = families::MakeMamba2(mamba_prefix + ".mamba", dims);
    m.norm.eps = 1e-5f;
    m.norm_kind = GatedNorm::kGateThenNorm;
    m.norm_group_size = dims.d_inner / dims.n_groups;
    m.dt_min = static_cast<float>(time_step_min);
    m.dt_max = std::numeric_limits<float>::infinity();
    layer.mamba2 = std::move(m);

    if (hybrid) {
      const int64_t j = hybrid_index++;
      const int64_t block = j % num_mem_blocks;
      const std::string owner = absl::StrCat(
          "model.layers.", hybrid_ids[static_cast<size_t>(block)], ".shared_transformer");
      const std::string self = prefix + ".shared_transformer";
      ZambaSharedSpec shared;
      shared.input_norm.weight =
          SharedTensor(owner, self, ".input_layernorm.weight", {attention_hidden});
      shared.input_norm.dim = attention_hidden;
      shared.input_norm.eps = static_cast<float>(eps);

      AttentionSpec& a = shared.attention;
      a.input_dim = attention_hidden;
      a.num_heads = num_heads;
      a.num_kv_heads = num_kv_heads;
      a.head_dim = head_dim;
      a.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim) / 2.0));
      if (mem_rope) {
        a.rope.rotary_dim = head_dim;
        a.rope.theta = rope.theta;
      }
      a.q_proj =
          SharedLinear(owner, self, ".self_attn.q_proj", attention_hidden, num_heads * head_dim);
      a.k_proj =
          SharedLinear(owner, self, ".self_attn.k_proj", attention_hidden, num_kv_heads * head_dim);
      a.v_proj =
          SharedLinear(owner, self, ".self_attn.v_proj", attention_hidden, num_kv_heads * head_dim);
      a.o_proj = SharedLinear(owner, self, ".self_attn.o_proj", num_heads * head_dim, d_model);
      if (attention_adapters) {
        a.q_lora = SharedLora(owner, self, ".self_attn.linear_q_adapter_list", j, attention_hidden,
                              rank, attention_hidden, 0, attention_hidden);
        a.k_lora = SharedLora(owner, self, ".self_attn.linear_k_adapter_list", j, attention_hidden,
                              rank, attention_hidden, 0, attention_hidden);
        a.v_lora = SharedLora(owner, self, ".self_attn.linear_v_adapter_list", j, attention_hidden,
                              rank, attention_hidden, 0, attention_hidden);
      }

      shared.pre_ff_norm.weight = SharedTensor(owner, self, ".pre_ff_layernorm.weight", {d_model});
      shared.pre_ff_norm.dim = d_model;
      shared.pre_ff_norm.eps = static_cast<float>(eps);

      MlpSpec& mlp = shared.mlp;
      mlp.gated = true;
      mlp.activation = act;
      mlp.hidden_dim = intermediate;
      LinearSpec gate_up =
          SharedLinear(owner, self, ".feed_forward.gate_up_proj", d_model, 2 * intermediate);
      mlp.gate_proj = gate_up;
      mlp.gate_proj.out_dim = intermediate;
      mlp.gate_proj.weight.shape = {intermediate, d_model};
      mlp.gate_proj.weight.source_shape = {2 * intermediate, d_model};
      mlp.up_proj = mlp.gate_proj;
      mlp.up_proj.weight.offset_elements = intermediate * d_model;
      if (bias) {
        TensorRef gate_bias =
            SharedTensor(owner, self, ".feed_forward.gate_up_proj.bias", {intermediate});
        gate_bias.source_shape = {2 * intermediate};
        mlp.gate_proj.bias = gate_bias;
        gate_bias.offset_elements = intermediate;
        mlp.up_proj.bias = gate_bias;
      }
      mlp.down_proj = SharedLinear(owner, self, ".feed_forward.down_proj", intermediate, d_model);
      if (bias) {
        mlp.down_proj.bias = SharedTensor(owner, self, ".feed_forward.down_proj.bias", {d_model});
      }
      mlp.gate_lora = SharedLora(owner, self, ".feed_forward.gate_up_proj_adapter_list", j, d_model,
                                 rank, 2 * intermediate, 0, intermediate);
      mlp.up_lora = SharedLora(owner, self, ".feed_forward.gate_up_proj_adapter_list", j, d_model,
                               rank, 2 * intermediate, intermediate, intermediate);

      shared.linear = MakeLinear(prefix + ".linear", d_model, d_model, false);
      layer.zamba_shared = std::move(shared);
    }
    spec.layers.push_back(std::move(layer));
  }
  spec.final_norm = MakeNorm("model.final_layernorm", d_model, eps);
  families::SetLmHead(tied, &spec);
  return spec;
}

}  // namespace hybridserve::engine
