// Every rendering recorded by make_chat_reference.py (transformers' apply_chat_template) must be
// reproduced byte for byte, and every recorded error must be an error here too.
#include <fstream>
#include <sstream>
#include <string>

#include "engine/chat/chat_template_config.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {
namespace {

nlohmann::ordered_json LoadReference() {
  std::ifstream in(std::string(HS_TEST_DATA_DIR) + "/golden/chat/chat_reference.json");
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::ordered_json::parse(text.str());
}

TEST(ChatReferenceTest, MatchesTransformersRenderings) {
  const nlohmann::ordered_json data = LoadReference();
  ASSERT_GT(data["cases"].size(), 100u);
  int num_rendered = 0;
  int num_errors = 0;
  for (const auto& c : data["cases"]) {
    const std::string name = c["template"].get<std::string>();
    const auto& tmpl = data["templates"][name];
    nlohmann::ordered_json config = {{"chat_template", tmpl["source"]}};
    for (const auto& [key, value] : tmpl["special_tokens"].items()) config[key] = value;
    auto parsed = ParseChatTemplateConfig(config, name);
    ASSERT_TRUE(parsed.ok()) << parsed.status();

    ChatRequest request;
    request.messages = data["messages"][c["messages"].get<std::string>()];
    if (!c["tools"].is_null()) request.tools = data["tools"][c["tools"].get<std::string>()];
    if (!c["documents"].is_null()) {
      request.documents = data["documents"][c["documents"].get<std::string>()];
    }
    request.add_generation_prompt = c["add_generation_prompt"].get<bool>();
    const std::string label = name + "/" + c["messages"].get<std::string>() +
                              "/tools=" + c["tools"].dump() +
                              "/documents=" + c["documents"].dump() +
                              "/add_generation_prompt=" + c["add_generation_prompt"].dump();
    auto rendered = ApplyChatTemplate(*parsed, request);
    if (c.contains("error")) {
      ++num_errors;
      EXPECT_FALSE(rendered.ok()) << label << " should fail like " << c["error"];
      continue;
    }
    ++num_rendered;
    ASSERT_TRUE(rendered.ok()) << label << ": " << rendered.status();
    EXPECT_EQ(*rendered, c["expected"].get<std::string>()) << label;
  }
  EXPECT_GT(num_rendered, 100);
  EXPECT_GT(num_errors, 10);
}

}  // namespace
}  // namespace hybridserve::engine
