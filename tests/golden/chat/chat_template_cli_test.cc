// The public `hybridtool chat-template` contract: it prints exactly the prompt transformers
// renders (no newline added), takes named templates, and fails with a message on bad input.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace {

struct Result {
  int exit_code;
  std::string out;
};

Result RunTool(const std::string& args) {
  const std::string command = std::string(HS_HYBRIDTOOL_PATH) + " chat-template " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  return {WEXITSTATUS(status), out};
}

class ChatTemplateCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hs_chat_cli_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    std::filesystem::create_directories(dir_);
    std::ifstream in(std::string(HS_TEST_DATA_DIR) + "/golden/chat/chat_reference.json");
    std::stringstream text;
    text << in.rdbuf();
    data_ = nlohmann::ordered_json::parse(text.str());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::filesystem::path dir_;
  nlohmann::ordered_json data_;
};

TEST_F(ChatTemplateCliTest, PrintsTheReferencePromptExactly) {
  int checked = 0;
  for (const auto& c : data_["cases"]) {
    if (c.contains("error") || !c["documents"].is_null()) continue;
    const auto& tmpl = data_["templates"][c["template"].get<std::string>()];
    nlohmann::ordered_json config = {{"chat_template", tmpl["source"]}};
    for (const auto& [key, value] : tmpl["special_tokens"].items()) config[key] = value;
    const std::string config_path = Write("tokenizer_config.json", config.dump());
    const std::string messages_path =
        Write("messages.json", data_["messages"][c["messages"].get<std::string>()].dump());
    std::string args = "--tokenizer-config " + config_path + " --messages @" + messages_path;
    if (!c["tools"].is_null()) {
      args +=
          " --tools @" + Write("tools.json", data_["tools"][c["tools"].get<std::string>()].dump());
    }
    if (c["add_generation_prompt"].get<bool>()) args += " --add-generation-prompt";
    Result result = RunTool(args);
    ASSERT_EQ(result.exit_code, 0) << args << "\n" << result.out;
    EXPECT_EQ(result.out, c["expected"].get<std::string>()) << args;
    if (++checked == 12) break;  // a sample; chat_reference_test checks every case
  }
  EXPECT_EQ(checked, 12);
}

TEST_F(ChatTemplateCliTest, NamedTemplatesInlineJsonAndErrors) {
  const std::string config = Write("tokenizer_config.json", R"({"chat_template": [
      {"name": "default", "template": "{{ messages[0].content }}!"},
      {"name": "short", "template": "{{ messages|length }}"}], "eos_token": {"content": "E"}})");
  const std::string messages = "'[{\"role\": \"user\", \"content\": \"hi\"}]'";
  EXPECT_EQ(RunTool("--tokenizer-config " + config + " --messages " + messages).out, "hi!");
  EXPECT_EQ(
      RunTool("--tokenizer-config " + config + " --messages " + messages + " --template-name short")
          .out,
      "1");
  Result missing =
      RunTool("--tokenizer-config " + config + " --messages " + messages + " --template-name nope");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.out, ::testing::HasSubstr("\"short\""));
  EXPECT_EQ(RunTool("--tokenizer-config " + config + " --messages '{'").exit_code, 2);
  EXPECT_EQ(RunTool("--messages " + messages).exit_code, 2);
  const std::string bad = Write("bad.json", R"({"chat_template": "a\n{% extends 'x' %}"})");
  Result load_error = RunTool("--tokenizer-config " + bad + " --messages " + messages);
  EXPECT_EQ(load_error.exit_code, 1);
  EXPECT_THAT(load_error.out, ::testing::HasSubstr("extends"));
  EXPECT_THAT(load_error.out, ::testing::HasSubstr("line 2"));
  Result help = RunTool("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, ::testing::HasSubstr("--add-generation-prompt"));
}

}  // namespace
