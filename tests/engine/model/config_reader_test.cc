#include "engine/model/config_reader.h"

#include <cmath>

#include "gtest/gtest.h"

namespace hybridserve::engine {
namespace {

TEST(ConfigReaderTest, TypedReadsDefaultsAndRecording) {
  absl::StatusOr<nlohmann::json> json = ParseConfigJson(
      R"({"a": 3, "b": 2.5, "c": true, "s": "x", "l": [1, 2], "n": null,
          "inf": [0.0, Infinity], "inf5": {"__float__": "Infinity"}, "word": "Infinity is text"})");
  ASSERT_TRUE(json.ok()) << json.status();
  ConfigReader r(*json);
  r.set_architecture("TestForCausalLM");
  EXPECT_EQ(*r.Int("a"), 3);
  EXPECT_EQ(*r.Int("n", 7), 7);  // null means "use the default"
  EXPECT_DOUBLE_EQ(*r.Float("b"), 2.5);
  EXPECT_TRUE(*r.Bool("c"));
  EXPECT_EQ(*r.String("s"), "x");
  EXPECT_EQ(*r.IntList("l"), (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(std::isinf((*r.FloatList("inf"))[1]));
  EXPECT_TRUE(std::isinf(*r.Float("inf5")));
  EXPECT_EQ(*r.String("word"), "Infinity is text");
  EXPECT_EQ(r.values_read().at("n"), 7);
  EXPECT_EQ(r.values_read().at("a"), 3);
}

TEST(ConfigReaderTest, ErrorsNameFieldAndArchitecture) {
  ConfigReader r(*ParseConfigJson(R"({"a": "three"})"));
  r.set_architecture("BambaForCausalLM");
  EXPECT_EQ(r.Int("mamba_n_heads").status().message(),
            "config.json: missing required field \"mamba_n_heads\" (BambaForCausalLM)");
  absl::Status wrong = r.Int("a").status();
  EXPECT_EQ(wrong.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.message().find("field \"a\" must be an integer"), std::string::npos) << wrong;
  EXPECT_FALSE(ParseConfigJson("{not json").ok());
}

TEST(ConfigReaderTest, LegacyAliasIsFound) {
  ConfigReader r(*ParseConfigJson(R"({"mamba_n_groups": 4})"));
  r.AddAlias("n_groups", "mamba_n_groups");
  EXPECT_EQ(*r.Int("n_groups"), 4);
  EXPECT_EQ(r.values_read().at("n_groups"), 4);
}

TEST(ConfigReaderTest, RopeFromV5AndLegacyFields) {
  ConfigReader v5(*ParseConfigJson(
      R"({"rope_parameters": {"rope_theta": 1e6, "rope_type": "default",
                              "partial_rotary_factor": 0.25}})"));
  RopeConfig rope = *v5.Rope(10000.0);
  EXPECT_DOUBLE_EQ(rope.theta, 1e6);
  EXPECT_DOUBLE_EQ(rope.partial_rotary_factor, 0.25);

  ConfigReader legacy(*ParseConfigJson(R"({"rope_theta": 500.0, "rope_scaling": null})"));
  rope = *legacy.Rope(10000.0, 0.5);
  EXPECT_DOUBLE_EQ(rope.theta, 500.0);
  EXPECT_DOUBLE_EQ(rope.partial_rotary_factor, 0.5);

  ConfigReader scaled(*ParseConfigJson(R"({"rope_scaling": {"type": "linear", "factor": 2}})"));
  absl::Status status = scaled.Rope(10000.0).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(status.message().find("\"linear\""), std::string::npos) << status;
}

}  // namespace
}  // namespace hybridserve::engine
