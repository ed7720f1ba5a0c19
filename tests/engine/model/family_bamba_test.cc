#include "engine/model/families/family_registry.h"

#include "engine/model/config_reader.h"
#include "engine/model/model_summary.h"
#include "gtest/gtest.h"

namespace hybridserve::engine {
namespace {

constexpr char kConfig[] = R"({
  "architectures": ["BambaForCausalLM"], "model_type": "bamba",
  "vocab_size": 16, "hidden_size": 8, "num_hidden_layers": 3, "attn_layer_indices": [1],
  "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 12,
  "mamba_n_heads": 2, "mamba_d_head": "auto", "mamba_n_groups": 1, "mamba_d_state": 4,
  "mamba_d_conv": 4, "mamba_expand": 2, "rms_norm_eps": 1e-5,
  "rope_parameters": {"rope_theta": 5000.0, "rope_type": "default"},
  "eos_token_id": [2, 3], "bos_token_id": null
})";

TEST(FamilyBambaTest, BuildsLayersShapesAndSummary) {
  absl::StatusOr<ModelSpec> spec = BuildModelSpec(*ParseConfigJson(kConfig));
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->layers.size(), 3u);
  EXPECT_EQ(spec->layers[0].mixer, MixerKind::kMamba2);
  EXPECT_EQ(spec->layers[1].mixer, MixerKind::kAttention);
  const AttentionSpec& a = *spec->layers[1].attention;
  EXPECT_EQ(a.head_dim, 4);
  EXPECT_EQ(a.rope.rotary_dim, 2);  // partial_rotary_factor forced to 0.5
  EXPECT_DOUBLE_EQ(a.rope.theta, 5000.0);
  EXPECT_FLOAT_EQ(a.scale, 0.5f);
  EXPECT_EQ(a.k_proj.weight.name, "model.layers.1.self_attn.k_proj.weight");
  EXPECT_EQ(a.k_proj.weight.shape, (std::vector<int64_t>{4, 8}));
  EXPECT_EQ(a.kv_layer, 0);
  const Mamba2Spec& m = *spec->layers[2].mamba2;
  EXPECT_EQ(m.head_dim, 8);
  EXPECT_EQ(m.ssm_layer, 1);
  EXPECT_EQ(m.norm_group_size, 16);
  EXPECT_EQ(spec->layers[2].mlp->gate_proj.weight.name,
            "model.layers.2.feed_forward.gate_proj.weight");
  EXPECT_EQ(spec->lm_head.weight.name, "lm_head.weight");
  EXPECT_EQ(spec->eos_token_ids, (std::vector<int64_t>{2, 3}));
  EXPECT_FALSE(spec->bos_token_id.has_value());

  const ModelSummary s = Summarize(*spec);
  EXPECT_EQ(s.layer_pattern, "M*M");
  EXPECT_EQ(s.kv_cache_bytes_per_token, 2 * 1 * 4 * 4);
  EXPECT_EQ(s.ssm_state_bytes_per_sequence, 2 * (24 * 4 + 2 * 8 * 4) * 4);
  // mamba layer 614 + ffn 296, attention layer 200 + ffn 296, embed + lm_head + final norm.
  EXPECT_EQ(s.num_parameters, 2 * (614 + 296) + (200 + 296) + 128 + 128 + 8);
}

TEST(FamilyBambaTest, RopeScalingTypeIsRejected) {
  nlohmann::json config = *ParseConfigJson(kConfig);
  config["rope_parameters"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  absl::StatusOr<ModelSpec> spec = BuildModelSpec(config);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(spec.status().message().find("yarn"), std::string::npos);
}

TEST(FamilyBambaTest, MissingRequiredFieldNamesIt) {
  nlohmann::json config = *ParseConfigJson(kConfig);
  config.erase("hidden_size");
  absl::StatusOr<ModelSpec> spec = BuildModelSpec(config);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message(),
            "config.json: missing required field \"hidden_size\" (BambaForCausalLM)");
}

}  // namespace
}  // namespace hybridserve::engine
