// Unit tests of the chat template interpreter: the construct-by-construct cases of
// render_cases.json (outputs recorded from jinja2 set up as transformers sets it up), plus the
// lexer, parser errors, sandbox limits and config loading.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/chat/chat_template.h"
#include "engine/chat/chat_template_config.h"
#include "engine/chat/lexer.h"
#include "engine/chat/value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<std::string> RenderText(const std::string& source,
                                       const nlohmann::ordered_json& context = {},
                                       const ChatRenderLimits& limits = ChatRenderLimits()) {
  auto tmpl = ChatTemplate::Parse(source);
  if (!tmpl.ok()) return tmpl.status();
  return tmpl->Render(context.is_null() ? nlohmann::ordered_json::object() : context, limits);
}

TEST(ChatTemplateCasesTest, MatchJinja) {
  std::ifstream in(std::string(HS_TEST_DATA_DIR) + "/engine/chat/render_cases.json");
  std::stringstream text;
  text << in.rdbuf();
  const auto data = nlohmann::ordered_json::parse(text.str());
  ASSERT_GT(data["cases"].size(), 50u);
  for (const auto& c : data["cases"]) {
    const std::string source = c["template"].get<std::string>();
    auto rendered = RenderText(source, data["context"]);
    if (c.contains("error")) {
      EXPECT_FALSE(rendered.ok()) << source << " should fail like " << c["error"];
      continue;
    }
    ASSERT_TRUE(rendered.ok()) << source << ": " << rendered.status();
    EXPECT_EQ(*rendered, c["expected"].get<std::string>()) << source;
  }
}

TEST(LexerTest, SplitsTextOutputAndStatements) {
  auto pieces = chat::LexTemplate("a{{ x + 1 }}b{% if y %}c{% endif %}");
  ASSERT_TRUE(pieces.ok()) << pieces.status();
  ASSERT_EQ(pieces->size(), 6u);
  EXPECT_EQ((*pieces)[0].kind, chat::PieceKind::kText);
  EXPECT_EQ((*pieces)[1].kind, chat::PieceKind::kOutput);
  ASSERT_EQ((*pieces)[1].tokens.size(), 3u);
  EXPECT_EQ((*pieces)[1].tokens[2].type, chat::TokenType::kInt);
  EXPECT_EQ((*pieces)[3].kind, chat::PieceKind::kStatement);
}

TEST(LexerTest, BracesInsideOutputDoNotCloseIt) {
  auto out = RenderText("{{ {'a': {'b': 1}}['a']['b'] }}");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "1");
}

TEST(LexerTest, ErrorsNameTheLine) {
  auto status = ChatTemplate::Parse("a\nb\n{{ x \n").status();
  EXPECT_THAT(std::string(status.message()), HasSubstr("line 3"));
  EXPECT_THAT(std::string(ChatTemplate::Parse("{{ 'abc }}").status().message()),
              HasSubstr("unterminated string"));
  EXPECT_FALSE(ChatTemplate::Parse("{# never closed").ok());
  EXPECT_FALSE(ChatTemplate::Parse("{{ (1 ] }}").ok());
}

TEST(ParserTest, UnsupportedConstructIsALoadErrorNamingItAndItsLine) {
  const std::string source = "{% for m in messages %}\n{{ m }}\n{% endfor %}\n{% include 'x' %}";
  auto status = ChatTemplate::Parse(source).status();
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("include"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("line 4"));

  nlohmann::ordered_json config = {{"chat_template", "ok\n{{ x | frobnicate }}"}};
  auto loaded = ParseChatTemplateConfig(config, "tokenizer_config.json");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("frobnicate"));
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("line 2"));
  EXPECT_THAT(std::string(ChatTemplate::Parse("{{ x is frob }}").status().message()),
              HasSubstr("frob"));
}

