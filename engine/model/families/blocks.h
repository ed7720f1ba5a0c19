// Building blocks shared by the family adapters: TensorRef/LinearSpec/NormSpec constructors that
// follow the Hugging Face naming (prefix + ".weight"/".bias"), the standard attention, Mamba2 and
// gated-MLP specs, and config readers used by several families.
#ifndef HYBRIDSERVE_ENGINE_MODEL_FAMILIES_BLOCKS_H_
#define HYBRIDSERVE_ENGINE_MODEL_FAMILIES_BLOCKS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/model/config_reader.h"
#include "engine/model/model_spec.h"

namespace hybridserve::engine::families {

TensorRef Tensor(std::string name, std::vector<int64_t> shape);
// A view of shape `shape` starting offset_elements into the stored tensor of source_shape.
TensorRef TensorView(std::string name, std::vector<int64_t> shape,
                     std::vector<int64_t> source_shape, int64_t offset_elements);
// Adds an AliasView to ref: the same view stored as part of another tensor.
void AddAliasView(TensorRef* ref, std::string name, std::vector<int64_t> source_shape,
                  int64_t offset_elements);

// prefix.weight [out_dim, in_dim] (+ prefix.bias [out_dim] when bias).
LinearSpec MakeLinear(const std::string& prefix, int64_t in_dim, int64_t out_dim, bool bias);
// A linear whose weight is rows [row_begin, row_begin + out_dim) of the stored [rows, in_dim]
// tensor `name` (fused projections such as gate_up).
LinearSpec MakeLinearRows(const std::string& name, int64_t in_dim, int64_t out_dim,
                          int64_t total_rows, int64_t row_begin);
// prefix.weight [dim].
NormSpec MakeNorm(const std::string& prefix, int64_t dim, double eps);

struct AttentionDims {
  int64_t input_dim = 0;
  int64_t output_dim = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  bool bias = false;
};
// prefix.{q,k,v,o}_proj; scale = head_dim^-0.5, no RoPE (callers adjust).
AttentionSpec MakeAttention(const std::string& prefix, const AttentionDims& dims);

struct Mamba2Dims {
  int64_t d_model = 0;
  int64_t d_inner = 0;
  int64_t num_heads = 0;
  int64_t head_dim = 0;
  int64_t n_groups = 1;
  int64_t d_state = 0;
  int64_t d_conv = 4;
  int64_t chunk_size = 256;
  bool in_proj_bias = false;
  bool out_proj_bias = false;
  bool conv_bias = true;
  bool has_norm = true;  // prefix.norm.weight [I]
};
// prefix.{in_proj, conv1d, dt_bias, A_log, D, norm, out_proj}. The norm kind/eps/group size and
// dt clamps are left at their defaults for the caller to set.
Mamba2Spec MakeMamba2(const std::string& prefix, const Mamba2Dims& dims);

// prefix.{gate_proj, up_proj, down_proj}: down(act(gate(x)) * up(x)).
MlpSpec MakeGatedMlp(const std::string& prefix, int64_t d_model, int64_t hidden_dim,
                     kernels::cpu::Activation activation, bool bias);

// A hidden_act string ("silu", "gelu", "relu2", ...) as a kernel activation.
absl::StatusOr<kernels::cpu::Activation> ReadActivation(const ConfigReader& config,
                                                        std::string_view key,
                                                        std::string_view default_value);

// time_step_limit as (dt_min, dt_max); absent or null: (0, inf).
absl::Status ReadTimeStepLimit(const ConfigReader& config, float* dt_min, float* dt_max);

// Mamba2 dimensions from the Bamba-style keys shared by Bamba and GraniteMoeHybrid
// (mamba_expand, mamba_n_heads, mamba_d_head, mamba_n_groups, mamba_d_state, mamba_d_conv,
// mamba_chunk_size, mamba_conv_bias, mamba_proj_bias), with their config-class defaults.
absl::StatusOr<Mamba2Dims> ReadBambaMamba2Dims(const ConfigReader& config, int64_t d_model);

// The Bamba-style Mamba2 mixer (Bamba, GraniteMoeHybrid): gate-then-norm gated RMSNorm over all
// d_inner channels (transformers does not group it even when n_groups > 1) and the
// time_step_limit dt clamp.
Mamba2Spec MakeBambaMamba2(const std::string& prefix, const Mamba2Dims& dims, double eps,
                           float dt_min, float dt_max);

// An integer field that may also be the string "auto" (then auto_value).
absl::StatusOr<int64_t> ReadIntOrAuto(const ConfigReader& config, std::string_view key,
                                      int64_t auto_value);

// vocab_size, hidden_size, bos/eos (with the family's defaults), architecture and model_type.
absl::Status ReadCommon(const ConfigReader& config, int64_t default_bos, int64_t default_eos,
                        ModelSpec* spec);

// Errors unless num_layers equals num_hidden_layers (when the config has it); names both fields.
absl::Status CheckLayerCount(const ConfigReader& config, std::string_view pattern_field,
                             int64_t num_layers);

// lm_head: tied to spec->embedding (same name/aliases), or lm_head.weight [V, D].
void SetLmHead(bool tied, ModelSpec* spec);

// rotary_dim = int(head_dim * factor), as transformers computes it.
int64_t RotaryDim(int64_t head_dim, double partial_rotary_factor);

}  // namespace hybridserve::engine::families

#endif  // HYBRIDSERVE_ENGINE_MODEL_FAMILIES_BLOCKS_H_
