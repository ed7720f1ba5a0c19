#include "engine/model/model_summary.h"

#include "engine/model/config_reader.h"
#include "engine/model/families/family_registry.h"
#include "gtest/gtest.h"

namespace hybridserve::engine {
namespace {

TEST(ModelSummaryTest, UnknownArchitectureListsSupportedOnes) {
  absl::StatusOr<ModelSpec> spec =
      BuildModelSpec(*ParseConfigJson(R"({"architectures": ["LlamaForCausalLM"]})"));
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(spec.status().message().find("LlamaForCausalLM"), std::string::npos);
  ASSERT_EQ(SupportedArchitectures().size(), 7u);
  for (const std::string& name : SupportedArchitectures()) {
    EXPECT_NE(spec.status().message().find(name), std::string::npos) << name;
  }
}

TEST(ModelSummaryTest, ModelTypeFallbackAndZamba2SharedCounting) {
  // No "architectures": dispatch on model_type. Two hybrid layers share one block (num_mem_blocks
  // 1): one set of shared weights, two KV caches, two adapter slots.
  constexpr char kConfig[] = R"({
    "model_type": "zamba2", "vocab_size": 16, "hidden_size": 8, "num_hidden_layers": 3,
    "layers_block_type": ["mamba", "hybrid", "hybrid"], "num_attention_heads": 2,
    "num_key_value_heads": 2, "intermediate_size": 4, "n_mamba_heads": 2, "mamba_ngroups": 1,
    "mamba_d_state": 4, "mamba_d_conv": 2, "mamba_expand": 2, "num_mem_blocks": 1,
    "adapter_rank": 2, "use_shared_attention_adapter": false, "use_mem_rope": true})";
  absl::StatusOr<ModelSpec> spec = BuildModelSpec(*ParseConfigJson(kConfig));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->architecture, "Zamba2ForCausalLM");
  const ZambaSharedSpec& second = *spec->layers[2].zamba_shared;
  EXPECT_EQ(second.attention.q_proj.weight.name,
            "model.layers.1.shared_transformer.self_attn.q_proj.weight");
  EXPECT_EQ(
      second.attention.q_proj.weight.aliases,
      (std::vector<std::string>{"model.layers.2.shared_transformer.self_attn.q_proj.weight"}));
  EXPECT_EQ(second.mlp.up_lora.up.weight.name,
            "model.layers.1.shared_transformer.feed_forward.gate_up_proj_adapter_list.1.1.weight");
  EXPECT_EQ(second.attention.head_dim, 8);  // 2D / heads
  EXPECT_EQ(second.attention.rope.rotary_dim, 8);
  EXPECT_FLOAT_EQ(second.attention.scale, 0.5f);  // (8 / 2)^-0.5
  EXPECT_EQ(spec->layers[1].zamba_shared->attention.kv_layer, 0);
  EXPECT_EQ(second.attention.kv_layer, 1);
  EXPECT_EQ(spec->num_kv_layers, 2);
  EXPECT_EQ(spec->num_ssm_layers, 3);
  EXPECT_FLOAT_EQ(spec->layers[0].mamba2->dt_min, 0.001f);
  EXPECT_EQ(spec->layers[0].mamba2->norm_group_size, 16);

  const ModelSummary s = Summarize(*spec);
  EXPECT_EQ(s.layer_pattern, "MHH");
  EXPECT_EQ(s.kv_cache_bytes_per_token, 2 * (2 * 2 * 8 * 4));
  // Mamba layer: norm 8, in_proj (16+24+2)*8 = 336, conv 24*2 + 24, dt/A/D 6, norm 16,
  // out 128 -> 566 (x3). Shared block once: in norm 16, q/k/v 3*16*16, o 8*16, pre_ff 8,
  // gate_up 8*8, down 8*4 -> 1016. Adapter slots 0 and 1: (2*8 + 8*2) each -> 64. Per-layer
  // linear 64 (x2). Embedding 128 (tied), final norm 8.
  EXPECT_EQ(s.num_parameters, 3 * 566 + 1016 + 64 + 2 * 64 + 128 + 8);
  EXPECT_EQ(s.ToJson()["layer_pattern"], "MHH");
  EXPECT_FALSE(s.ToLines().empty());
}

TEST(ModelSummaryTest, InconsistentKvHeadsNamesField) {
  absl::StatusOr<ModelSpec> spec = BuildModelSpec(*ParseConfigJson(R"({
    "architectures": ["JambaForCausalLM"], "vocab_size": 16, "hidden_size": 8,
    "num_hidden_layers": 2, "attn_layer_period": 2, "attn_layer_offset": 1,
    "num_attention_heads": 4, "num_key_value_heads": 3, "num_experts": 1,
    "intermediate_size": 8, "mamba_d_state": 4})"));
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("num_kv_heads"), std::string::npos) << spec.status();
}

}  // namespace
}  // namespace hybridserve::engine