TEST(ParserTest, StructuralErrors) {
  EXPECT_FALSE(ChatTemplate::Parse("{% if x %}no end").ok());
  EXPECT_FALSE(ChatTemplate::Parse("{% endfor %}").ok());
  EXPECT_FALSE(ChatTemplate::Parse("{% break %}").ok());
  EXPECT_FALSE(ChatTemplate::Parse("{{ 1 + }}").ok());
  EXPECT_FALSE(ChatTemplate::Parse("{{ f(a=1, 2) }}").ok());
  EXPECT_FALSE(ChatTemplate::Parse("{% for x in y recursive %}{% endfor %}").ok());
  EXPECT_FALSE(ChatTemplate::Parse("{% frobnicate %}").ok());
}

TEST(ParserTest, DeepNestingIsRejectedNotACrash) {
  std::string deep = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  EXPECT_FALSE(ChatTemplate::Parse(deep).ok());
  std::string chain = "{{ 1";
  for (int i = 0; i < 5000; ++i) chain += " + 1";
  EXPECT_FALSE(ChatTemplate::Parse(chain + " }}").ok());
  std::string blocks;
  for (int i = 0; i < 500; ++i) blocks += "{% if true %}";
  EXPECT_FALSE(ChatTemplate::Parse(blocks).ok());
}

TEST(EvaluatorTest, GenerationBlockRendersInPlace) {
  auto out = RenderText("a{% generation %}b{{ 1 }}{% endgeneration %}c");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "ab1c");
}

TEST(EvaluatorTest, RaiseExceptionMessageReachesTheCaller) {
  auto out = RenderText("x\n{{ raise_exception('roles must alternate') }}");
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("roles must alternate"));
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("line 2"));
}

TEST(EvaluatorTest, ContextKeepsKeyOrderForToJson) {
  auto context = nlohmann::ordered_json::parse(R"({"tool": {"z": 1, "a": 2.0, "m": null}})");
  auto out = RenderText("{{ tool | tojson }}", context);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "{\"z\": 1, \"a\": 2.0, \"m\": null}");
}

TEST(ValueTest, PythonFloatRepr) {
  EXPECT_EQ(chat::ReprFloat(1.0), "1.0");
  EXPECT_EQ(chat::ReprFloat(0.0001), "0.0001");
  EXPECT_EQ(chat::ReprFloat(0.00001), "1e-05");
  EXPECT_EQ(chat::ReprFloat(1e16), "1e+16");
  EXPECT_EQ(chat::ReprFloat(123456789012345.6), "123456789012345.6");
  EXPECT_EQ(chat::ReprFloat(-2.5e-300), "-2.5e-300");
  EXPECT_EQ(chat::ReprString("it's"), "\"it's\"");
  EXPECT_EQ(chat::ReprString("a\n\x01"), "'a\\n\\x01'");
}

