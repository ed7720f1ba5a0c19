// The adapters of Nemotron-H, GraniteMoeHybrid, Falcon-H1 and Jamba read every multiplier, router
// setting and layout rule from config.json. Each expectation is derived in the test from the
// committed reference configs (tests/golden/data/<case>/config.json), not from the adapter.
#include <cmath>
#include <filesystem>
#include <string>

#include "engine/model/config_reader.h"
#include "engine/model/families/family_registry.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {
namespace {

namespace fs = std::filesystem;
using kernels::cpu::Activation;
using kernels::cpu::Router;

const fs::path kData = fs::path(HS_TEST_DATA_DIR) / "golden" / "data";

struct Loaded {
  nlohmann::json config;
  ModelSpec spec;
};

Loaded Load(const std::string& name) {
  auto config = LoadConfigJsonFile((kData / name / "config.json").string());
  EXPECT_TRUE(config.ok()) << config.status();
  auto spec = BuildModelSpec(*config);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return {*config, spec.ok() ? *spec : ModelSpec{}};
}

float F(const nlohmann::json& v) { return v.get<float>(); }

TEST(FamilySpecs, FalconH1ParallelLayersCarryEveryMultiplier) {
  const auto [c, spec] = Load("falcon_h1");
  ASSERT_EQ(spec.layers.size(), c["num_hidden_layers"].get<size_t>());
  EXPECT_FLOAT_EQ(spec.embedding_multiplier, F(c["embedding_multiplier"]));
  EXPECT_FLOAT_EQ(spec.logits_multiplier, F(c["lm_head_multiplier"]));
  for (const LayerSpec& layer : spec.layers) {
    EXPECT_EQ(layer.mixer, MixerKind::kParallel);
    ASSERT_TRUE(layer.attention && layer.mamba2 && layer.mlp);
    EXPECT_FLOAT_EQ(layer.attention_in_multiplier, F(c["attention_in_multiplier"]));
    EXPECT_FLOAT_EQ(layer.attention_out_multiplier, F(c["attention_out_multiplier"]));
    EXPECT_FLOAT_EQ(layer.ssm_out_multiplier, F(c["ssm_out_multiplier"]));
    const AttentionSpec& a = *layer.attention;
    EXPECT_EQ(a.head_dim, c["head_dim"].get<int64_t>());  // not hidden / heads
    EXPECT_EQ(a.rope.rotary_dim, a.head_dim);
    EXPECT_DOUBLE_EQ(a.rope.theta, c["rope_parameters"]["rope_theta"].get<double>());
    EXPECT_FLOAT_EQ(a.key_multiplier, F(c["key_multiplier"]));
    EXPECT_FLOAT_EQ(a.scale, 1.0f / std::sqrt(static_cast<float>(a.head_dim)));
    const Mamba2Spec& m = *layer.mamba2;
    EXPECT_EQ(m.d_inner, c["mamba_d_ssm"].get<int64_t>());
    EXPECT_FLOAT_EQ(m.in_multiplier, F(c["ssm_in_multiplier"]));
    const auto& mup = c["ssm_multipliers"];
    EXPECT_FLOAT_EQ(m.mup_z, F(mup[0]));
    EXPECT_FLOAT_EQ(m.mup_x, F(mup[1]));
    EXPECT_FLOAT_EQ(m.mup_b, F(mup[2]));
    EXPECT_FLOAT_EQ(m.mup_c, F(mup[3]));
    EXPECT_FLOAT_EQ(m.mup_dt, F(mup[4]));
    EXPECT_EQ(m.norm_kind, GatedNorm::kNormThenGate);  // mamba_norm_before_gate = true
    EXPECT_EQ(m.norm_group_size, m.d_inner / c["mamba_n_groups"].get<int64_t>());
    EXPECT_FLOAT_EQ(layer.mlp->gate_multiplier, F(c["mlp_multipliers"][0]));
    EXPECT_FLOAT_EQ(layer.mlp->down_multiplier, F(c["mlp_multipliers"][1]));
  }
  // Without mamba_rms_norm the gate is applied with no norm and no norm weight is read.
  const auto [c2, plain] = Load("falcon_h1_nonorm");
  ASSERT_FALSE(plain.layers.empty());
  EXPECT_EQ(plain.layers[0].mamba2->norm_kind, GatedNorm::kNone);
  EXPECT_FALSE(plain.layers[0].mamba2->norm.present());
}

TEST(FamilySpecs, GraniteMoeHybridMultipliersRouterAndTiedHead) {
  const auto [c, spec] = Load("granitemoehybrid_moe_rope");
  EXPECT_FLOAT_EQ(spec.embedding_multiplier, F(c["embedding_multiplier"]));
  EXPECT_FLOAT_EQ(spec.logits_multiplier, 1.0f / F(c["logits_scaling"]));
  EXPECT_EQ(spec.lm_head.weight.name, spec.embedding.name);  // tie_word_embeddings
  const auto& types = c["layer_types"];
  ASSERT_EQ(spec.layers.size(), types.size());
  for (size_t i = 0; i < types.size(); ++i) {
    const LayerSpec& layer = spec.layers[i];
    EXPECT_FLOAT_EQ(layer.residual_multiplier, F(c["residual_multiplier"]));
    const bool attention = types[i] == "full_attention" || types[i] == "attention";
    EXPECT_EQ(layer.mixer, attention ? MixerKind::kAttention : MixerKind::kMamba2) << i;
    if (attention) {
      EXPECT_FLOAT_EQ(layer.attention->scale, F(c["attention_multiplier"]));
      EXPECT_EQ(layer.attention->rope.rotary_dim, layer.attention->head_dim);
    } else {
      // Ungrouped gated norm, as transformers does for Bamba-style mixers.
      EXPECT_EQ(layer.mamba2->norm_group_size, layer.mamba2->d_inner);
    }
    ASSERT_TRUE(layer.moe && layer.mlp) << "routed experts plus the shared MLP";
    EXPECT_EQ(layer.moe->router.kind, Router::kTopkThenSoftmax);
    EXPECT_EQ(layer.moe->router.num_experts, c["num_local_experts"].get<int64_t>());
    EXPECT_EQ(layer.moe->router.top_k, c["num_experts_per_tok"].get<int64_t>());
    EXPECT_EQ(layer.moe->experts.size(), c["num_local_experts"].get<size_t>());
  }
  const auto [c2, dense] = Load("granitemoehybrid_dense_nope");
  for (const LayerSpec& layer : dense.layers) {
    EXPECT_FALSE(layer.moe);
    EXPECT_TRUE(layer.mlp);
    if (layer.attention) {
      EXPECT_EQ(layer.attention->rope.rotary_dim, 0);  // NoPE
    }
  }
  EXPECT_NE(dense.lm_head.weight.name, dense.embedding.name);
}

TEST(FamilySpecs, NemotronHBlocksClampsAndSigmoidRouter) {
  const auto [c, spec] = Load("nemotron_h");
  const auto& types = c["layers_block_type"];
  ASSERT_EQ(spec.layers.size(), types.size());
  for (size_t i = 0; i < types.size(); ++i) {
    const LayerSpec& layer = spec.layers[i];
    const std::string type = types[i];
    if (type == "linear_attention") {
      ASSERT_EQ(layer.mixer, MixerKind::kMamba2);
      const Mamba2Spec& m = *layer.mamba2;
      EXPECT_EQ(m.d_inner,
                c["mamba_num_heads"].get<int64_t>() * c["mamba_head_dim"].get<int64_t>());
      EXPECT_EQ(m.norm_group_size, m.d_inner / c["n_groups"].get<int64_t>());  // grouped norm
      EXPECT_FLOAT_EQ(m.dt_min, F(c["time_step_min"]));  // chunked scan clamps dt
      EXPECT_FLOAT_EQ(m.decode_dt_min, 0.0f);            // the single-step update does not
      EXPECT_FALSE(layer.mlp || layer.moe);
    } else if (type == "full_attention") {
      ASSERT_EQ(layer.mixer, MixerKind::kAttention);
      EXPECT_EQ(layer.attention->rope.rotary_dim, 0);  // no positional encoding
    } else if (type == "mlp") {
      EXPECT_EQ(layer.mixer, MixerKind::kNone);
      ASSERT_TRUE(layer.mlp);
      EXPECT_FALSE(layer.mlp->gated);
      EXPECT_EQ(layer.mlp->activation, Activation::kRelu2);
    } else {
      ASSERT_EQ(type, "moe");
      ASSERT_TRUE(layer.moe);
      const auto& router = layer.moe->router;
      EXPECT_EQ(router.kind, Router::kSigmoidGroupedTopk);
      EXPECT_EQ(router.num_groups, c["n_group"].get<int64_t>());
      EXPECT_EQ(router.top_groups, c["topk_group"].get<int64_t>());
      EXPECT_FLOAT_EQ(router.scaling, F(c["routed_scaling_factor"]));
      EXPECT_EQ(router.normalize, c["norm_topk_prob"].get<bool>());
      EXPECT_TRUE(layer.moe->correction_bias.present());
      ASSERT_TRUE(layer.moe->shared_expert);
      EXPECT_EQ(layer.moe->shared_expert->hidden_dim,
                c["moe_shared_expert_intermediate_size"].get<int64_t>());
    }
  }
}

TEST(FamilySpecs, JambaPeriodsMamba1AndSoftmaxRouter) {
  const auto [c, spec] = Load("jamba");
  const int64_t attn_period = c["attn_layer_period"], attn_offset = c["attn_layer_offset"];
  const int64_t moe_period = c["expert_layer_period"], moe_offset = c["expert_layer_offset"];
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& layer = spec.layers[i];
    const bool attention = static_cast<int64_t>(i) % attn_period == attn_offset;
    EXPECT_EQ(layer.mixer, attention ? MixerKind::kAttention : MixerKind::kMamba1) << i;
    if (!attention) {
      const Mamba1Spec& m = *layer.mamba1;
      EXPECT_EQ(m.dt_rank, c["mamba_dt_rank"].get<int64_t>());
      EXPECT_TRUE(m.dt_norm.present() && m.b_norm.present() && m.c_norm.present());
    } else {
      EXPECT_EQ(layer.attention->rope.rotary_dim, 0);
    }
    const bool moe = static_cast<int64_t>(i) % moe_period == moe_offset;
    EXPECT_EQ(static_cast<bool>(layer.moe), moe) << i;
    EXPECT_EQ(static_cast<bool>(layer.mlp), !moe) << i;
    if (moe) {
      EXPECT_EQ(layer.moe->router.kind, Router::kSoftmaxThenTopk);
      EXPECT_EQ(layer.moe->router.top_k, c["num_experts_per_tok"].get<int64_t>());
    }
  }
}

}  // namespace
}  // namespace hybridserve::engine
