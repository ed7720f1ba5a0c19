// A compact description of a ModelSpec for inspect tools and logs: layer pattern, parameter
// count, and the fp32 cache footprint per token (KV) and per sequence (SSM state).
#ifndef HYBRIDSERVE_ENGINE_MODEL_MODEL_SUMMARY_H_
#define HYBRIDSERVE_ENGINE_MODEL_MODEL_SUMMARY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/model/model_spec.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {

struct ModelSummary {
  std::string architecture;
  std::string model_type;
  int64_t num_layers = 0;
  // One char per layer: M Mamba2, H Zamba2 hybrid (shared block + Mamba2), m Mamba1,
  // * attention, P parallel attention + Mamba2, E MoE only, - MLP only.
  std::string layer_pattern;
  std::vector<std::string> layer_labels;  // kind_label per layer
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  // Every distinct stored tensor counted once by name (shared blocks, tied embeddings and views
  // into one stacked tensor count once), sized by its stored shape.
  int64_t num_parameters = 0;
  int num_kv_layers = 0;
  int num_ssm_layers = 0;
  // fp32: sum over KV layers of 2 * num_kv_heads * head_dim * 4.
  int64_t kv_cache_bytes_per_token = 0;
  // fp32: Mamba2 conv_dim * d_conv + heads * head_dim * d_state, Mamba1 I * d_conv + I * N, * 4.
  int64_t ssm_state_bytes_per_sequence = 0;

  std::vector<std::string> ToLines() const;
  nlohmann::json ToJson() const;
};

ModelSummary Summarize(const ModelSpec& spec);

// The per-layer pattern char used by ModelSummary::layer_pattern.
char LayerPatternChar(const LayerSpec& layer);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_MODEL_SUMMARY_H_
