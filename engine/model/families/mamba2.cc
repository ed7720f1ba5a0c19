// Mamba2ForCausalLM (model_type "mamba2"): every layer is norm -> Mamba2 mixer -> residual.
//
// Facts (transformers models/mamba2): I = expand * hidden_size and must equal num_heads * head_dim;
// the gated norm is ungrouped (variance over all I channels, even with n_groups > 1), eps =
// layer_norm_epsilon; the torch path clamps dt to time_step_limit (default (0, inf)); no MLP.
// Names: backbone.embeddings.weight (original checkpoints may say backbone.embedding.weight, which
// a load hook renames), backbone.layers.{i}.norm.weight, backbone.layers.{i}.mixer.*,
// backbone.norm_f.weight, lm_head.weight (tied to the embedding when tie_word_embeddings).
#include "engine/model/families/mamba2.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/model/families/blocks.h"

namespace hybridserve::engine {

using families::MakeMamba2;
using families::MakeNorm;
using families::Mamba2Dims;

absl::StatusOr<ModelSpec> BuildMamba2Spec(const ConfigReader& config) {
  ModelSpec spec;
  HS_RETURN_IF_ERROR(families::ReadCommon(config, /*default_bos=*/0, /*default_eos=*/2, &spec));
  const int64_t d_model = spec.hidden_size;
  HS_ASSIGN_OR_RETURN(int64_t num_layers, config.Int("num_hidden_layers", 64));
  HS_ASSIGN_OR_RETURN(double eps, config.Float("layer_norm_epsilon", 1e-5));
  HS_ASSIGN_OR_RETURN(double expand, config.Float("expand", 2));
  HS_ASSIGN_OR_RETURN(bool tied, config.Bool("tie_word_embeddings", false));
  HS_ASSIGN_OR_RETURN(bool rms_norm, config.Bool("rms_norm", true));
  if (!rms_norm) return config.Error("field \"rms_norm\" = false is not supported");
  HS_ASSIGN_OR_RETURN(kernels::cpu::Activation act,
                      families::ReadActivation(config, "hidden_act", "silu"));
  if (act != kernels::cpu::Activation::kSilu) {
    return config.Error("field \"hidden_act\" must be \"silu\" for the Mamba2 mixer");
  }

  Mamba2Dims dims;
  dims.d_model = d_model;
  dims.d_inner = static_cast<int64_t>(expand * static_cast<double>(d_model));
  HS_ASSIGN_OR_RETURN(dims.num_heads, config.Int("num_heads", 128));
  HS_ASSIGN_OR_RETURN(dims.head_dim, config.Int("head_dim", 64));
  HS_ASSIGN_OR_RETURN(dims.n_groups, config.Int("n_groups", 8));
  HS_ASSIGN_OR_RETURN(dims.d_state, config.Int("state_size", 128));
  HS_ASSIGN_OR_RETURN(dims.d_conv, config.Int("conv_kernel", 4));
  HS_ASSIGN_OR_RETURN(dims.chunk_size, config.Int("chunk_size", 256));
  HS_ASSIGN_OR_RETURN(bool use_bias, config.Bool("use_bias", false));
  HS_ASSIGN_OR_RETURN(dims.conv_bias, config.Bool("use_conv_bias", true));
  dims.in_proj_bias = use_bias;
  dims.out_proj_bias = use_bias;
  float dt_min = 0, dt_max = 0;
  HS_RETURN_IF_ERROR(families::ReadTimeStepLimit(config, &dt_min, &dt_max));
  if (dims.num_heads * dims.head_dim != dims.d_inner) {
    return config.Error(absl::StrCat("num_heads (", dims.num_heads, ") * head_dim (", dims.head_dim,
                                     ") must equal expand * hidden_size (", dims.d_inner, ")"));
  }

  spec.max_position_embeddings = 0;  // no positional limit
  spec.embedding = families::Tensor("backbone.embeddings.weight", {spec.vocab_size, d_model});
  spec.embedding.aliases.push_back("backbone.embedding.weight");
  for (int64_t i = 0; i < num_layers; ++i) {
    const std::string prefix = absl::StrCat("backbone.layers.", i);
    LayerSpec layer;
    layer.mixer = MixerKind::kMamba2;
    layer.kind_label = "mamba";
    layer.mixer_norm = MakeNorm(prefix + ".norm", d_model, eps);
    Mamba2Spec mamba = MakeMamba2(prefix + ".mixer", dims);
    mamba.norm.eps = static_cast<float>(eps);
    mamba.norm_kind = GatedNorm::kGateThenNorm;
    mamba.norm_group_size = dims.d_inner;  // ungrouped
    mamba.dt_min = dt_min;
    mamba.dt_max = dt_max;
    layer.mamba2 = std::move(mamba);
    spec.layers.push_back(std::move(layer));
  }
  spec.final_norm = MakeNorm("backbone.norm_f", d_model, eps);
  families::SetLmHead(tied, &spec);
  return spec;
}

}  // namespace hybridserve::engine
