#include "engine/model/finalize_spec.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "engine/model/tensor_refs.h"

namespace hybridserve::engine {
namespace {

absl::Status Invalid(const std::string& where, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat("inconsistent model config: ", where, ": ",
                                                 message,
                                                 "; check the corresponding config.json fields"));
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

absl::Status CheckShape(const std::string& where, const char* field, const TensorRef& ref,
                        const std::vector<int64_t>& expected) {
  if (!ref.present()) return absl::OkStatus();
  if (ref.shape != expected) {
    return Invalid(where,
                   absl::StrCat(field, " (", ref.name, ") has shape ", ShapeString(ref.shape),
                                ", expected ", ShapeString(expected)));
  }
  for (int64_t d : ref.shape) {
    if (d <= 0) {
      return Invalid(where, absl::StrCat(field, " (", ref.name, ") has a non-positive dim ",
                                         ShapeString(ref.shape)));
    }
  }
  if (!ref.source_shape.empty() &&
      ref.offset_elements + NumElements(ref.shape) > NumElements(ref.source_shape)) {
    return Invalid(where,
                   absl::StrCat(field, " (", ref.name, ") view at offset ", ref.offset_elements,
                                " overruns the stored tensor ", ShapeString(ref.source_shape)));
  }
  return absl::OkStatus();
}

absl::Status CheckLinear(const std::string& where, const char* field, const LinearSpec& linear,
                         int64_t in_dim, int64_t out_dim) {
  if (!linear.present()) return Invalid(where, absl::StrCat(field, " is missing"));
  if (linear.in_dim != in_dim || linear.out_dim != out_dim) {
    return Invalid(where, absl::StrCat(field, " maps ", linear.in_dim, " -> ", linear.out_dim,
                                       ", expected ", in_dim, " -> ", out_dim));
  }
  HS_RETURN_IF_ERROR(CheckShape(where, field, linear.weight, {out_dim, in_dim}));
  return CheckShape(where, field, linear.bias, {out_dim});
}

absl::Status CheckAttention(const std::string& where, const AttentionSpec& a, int64_t d_model) {
  if (a.num_heads <= 0) return Invalid(where, "num_heads must be positive");
  if (a.num_kv_heads <= 0) return Invalid(where, "num_kv_heads must be positive");
  if (a.head_dim <= 0) return Invalid(where, "head_dim must be positive");
  if (a.num_heads % a.num_kv_heads != 0) {
    return Invalid(where,
                   absl::StrCat("num_heads (", a.num_heads, ") must be divisible by num_kv_heads (",
                                a.num_kv_heads, ")"));
  }
  if (a.rope.rotary_dim < 0 || a.rope.rotary_dim % 2 != 0 || a.rope.rotary_dim > a.head_dim) {
    return Invalid(where, absl::StrCat("rotary_dim (", a.rope.rotary_dim,
                                       ") must be even and <= head_dim (", a.head_dim, ")"));
  }
  if (a.rope.rotary_dim > 0 && !(a.rope.theta > 0)) {
    return Invalid(where, "rope theta must be positive");
  }
  HS_RETURN_IF_ERROR(CheckLinear(where, "q_proj", a.q_proj, a.input_dim, a.num_heads * a.head_dim));
  HS_RETURN_IF_ERROR(
      CheckLinear(where, "k_proj", a.k_proj, a.input_dim, a.num_kv_heads * a.head_dim));
  HS_RETURN_IF_ERROR(
      CheckLinear(where, "v_proj", a.v_proj, a.input_dim, a.num_kv_heads * a.head_dim));
  return CheckLinear(where, "o_proj", a.o_proj, a.num_heads * a.head_dim, d_model);
}

absl::Status CheckMamba2(const std::string& where, const Mamba2Spec& m) {
  if (m.num_heads <= 0 || m.head_dim <= 0 || m.d_state <= 0 || m.d_conv <= 0 || m.n_groups <= 0 ||
      m.chunk_size <= 0) {
    return Invalid(
        where, absl::StrCat("num_heads (", m.num_heads, "), head_dim (", m.head_dim,
                            "), n_groups (", m.n_groups, "), d_state (", m.d_state, "), d_conv (",
                            m.d_conv, ") and chunk_size (", m.chunk_size, ") must be positive"));
  }
  if (m.num_heads * m.head_dim != m.d_inner) {
    return Invalid(where, absl::StrCat("num_heads (", m.num_heads, ") * head_dim (", m.head_dim,
                                       ") must equal d_inner (", m.d_inner, ")"));
  }
  if (m.num_heads % m.n_groups != 0) {
    return Invalid(where, absl::StrCat("num_heads (", m.num_heads,
                                       ") must be divisible by n_groups (", m.n_groups, ")"));
  }
  if (m.norm_kind != GatedNorm::kNone) {
    if (!m.norm.present()) return Invalid(where, "gated norm weight is missing");
    if (m.norm_group_size <= 0 || m.d_inner % m.norm_group_size != 0) {
      return Invalid(where, absl::StrCat("norm_group_size (", m.norm_group_size,
                                         ") must divide d_inner (", m.d_inner, ")"));
    }
    HS_RETURN_IF_ERROR(CheckShape(where, "norm", m.norm.weight, {m.d_inner}));
  }
  if (!(m.dt_min <= m.dt_max)) return Invalid(where, "dt_min must be <= dt_max");
  const int64_t cd = m.conv_dim();
  HS_RETURN_IF_ERROR(
      CheckLinear(where, "in_proj", m.in_proj, m.d_model, m.d_inner + cd + m.num_heads));
  HS_RETURN_IF_ERROR(CheckShape(where, "conv1d", m.conv_weight, {cd, 1, m.d_conv}));
  HS_RETURN_IF_ERROR(CheckShape(where, "conv1d bias", m.conv_bias, {cd}));
  HS_RETURN_IF_ERROR(CheckShape(where, "dt_bias", m.dt_bias, {m.num_heads}));
  HS_RETURN_IF_ERROR(CheckShape(where, "A_log", m.a_log, {m.num_heads}));
  HS_RETURN_IF_ERROR(CheckShape(where, "D", m.d_skip, {m.num_heads}));
  return CheckLinear(where, "out_proj", m.out_proj, m.d_inner, m.d_model);
}

absl::Status CheckMamba1(const std::string& where, const Mamba1Spec& m) {
  if (m.d_inner <= 0 || m.d_state <= 0 || m.d_conv <= 0 || m.dt_rank <= 0) {
    return Invalid(where,
                   absl::StrCat("d_inner (", m.d_inner, "), d_state (", m.d_state, "), d_conv (",
                                m.d_conv, ") and dt_rank (", m.dt_rank, ") must be positive"));
  }
  HS_RETURN_IF_ERROR(CheckLinear(where, "in_proj", m.in_proj, m.d_model, 2 * m.d_inner));
  HS_RETURN_IF_ERROR(CheckLinear(where, "x_proj", m.x_proj, m.d_inner, m.dt_rank + 2 * m.d_state));
  HS_RETURN_IF_ERROR(CheckLinear(where, "dt_proj", m.dt_proj, m.dt_rank, m.d_inner));
  HS_RETURN_IF_ERROR(CheckShape(where, "A_log", m.a_log, {m.d_inner, m.d_state}));
  return CheckLinear(where, "out_proj", m.out_proj, m.d_inner, m.d_model);
}

absl::Status CheckMlp(const std::string& where, const MlpSpec& mlp, int64_t in_dim) {
  if (mlp.hidden_dim <= 0) return Invalid(where, "hidden_dim (intermediate size) must be positive");
  if (mlp.gated) {
    HS_RETURN_IF_ERROR(CheckLinear(where, "gate_proj", mlp.gate_proj, in_dim, mlp.hidden_dim));
  }
  HS_RETURN_IF_ERROR(CheckLinear(where, "up_proj", mlp.up_proj, in_dim, mlp.hidden_dim));
  return CheckLinear(where, "down_proj", mlp.down_proj, mlp.hidden_dim, in_dim);
}

absl::Status CheckMoe(const std::string& where, const MoeSpec& moe, int64_t d_model) {
  const auto& r = moe.router;
  if (r.num_experts <= 0) return Invalid(where, "num_experts must be positive");
  if (r.top_k <= 0 || r.top_k > r.num_experts) {
    return Invalid(where, absl::StrCat("top_k (", r.top_k, ") must be in [1, num_experts (",
                                       r.num_experts, ")]"));
  }
  if (static_cast<int64_t>(moe.experts.size()) != r.num_experts) {
    return Invalid(where, absl::StrCat("has ", moe.experts.size(),
                                       " expert specs but num_experts is ", r.num_experts));
  }
  if (r.kind == kernels::cpu::Router::kSigmoidGroupedTopk) {
    if (r.num_groups <= 0 || r.num_experts % r.num_groups != 0) {
      return Invalid(where, absl::StrCat("num_experts (", r.num_experts,
                                         ") must be divisible by n_group (", r.num_groups, ")"));
    }
    if (r.top_groups <= 0 || r.top_groups > r.num_groups) {
      return Invalid(where, absl::StrCat("topk_group (", r.top_groups, ") must be in [1, n_group (",
                                         r.num_groups, ")]"));
    }
  }
  HS_RETURN_IF_ERROR(CheckLinear(where, "router", moe.router_proj, d_model, r.num_experts));
  const int64_t expert_in = moe.latent_in.present() ? moe.latent_in.out_dim : d_model;
  for (size_t e = 0; e < moe.experts.size(); ++e) {
    HS_RETURN_IF_ERROR(CheckMlp(absl::StrCat(where, " expert ", e), moe.experts[e], expert_in));
  }
  if (moe.shared_expert.has_value()) {
    HS_RETURN_IF_ERROR(CheckMlp(where + " shared expert", *moe.shared_expert, d_model));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FinalizeSpec(ModelSpec* spec) {
  const int64_t d = spec->hidden_size;
  if (spec->layers.empty()) return Invalid("model", "no layers");
  if (d <= 0 || spec->vocab_size <= 0) {
    return Invalid("model", "hidden_size and vocab_size must be positive");
  }
  HS_RETURN_IF_ERROR(CheckShape("model", "embedding", spec->embedding, {spec->vocab_size, d}));
  if (!spec->embedding.present()) return Invalid("model", "embedding is missing");
  HS_RETURN_IF_ERROR(CheckLinear("model", "lm_head", spec->lm_head, d, spec->vocab_size));

  int num_kv = 0;
  int num_ssm = 0;
  for (size_t i = 0; i < spec->layers.size(); ++i) {
    LayerSpec& layer = spec->layers[i];
    const std::string where = absl::StrCat("layer ", i, " (", layer.kind_label, ")");
    const bool want_attention =
        layer.mixer == MixerKind::kAttention || layer.mixer == MixerKind::kParallel;
    const bool want_mamba2 =
        layer.mixer == MixerKind::kMamba2 || layer.mixer == MixerKind::kParallel;
    const bool want_mamba1 = layer.mixer == MixerKind::kMamba1;
    if (want_attention != layer.attention.has_value() || want_mamba2 != layer.mamba2.has_value() ||
        want_mamba1 != layer.mamba1.has_value()) {
      return Invalid(where, "mixer kind does not match the mixer specs present");
    }
    if (layer.mixer != MixerKind::kNone && !layer.mixer_norm.present()) {
      return Invalid(where, "mixer_norm is missing");
    }
    if ((layer.mlp.has_value() || layer.moe.has_value()) && !layer.ffn_norm.present()) {
      return Invalid(where, "ffn_norm is missing");
    }
    if (layer.mixer == MixerKind::kNone && !layer.mlp.has_value() && !layer.moe.has_value()) {
      return Invalid(where, "layer has neither a mixer nor a feed-forward block");
    }
    if (layer.zamba_shared.has_value()) {
      ZambaSharedSpec& shared = *layer.zamba_shared;
      if (shared.attention.input_dim != 2 * d) {
        return Invalid(where,
                       absl::StrCat("shared attention input_dim (", shared.attention.input_dim,
                                    ") must be 2 * hidden_size (", 2 * d, ")"));
      }
      HS_RETURN_IF_ERROR(CheckAttention(where + " shared attention", shared.attention, d));
      HS_RETURN_IF_ERROR(CheckMlp(where + " shared mlp", shared.mlp, d));
      HS_RETURN_IF_ERROR(CheckLinear(where, "shared linear", shared.linear, d, d));
      shared.attention.kv_layer = num_kv++;
    }
    if (layer.attention.has_value()) {
      if (layer.attention->input_dim != d) {
        return Invalid(where, absl::StrCat("attention input_dim (", layer.attention->input_dim,
                                           ") must equal hidden_size (", d, ")"));
      }
      HS_RETURN_IF_ERROR(CheckAttention(where + " attention", *layer.attention, d));
      layer.attention->kv_layer = num_kv++;
    }
    if (layer.mamba2.has_value()) {
      if (layer.mamba2->d_model != d) return Invalid(where, "mamba d_model must equal hidden_size");
      HS_RETURN_IF_ERROR(CheckMamba2(where + " mamba2", *layer.mamba2));
      layer.mamba2->ssm_layer = num_ssm++;
    }
    if (layer.mamba1.has_value()) {
      if (layer.mamba1->d_model != d) return Invalid(where, "mamba d_model must equal hidden_size");
      HS_RETURN_IF_ERROR(CheckMamba1(where + " mamba1", *layer.mamba1));
      layer.mamba1->ssm_layer = num_ssm++;
    }
    if (layer.mlp.has_value()) HS_RETURN_IF_ERROR(CheckMlp(where + " mlp", *layer.mlp, d));
    if (layer.moe.has_value()) HS_RETURN_IF_ERROR(CheckMoe(where + " moe", *layer.moe, d));
  }
  spec->num_kv_layers = num_kv;
  spec->num_ssm_layers = num_ssm;
  return absl::OkStatus();
}

}  // namespace hybridserve::engine
