#include "engine/model/families/blocks.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace hybridserve::engine::families {
namespace {
absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }
}  // namespace

using kernels::cpu::Activation;

TensorRef Tensor(std::string name, std::vector<int64_t> shape) {
  TensorRef ref;
  ref.name = std::move(name);
  ref.shape = std::move(shape);
  return ref;
}

TensorRef TensorView(std::string name, std::vector<int64_t> shape,
                     std::vector<int64_t> source_shape, int64_t offset_elements) {
  TensorRef ref = Tensor(std::move(name), std::move(shape));
  ref.source_shape = std::move(source_shape);
  ref.offset_elements = offset_elements;
  return ref;
}

void AddAliasView(TensorRef* ref, std::string name, std::vector<int64_t> source_shape,
                  int64_t offset_elements) {
  TensorRef::AliasView view;
  view.name = std::move(name);
  view.source_shape = std::move(source_shape);
  view.offset_elements = offset_elements;
  ref->alias_views.push_back(std::move(view));
}

LinearSpec MakeLinear(const std::string& prefix, int64_t in_dim, int64_t out_dim, bool bias) {
  LinearSpec linear;
  linear.in_dim = in_dim;
  linear.out_dim = out_dim;
  linear.weight = Tensor(prefix + ".weight", {out_dim, in_dim});
  if (bias) linear.bias = Tensor(prefix + ".bias", {out_dim});
  return linear;
}

LinearSpec MakeLinearRows(const std::string& name, int64_t in_dim, int64_t out_dim,
                          int64_t total_rows, int64_t row_begin) {
  LinearSpec linear;
  linear.in_dim = in_dim;
  linear.out_dim = out_dim;
  linear.weight = TensorView(name, {out_dim, in_dim}, {total_rows, in_dim}, row_begin * in_dim);
  return linear;
}

NormSpec MakeNorm(const std::string& prefix, int64_t dim, double eps) {
  NormSpec norm;
  norm.weight = Tensor(prefix + ".weight", {dim});
  norm.dim = dim;
  norm.eps = static_cast<float>(eps);
  return norm;
}

AttentionSpec MakeAttention(const std::string& prefix, const AttentionDims& dims) {
  AttentionSpec a;
  a.input_dim = dims.input_dim;
  a.num_heads = dims.num_heads;
  a.num_kv_heads = dims.num_kv_heads;
  a.head_dim = dims.head_dim;
  a.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dims.head_dim)));
  a.q_proj =
      MakeLinear(prefix + ".q_proj", dims.input_dim, dims.num_heads * dims.head_dim, dims.bias);
  a.k_proj =
      MakeLinear(prefix + ".k_proj", dims.input_dim, dims.num_kv_heads * dims.head_dim, dims.bias);
  a.v_proj =
      MakeLinear(prefix + ".v_proj", dims.input_dim, dims.num_kv_heads * dims.head_dim, dims.bias);
  a.o_proj =
      MakeLinear(prefix + ".o_proj", dims.num_heads * dims.head_dim, dims.output_dim, dims.bias);
  return a;
}

Mamba2Spec MakeMamba2(const std::string& prefix, const Mamba2Dims& dims) {
  Mamba2Spec m;
  m.d_model = dims.d_model;
  m.d_inner = dims.d_inner;
  m.num_heads = dims.num_heads;
  m.head_dim = dims.head_dim;
  m.n_groups = dims.n_groups;
  m.d_state = dims.d_state;
  m.d_conv = dims.d_conv;
  m.chunk_size = dims.chunk_size;
  const int64_t conv_dim = m.conv_dim();
  const int64_t in_proj_dim = dims.d_inner + conv_dim + dims.num_heads;
  m.in_proj = MakeLinear(prefix + ".in_proj", dims.d_model, in_proj_dim, dims.in_proj_bias);
  m.conv_weight = Tensor(prefix + ".conv1d.weight", {conv_dim, 1, dims.d_conv});
  if (dims.conv_bias) m.conv_bias = Tensor(prefix + ".conv1d.bias", {conv_dim});
  m.dt_bias = Tensor(prefix + ".dt_bias", {dims.num_heads});
  m.a_log = Tensor(prefix + ".A_log", {dims.num_heads});
  m.d_skip = Tensor(prefix + ".D", {dims.num_heads});
  if (dims.has_norm) {
    m.norm = MakeNorm(prefix + ".norm", dims.d_inner, 1e-5);
    m.norm_kind = GatedNorm::kGateThenNorm;
    m.norm_group_size = dims.d_inner;
  } else {
    m.norm_kind = GatedNorm::kNone;
    m.norm_group_size = 0;
  }
  m.out_proj = MakeLinear(prefix + ".out_proj", dims.d_inner, dims.d_model, dims.out_proj_bias);
  // decode_dt_min / decode_dt_max stay (0, inf) for every family: the transformers single-step
  // update (mamba2_selective_state_update) never clamps dt.
  return m;
}

