#include "engine/model/tensor_refs.h"

#include <algorithm>
#include <type_traits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace hybridserve::engine {
namespace {

// One walker for both constness: Spec is ModelSpec or const ModelSpec, Visit takes (path, ref).
template <typename T, typename Spec>
using Like = std::conditional_t<std::is_const_v<Spec>, const T, T>;

template <typename Spec, typename Visit>
class Walker {
 public:
  explicit Walker(const Visit& visit) : visit_(visit) {}

  void Ref(const std::string& path, Like<TensorRef, Spec>& ref) { visit_(path, ref); }
  void Linear(const std::string& path, Like<LinearSpec, Spec>& linear) {
    Ref(path + ".weight", linear.weight);
    Ref(path + ".bias", linear.bias);
  }
  void Lora(const std::string& path, Like<LoraSpec, Spec>& lora) {
    Linear(path + ".down", lora.down);
    Linear(path + ".up", lora.up);
  }
  void Norm(const std::string& path, Like<NormSpec, Spec>& norm) {
    Ref(path + ".weight", norm.weight);
  }
  void Attention(const std::string& path, Like<AttentionSpec, Spec>& a) {
    Linear(path + ".q_proj", a.q_proj);
    Linear(path + ".k_proj", a.k_proj);
    Linear(path + ".v_proj", a.v_proj);
    Linear(path + ".o_proj", a.o_proj);
    Lora(path + ".q_lora", a.q_lora);
    Lora(path + ".k_lora", a.k_lora);
    Lora(path + ".v_lora", a.v_lora);
  }
  void Mamba2(const std::string& path, Like<Mamba2Spec, Spec>& m) {
    Linear(path + ".in_proj", m.in_proj);
    Ref(path + ".conv_weight", m.conv_weight);
    Ref(path + ".conv_bias", m.conv_bias);
    Ref(path + ".dt_bias", m.dt_bias);
    Ref(path + ".a_log", m.a_log);
    Ref(path + ".d_skip", m.d_skip);
    Norm(path + ".norm", m.norm);
    Linear(path + ".out_proj", m.out_proj);
  }
  void Mamba1(const std::string& path, Like<Mamba1Spec, Spec>& m) {
    Linear(path + ".in_proj", m.in_proj);
    Ref(path + ".conv_weight", m.conv_weight);
    Ref(path + ".conv_bias", m.conv_bias);
    Linear(path + ".x_proj", m.x_proj);
    Linear(path + ".dt_proj", m.dt_proj);
    Ref(path + ".a_log", m.a_log);
    Ref(path + ".d_skip", m.d_skip);
    Norm(path + ".dt_norm", m.dt_norm);
    Norm(path + ".b_norm", m.b_norm);
    Norm(path + ".c_norm", m.c_norm);
    Linear(path + ".out_proj", m.out_proj);
  }
  void Mlp(const std::string& path, Like<MlpSpec, Spec>& mlp) {
    Linear(path + ".gate_proj", mlp.gate_proj);
    Linear(path + ".up_proj", mlp.up_proj);
    Linear(path + ".down_proj", mlp.down_proj);
    Lora(path + ".gate_lora", mlp.gate_lora);
    Lora(path + ".up_lora", mlp.up_lora);
  }
  void Moe(const std::string& path, Like<MoeSpec, Spec>& moe) {
    Linear(path + ".router_proj", moe.router_proj);
    Ref(path + ".correction_bias", moe.correction_bias);
    for (size_t e = 0; e < moe.experts.size(); ++e) {
      Mlp(absl::StrCat(path, ".experts[", e, "]"), moe.experts[e]);
    }
    Linear(path + ".latent_in", moe.latent_in);
    Linear(path + ".latent_out", moe.latent_out);
    if (moe.shared_expert.has_value()) Mlp(path + ".shared_expert", *moe.shared_expert);
  }
  void Layer(const std::string& path, Like<LayerSpec, Spec>& layer) {
    Norm(path + ".mixer_norm", layer.mixer_norm);
    if (layer.attention.has_value()) Attention(path + ".attention", *layer.attention);
    if (layer.mamba2.has_value()) Mamba2(path + ".mamba2", *layer.mamba2);
    if (layer.mamba1.has_value()) Mamba1(path + ".mamba1", *layer.mamba1);
    if (layer.zamba_shared.has_value()) {
      auto& shared = *layer.zamba_shared;
      Norm(path + ".zamba_shared.input_norm", shared.input_norm);
      Attention(path + ".zamba_shared.attention", shared.attention);
      Norm(path + ".zamba_shared.pre_ff_norm", shared.pre_ff_norm);
      Mlp(path + ".zamba_shared.mlp", shared.mlp);
      Linear(path + ".zamba_shared.linear", shared.linear);
    }
    Norm(path + ".ffn_norm", layer.ffn_norm);
    if (layer.mlp.has_value()) Mlp(path + ".mlp", *layer.mlp);
    if (layer.moe.has_value()) Moe(path + ".moe", *layer.moe);
  }
  void Model(Spec& spec) {
    Ref("embedding", spec.embedding);
    for (size_t i = 0; i < spec.layers.size(); ++i) {
      Layer(absl::StrCat("layers[", i, "]"), spec.layers[i]);
    }
    Norm("final_norm", spec.final_norm);
    Linear("lm_head", spec.lm_head);
  }

 private:
  const Visit& visit_;
};

}  // namespace

void ForEachTensorRef(ModelSpec& spec, const TensorRefVisitor& visit) {
  Walker<ModelSpec, TensorRefVisitor>(visit).Model(spec);
}

void ForEachTensorRef(const ModelSpec& spec, const ConstTensorRefVisitor& visit) {
  Walker<const ModelSpec, ConstTensorRefVisitor>(visit).Model(spec);
}

int64_t NumElements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

const std::vector<int64_t>& StoredShape(const TensorRef& ref) {
  return ref.source_shape.empty() ? ref.shape : ref.source_shape;
}

std::vector<std::string> AllNames(const TensorRef& ref) {
  std::vector<std::string> names;
  if (!ref.present()) return names;
  names.push_back(ref.name);
  names.insert(names.end(), ref.aliases.begin(), ref.aliases.end());
  for (const TensorRef::AliasView& view : ref.alias_views) names.push_back(view.name);
  return names;
}

void AddPrefixAliases(ModelSpec* spec, std::string_view from_prefix, std::string_view to_prefix) {
  auto renamed = [&](const std::string& name, std::string* out) {
    if (name.compare(0, from_prefix.size(), from_prefix) != 0) return false;
    *out = absl::StrCat(absl::string_view(to_prefix.data(), to_prefix.size()),
                        name.substr(from_prefix.size()));
    return true;
  };
  ForEachTensorRef(*spec, [&](std::string_view, TensorRef& ref) {
    if (!ref.present()) return;
    std::vector<std::string> names = {ref.name};
    names.insert(names.end(), ref.aliases.begin(), ref.aliases.end());
    for (const std::string& name : names) {
      std::string alias;
      if (renamed(name, &alias) && alias != ref.name &&
          std::find(ref.aliases.begin(), ref.aliases.end(), alias) == ref.aliases.end()) {
        ref.aliases.push_back(alias);
      }
    }
    const size_t num_views = ref.alias_views.size();
    for (size_t i = 0; i < num_views; ++i) {
      TensorRef::AliasView view = ref.alias_views[i];
      if (renamed(view.name, &view.name)) ref.alias_views.push_back(std::move(view));
    }
  });
}

}  // namespace hybridserve::engine
