#include "engine/model/families/family_registry.h"

#include "engine/model/config_reader.h"
#include "engine/model/model_summary.h"
#include "gtest/gtest.h"

namespace hybridserve::engine {
namespace {

constexpr char kConfig[] = R"({
  "architectures": ["Mamba2ForCausalLM"], "model_type": "mamba2",
  "vocab_size": 16, "hidden_size": 8, "num_hidden_layers": 2, "expand": 2,
  "num_heads": 4, "head_dim": 4, "n_groups": 2, "state_size": 4, "conv_kernel": 4,
  "chunk_size": 8, "layer_norm_epsilon": 1e-6, "tie_word_embeddings": true,
  "time_step_limit": [0.0, Infinity], "eos_token_id": 0
})";

TEST(FamilyMamba2Test, BuildsLayersShapesAndSummary) {
  absl::StatusOr<nlohmann::json> config = ParseConfigJson(kConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ModelSpec> spec = BuildModelSpec(*config);
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->layers.size(), 2u);
  const Mamba2Spec& m = *spec->layers[1].mamba2;
  EXPECT_EQ(spec->layers[1].mixer, MixerKind::kMamba2);
  EXPECT_EQ(m.in_proj.weight.name, "backbone.layers.1.mixer.in_proj.weight");
  EXPECT_EQ(m.in_proj.weight.shape, (std::vector<int64_t>{52, 8}));  // 16 + 32 + 4
  EXPECT_EQ(m.conv_weight.shape, (std::vector<int64_t>{32, 1, 4}));
  EXPECT_EQ(m.norm_group_size, 16);  // ungrouped
  EXPECT_FLOAT_EQ(m.norm.eps, 1e-6f);
  EXPECT_EQ(m.dt_min, 0.0f);
  EXPECT_TRUE(std::isinf(m.dt_max));
  EXPECT_EQ(m.ssm_layer, 1);
  EXPECT_EQ(spec->lm_head.weight.name, "backbone.embeddings.weight");  // tied
  EXPECT_EQ(spec->eos_token_ids, (std::vector<int64_t>{0}));
  ASSERT_TRUE(spec->bos_token_id.has_value());
  EXPECT_EQ(*spec->bos_token_id, 0);  // class default
  EXPECT_EQ(spec->num_ssm_layers, 2);
  EXPECT_EQ(spec->num_kv_layers, 0);

  const ModelSummary summary = Summarize(*spec);
  EXPECT_EQ(summary.layer_pattern, "MM");
  // Per layer: norm 8 + in_proj 416 + conv 128 + 32 + dt/A/D 12 + norm 16 + out 128 = 740.
  EXPECT_EQ(summary.num_parameters, 2 * 740 + 128 + 8);
  EXPECT_EQ(summary.kv_cache_bytes_per_token, 0);
  EXPECT_EQ(summary.ssm_state_bytes_per_sequence, 2 * (32 * 4 + 4 * 4 * 4) * 4);
}

TEST(FamilyMamba2Test, HeadsTimesHeadDimMustMatchInnerWidth) {
  nlohmann::json config = *ParseConfigJson(kConfig);
  config["num_heads"] = 3;
  absl::StatusOr<ModelSpec> spec = BuildModelSpec(config);
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("num_heads"), std::string::npos) << spec.status();
}

}  // namespace
}  // namespace hybridserve::engine