MlpSpec MakeGatedMlp(const std::string& prefix, int64_t d_model, int64_t hidden_dim,
                     Activation activation, bool bias) {
  MlpSpec mlp;
  mlp.gated = true;
  mlp.activation = activation;
  mlp.hidden_dim = hidden_dim;
  mlp.gate_proj = MakeLinear(prefix + ".gate_proj", d_model, hidden_dim, bias);
  mlp.up_proj = MakeLinear(prefix + ".up_proj", d_model, hidden_dim, bias);
  mlp.down_proj = MakeLinear(prefix + ".down_proj", hidden_dim, d_model, bias);
  return mlp;
}

absl::StatusOr<Activation> ReadActivation(const ConfigReader& config, std::string_view key,
                                          std::string_view default_value) {
  HS_ASSIGN_OR_RETURN(std::string act, config.String(key, default_value));
  if (act == "silu" || act == "swish") return Activation::kSilu;
  if (act == "gelu") return Activation::kGelu;
  if (act == "relu2") return Activation::kRelu2;
  return absl::UnimplementedError(absl::StrCat(
      "config.json: activation \"", act, "\" in field \"", AV(key),
      "\" is not supported; supported: silu, gelu (exact), relu2 (", config.architecture(), ")"));
}

absl::Status ReadTimeStepLimit(const ConfigReader& config, float* dt_min, float* dt_max) {
  *dt_min = 0.0f;
  *dt_max = std::numeric_limits<float>::infinity();
  if (!config.Has("time_step_limit")) return absl::OkStatus();
  HS_ASSIGN_OR_RETURN(std::vector<double> limit, config.FloatList("time_step_limit"));
  if (limit.size() != 2) {
    return config.Error(absl::StrCat(
        "field \"time_step_limit\" must hold 2 numbers [min, max], got ", limit.size()));
  }
  if (!(limit[0] <= limit[1])) {
    return config.Error("field \"time_step_limit\" must satisfy min <= max");
  }
  *dt_min = static_cast<float>(limit[0]);
  *dt_max = static_cast<float>(limit[1]);
  return absl::OkStatus();
}

absl::StatusOr<Mamba2Dims> ReadBambaMamba2Dims(const ConfigReader& config, int64_t d_model) {
  Mamba2Dims dims;
  dims.d_model = d_model;
  HS_ASSIGN_OR_RETURN(int64_t expand, config.Int("mamba_expand", 2));
  dims.d_inner = expand * d_model;
  HS_ASSIGN_OR_RETURN(dims.num_heads, config.Int("mamba_n_heads", 128));
  if (dims.num_heads <= 0) return config.Error("field \"mamba_n_heads\" must be positive");
  HS_ASSIGN_OR_RETURN(dims.head_dim,
                      ReadIntOrAuto(config, "mamba_d_head", dims.d_inner / dims.num_heads));
  HS_ASSIGN_OR_RETURN(dims.n_groups, config.Int("mamba_n_groups", 1));
  HS_ASSIGN_OR_RETURN(dims.d_state, config.Int("mamba_d_state", 256));
  HS_ASSIGN_OR_RETURN(dims.d_conv, config.Int("mamba_d_conv", 4));
  HS_ASSIGN_OR_RETURN(dims.chunk_size, config.Int("mamba_chunk_size", 256));
  HS_ASSIGN_OR_RETURN(dims.conv_bias, config.Bool("mamba_conv_bias", true));
  HS_ASSIGN_OR_RETURN(bool proj_bias, config.Bool("mamba_proj_bias", false));
  dims.in_proj_bias = proj_bias;
  dims.out_proj_bias = proj_bias;
  return dims;
}

