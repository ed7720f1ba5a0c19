#include "engine/model/model_summary.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/model/tensor_refs.h"

namespace hybridserve::engine {
namespace {

constexpr int64_t kFloatBytes = 4;

int64_t KvBytesPerToken(const AttentionSpec& a) {
  return 2 * a.num_kv_heads * a.head_dim * kFloatBytes;
}

}  // namespace

char LayerPatternChar(const LayerSpec& layer) {
  switch (layer.mixer) {
    case MixerKind::kMamba2:
      return layer.zamba_shared.has_value() ? 'H' : 'M';
    case MixerKind::kMamba1:
      return 'm';
    case MixerKind::kAttention:
      return '*';
    case MixerKind::kParallel:
      return 'P';
    case MixerKind::kNone:
      break;
  }
  return layer.moe.has_value() ? 'E' : '-';
}

ModelSummary Summarize(const ModelSpec& spec) {
  ModelSummary s;
  s.architecture = spec.architecture;
  s.model_type = spec.model_type;
  s.num_layers = static_cast<int64_t>(spec.layers.size());
  s.vocab_size = spec.vocab_size;
  s.hidden_size = spec.hidden_size;
  s.num_kv_layers = spec.num_kv_layers;
  s.num_ssm_layers = spec.num_ssm_layers;
  for (const LayerSpec& layer : spec.layers) {
    s.layer_pattern.push_back(LayerPatternChar(layer));
    s.layer_labels.push_back(layer.kind_label);
    if (layer.attention.has_value())
      s.kv_cache_bytes_per_token += KvBytesPerToken(*layer.attention);
    if (layer.zamba_shared.has_value()) {
      s.kv_cache_bytes_per_token += KvBytesPerToken(layer.zamba_shared->attention);
    }
    if (layer.mamba2.has_value()) {
      const Mamba2Spec& m = *layer.mamba2;
      s.ssm_state_bytes_per_sequence +=
          (m.conv_dim() * m.d_conv + m.num_heads * m.head_dim * m.d_state) * kFloatBytes;
    }
    if (layer.mamba1.has_value()) {
      const Mamba1Spec& m = *layer.mamba1;
      s.ssm_state_bytes_per_sequence +=
          (m.d_inner * m.d_conv + m.d_inner * m.d_state) * kFloatBytes;
    }
  }
  std::map<std::string, int64_t> stored;
  ForEachTensorRef(spec, [&](std::string_view, const TensorRef& ref) {
    if (ref.present()) stored.emplace(ref.name, NumElements(StoredShape(ref)));
  });
  for (const auto& [name, count] : stored) s.num_parameters += count;
  return s;
}

std::vector<std::string> ModelSummary::ToLines() const {
  std::vector<std::string> lines;
  lines.push_back(absl::StrCat("architecture: ", architecture, " (", model_type, ")"));
  lines.push_back(absl::StrCat("layers: ", num_layers, "  pattern: ", layer_pattern));
  lines.push_back(absl::StrCat("layer kinds: ", absl::StrJoin(layer_labels, " ")));
  lines.push_back(absl::StrCat("vocab_size: ", vocab_size, "  hidden_size: ", hidden_size));
  lines.push_back(absl::StrFormat("parameters: %d (%.2f M)", num_parameters,
                                  static_cast<double>(num_parameters) * 1e-6));
  lines.push_back(absl::StrCat("kv layers: ", num_kv_layers,
                               "  kv cache: ", kv_cache_bytes_per_token, " bytes/token (fp32)"));
  lines.push_back(absl::StrCat("ssm layers: ", num_ssm_layers, "  ssm state: ",
                               ssm_state_bytes_per_sequence, " bytes/sequence (fp32)"));
  return lines;
}

nlohmann::json ModelSummary::ToJson() const {
  nlohmann::json j;
  j["architecture"] = architecture;
  j["model_type"] = model_type;
  j["num_layers"] = num_layers;
  j["layer_pattern"] = layer_pattern;
  j["layer_labels"] = layer_labels;
  j["vocab_size"] = vocab_size;
  j["hidden_size"] = hidden_size;
  j["num_parameters"] = num_parameters;
  j["num_kv_layers"] = num_kv_layers;
  j["num_ssm_layers"] = num_ssm_layers;
  j["kv_cache_bytes_per_token"] = kv_cache_bytes_per_token;
  j["ssm_state_bytes_per_sequence"] = ssm_state_bytes_per_sequence;
  return j;
}

}  // namespace hybridserve::engine