TEST(SandboxTest, LoopIterationLimit) {
  ChatRenderLimits limits;
  limits.max_loop_iterations = 1000;
  auto out = RenderText(
      "{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}", {}, limits);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("iterations"));
  // Nested loops over the sandbox's largest range run into the default limit too.
  auto big = RenderText(
      "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}");
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(SandboxTest, RecursionLimit) {
  auto out = RenderText("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("macro calls nest deeper"));
}

TEST(SandboxTest, OutputAndStringSizeLimits) {
  ChatRenderLimits limits;
  limits.max_output_bytes = 1000;
  auto out = RenderText("{% for i in range(2000) %}x{% endfor %}", {}, limits);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("exceeds 1000 bytes"));
  auto doubling = RenderText(
      "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
      "{% endfor %}");
  ASSERT_FALSE(doubling.ok());
  EXPECT_EQ(doubling.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(RenderText("{{ 'x' * 100000000000 }}").ok());
  EXPECT_FALSE(RenderText("{{ [1] * 100000000000 }}").ok());
}

TEST(SandboxTest, ValueNestingAndWorkLimits) {
  auto nested = RenderText(
      "{% set ns = namespace(l=[]) %}{% for i in range(1000) %}{% set ns.l = [ns.l] %}"
      "{% endfor %}{{ ns.l }}");
  ASSERT_FALSE(nested.ok());
  EXPECT_THAT(std::string(nested.status().message()), HasSubstr("nest deeper"));
  ChatRenderLimits limits;
  limits.max_steps = 10000;
  auto work = RenderText("{% for i in range(100000) %}{{ i }}{% endfor %}", {}, limits);
  EXPECT_EQ(work.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(SandboxTest, NamespaceCyclesAndMutatorsAreSafe) {
  auto cycle =
      RenderText("{% set ns = namespace() %}{% set ns.self = ns %}{{ ns.self.self is defined }}");
  ASSERT_TRUE(cycle.ok()) << cycle.status();
  EXPECT_EQ(*cycle, "True");
  EXPECT_FALSE(RenderText("{% set d = {} %}{{ d.update({'a': 1}) }}").ok());
  EXPECT_FALSE(RenderText("{{ 9223372036854775807 + 1 }}").ok());
  EXPECT_FALSE(RenderText("{{ [1, 2][::0] }}").ok());
}

TEST(ConfigTest, NamedTemplatesAndSpecialTokenObjects) {
  auto config = nlohmann::ordered_json::parse(R"({
    "chat_template": [{"name": "default", "template": "D{{ bos_token }}{{ messages|length }}"},
                      {"name": "tool_use", "template": "T{{ tools|length }}{{ eos_token }}"},
                      {"name": "rag", "template": "R{{ documents|length }}"}],
    "bos_token": {"content": "<s>", "lstrip": false, "__type": "AddedToken"},
    "eos_token": "</s>",
    "pad_token": null})");
  auto parsed = ParseChatTemplateConfig(config, "cfg");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->special_tokens.at("bos_token"), "<s>");
  EXPECT_EQ(parsed->special_tokens.count("pad_token"), 0u);
  ChatRequest request;
  request.messages = nlohmann::ordered_json::parse(R"([{"role": "user", "content": "hi"}])");
  EXPECT_EQ(*ApplyChatTemplate(*parsed, request), "D<s>1");
  request.tools = nlohmann::ordered_json::parse("[{}, {}]");
  EXPECT_EQ(*ApplyChatTemplate(*parsed, request), "T2</s>");
  request.template_name = "rag";
  request.documents = nlohmann::ordered_json::parse("[1]");
  EXPECT_EQ(*ApplyChatTemplate(*parsed, request), "R1");
  request.template_name = "nope";
  EXPECT_THAT(std::string(ApplyChatTemplate(*parsed, request).status().message()),
              HasSubstr("\"rag\""));
  request.template_name = "";
  request.messages = nlohmann::ordered_json::array();
  EXPECT_FALSE(ApplyChatTemplate(*parsed, request).ok());
}

TEST(ConfigTest, LoadsFileAndRejectsBadTemplatesAtLoad) {
  const auto dir = std::filesystem::temp_directory_path() / "hs_chat_config_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "tokenizer_config.json").string();
  {
    std::ofstream out(path);
    out << R"({"chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"})";
  }
  auto loaded = LoadChatTemplateConfig(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->templates.count("default"), 1u);
  {
    std::ofstream out(path);
    out << R"({"chat_template": "line1\n{% import 'x' as y %}"})";
  }
  auto bad = LoadChatTemplateConfig(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("import"));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("line 2"));
  {
    std::ofstream out(path);
    out << R"({"bos_token": "<s>"})";
  }
  {
    std::ofstream out(dir / "chat_template.jinja");
    out << "J{{ bos_token }}";
  }
  auto jinja = LoadChatTemplateConfig(path);
  ASSERT_TRUE(jinja.ok()) << jinja.status();
  ChatRequest request;
  request.messages = nlohmann::ordered_json::parse(R"([{"role": "user", "content": "x"}])");
  EXPECT_EQ(*ApplyChatTemplate(*jinja, request), "J<s>");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hybridserve::engine