Mamba2Spec MakeBambaMamba2(const std::string& prefix, const Mamba2Dims& dims, double eps,
                           float dt_min, float dt_max) {
  Mamba2Spec m = MakeMamba2(prefix, dims);
  m.norm.eps = static_cast<float>(eps);
  m.norm_kind = GatedNorm::kGateThenNorm;
  m.norm_group_size = dims.d_inner;
  m.dt_min = dt_min;
  m.dt_max = dt_max;
  return m;
}

absl::StatusOr<int64_t> ReadIntOrAuto(const ConfigReader& config, std::string_view key,
                                      int64_t auto_value) {
  if (!config.Has(key)) return auto_value;
  const nlohmann::json* value = nullptr;
  auto it = config.json().find(std::string(key));
  if (it != config.json().end()) value = &*it;
  if (value != nullptr && value->is_string()) {
    HS_ASSIGN_OR_RETURN(std::string text, config.String(key));
    if (text == "auto") return auto_value;
    return config.Error(
        absl::StrCat("field \"", AV(key), "\" must be an integer or \"auto\", got \"", text, "\""));
  }
  return config.Int(key);
}

absl::Status ReadCommon(const ConfigReader& config, int64_t default_bos, int64_t default_eos,
                        ModelSpec* spec) {
  spec->architecture = config.architecture();
  HS_ASSIGN_OR_RETURN(spec->model_type, config.String("model_type", ""));
  HS_ASSIGN_OR_RETURN(spec->vocab_size, config.Int("vocab_size"));
  HS_ASSIGN_OR_RETURN(spec->hidden_size, config.Int("hidden_size"));
  if (spec->vocab_size <= 0) return config.Error("field \"vocab_size\" must be positive");
  if (spec->hidden_size <= 0) return config.Error("field \"hidden_size\" must be positive");
  HS_ASSIGN_OR_RETURN(spec->eos_token_ids, config.IntOrIntList("eos_token_id", {default_eos}));
  if (config.json().contains("bos_token_id")) {
    HS_ASSIGN_OR_RETURN(spec->bos_token_id, config.OptionalInt("bos_token_id"));
  } else {
    spec->bos_token_id = default_bos;
  }
  return absl::OkStatus();
}

absl::Status CheckLayerCount(const ConfigReader& config, std::string_view pattern_field,
                             int64_t num_layers) {
  if (num_layers <= 0) {
    return config.Error(absl::StrCat("field \"", AV(pattern_field), "\" describes no layers"));
  }
  if (!config.Has("num_hidden_layers")) return absl::OkStatus();
  HS_ASSIGN_OR_RETURN(int64_t num_hidden_layers, config.Int("num_hidden_layers"));
  if (num_hidden_layers != num_layers) {
    return config.Error(absl::StrCat("layer pattern \"", AV(pattern_field), "\" has ", num_layers,
                                     " entries but \"num_hidden_layers\" is ", num_hidden_layers,
                                     "; make them agree"));
  }
  return absl::OkStatus();
}

void SetLmHead(bool tied, ModelSpec* spec) {
  spec->lm_head = LinearSpec();
  spec->lm_head.in_dim = spec->hidden_size;
  spec->lm_head.out_dim = spec->vocab_size;
  if (tied) {
    spec->lm_head.weight = spec->embedding;
  } else {
    spec->lm_head.weight = Tensor("lm_head.weight", {spec->vocab_size, spec->hidden_size});
  }
}

int64_t RotaryDim(int64_t head_dim, double partial_rotary_factor) {
  return static_cast<int64_t>(static_cast<double>(head_dim) * partial_rotary_factor);
}

}  // namespace hybridserve::engine::families
