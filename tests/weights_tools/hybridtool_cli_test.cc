// The hybridtool binary's public contracts: `inspect` (text and --json) and `logits` argument
// handling, run as a subprocess.
#include <sys/wait.h>
#include <array>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/weights/checkpoint.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hybridserve {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kData = fs::path(HS_TEST_DATA_DIR) / "golden" / "data";

struct Output {
  int exit_code = -1;
  std::string text;  // stdout and stderr together
};

Output RunTool(const std::string& args) {
  const std::string command = std::string(HS_HYBRIDTOOL_PATH) + " " + args + " 2>&1";
  Output out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.text.append(buffer.data(), n);
  const int status = pclose(pipe);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(HybridtoolInspect, JsonDescribesEveryReferenceCheckpoint) {
  for (const auto& entry : fs::directory_iterator(kData)) {
    if (!fs::exists(entry.path() / "reference.json")) continue;
    SCOPED_TRACE(entry.path().string());
    const Output out = RunTool("inspect --json --model " + entry.path().string());
    ASSERT_EQ(out.exit_code, 0) << out.text;
    const nlohmann::json summary = nlohmann::json::parse(out.text);
    std::ifstream reference_file(entry.path() / "reference.json");
    const nlohmann::json reference = nlohmann::json::parse(reference_file);
    EXPECT_EQ(summary["architecture"], reference["architecture"]);
    // Every stored tensor is a parameter, counted once.
    auto checkpoint = engine::Checkpoint::Open(entry.path().string());
    ASSERT_TRUE(checkpoint.ok());
    int64_t stored = 0;
    for (const std::string& name : (*checkpoint)->TensorNames()) {
      stored += (*checkpoint)->Find(name)->num_elements();
    }
    EXPECT_EQ(summary["num_parameters"].get<int64_t>(), stored);
    EXPECT_EQ(summary["layer_pattern"].get<std::string>().size(),
              summary["num_layers"].get<size_t>());
    EXPECT_EQ(summary["dtypes"]["F32"].get<size_t>(), (*checkpoint)->TensorNames().size());
    if (summary["num_ssm_layers"].get<int>() > 0) {
      EXPECT_GT(summary["ssm_state_bytes_per_sequence"].get<int64_t>(), 0);
    }
  }
}

TEST(HybridtoolInspect, TextMentionsArchitectureAndCacheSizes) {
  const Output out = RunTool("inspect --model " + (kData / "bamba").string());
  ASSERT_EQ(out.exit_code, 0) << out.text;
  EXPECT_THAT(out.text, HasSubstr("BambaForCausalLM"));
  EXPECT_THAT(out.text, HasSubstr("bytes/token"));
  EXPECT_THAT(out.text, HasSubstr("bytes/sequence"));
}

TEST(HybridtoolInspect, MissingDirectoryIsAClearError) {
  const Output out = RunTool("inspect --model /nonexistent/model");
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_THAT(out.text, HasSubstr("config.json"));
}

TEST(HybridtoolLogits, BadArgumentsAreRefused) {
  const std::string model = " --model " + (kData / "mamba2").string();
  Output out = RunTool("logits --tokens 1,2");
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.text, HasSubstr("--model"));
  out = RunTool("logits" + model + " --tokens 1,x");
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.text, HasSubstr("\"x\""));
  out = RunTool("logits" + model + " --tokens 1 --bogus 3");
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.text, HasSubstr("--bogus"));
  out = RunTool("logits" + model + " --tokens 1,99999");
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_THAT(out.text, HasSubstr("vocabulary"));
  // Tensor parallelism splits over GPUs: not on the CPU, and never below one GPU.
  out = RunTool("logits" + model + " --tokens 1 --device cpu --tensor-parallel-size 2");
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_THAT(out.text, HasSubstr("needs --device cuda"));
  out = RunTool("logits" + model + " --tokens 1 --tensor-parallel-size 0");
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_THAT(out.text, HasSubstr("at least 1"));
}

TEST(HybridtoolLogits, JsonShapeFollowsTheContract) {
  const Output out = RunTool("logits --json --model " + (kData / "jamba").string() +
                             " --tokens 5,17,33 --generate 4");
  ASSERT_EQ(out.exit_code, 0) << out.text;
  const nlohmann::json result = nlohmann::json::parse(out.text);
  EXPECT_EQ(result["prompt_logits"].size(), 3u);
  EXPECT_EQ(result["generated_tokens"].size(), 4u);
  ASSERT_EQ(result["step_logits"].size(), 4u);
  EXPECT_EQ(result["step_logits"][0], result["prompt_logits"][2]);
}

}  // namespace
}  // namespace hybridserve
