// `hybridtool chat-template`: renders a conversation with the chat template of a
// tokenizer_config.json and prints the prompt text exactly (no trailing newline added), as
// transformers' apply_chat_template(..., tokenize=False) would produce it.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/chat/chat_template_config.h"
#include "nlohmann/json.hpp"
#include "weights_tools/command_line.h"
#include "weights_tools/commands.h"

namespace hybridserve::tools {
namespace {

constexpr char kHelp[] =
    "usage: hybridtool chat-template --tokenizer-config FILE --messages JSON\n"
    "                                [--add-generation-prompt] [--tools JSON]\n"
    "                                [--documents JSON] [--template-name NAME]\n"
    "\n"
    "Renders a conversation with a model's chat template and prints the prompt text exactly\n"
    "as transformers' apply_chat_template(..., tokenize=False) produces it, with no newline\n"
    "added. The template is parsed when the config is loaded, so an unsupported construct is\n"
    "reported (with its line) even before rendering.\n"
    "\n"
    "  --tokenizer-config FILE  tokenizer_config.json with \"chat_template\" (a string, or a\n"
    "                           list of {\"name\", \"template\"}); without one, "
    "chat_template.jinja\n"
    "                           in the same folder is used. bos_token, eos_token, ... (strings\n"
    "                           or {\"content\": ...}) are passed to the template.\n"
    "  --messages JSON          the conversation: a JSON array of {\"role\", \"content\", ...},\n"
    "                           inline or @FILE to read it from a file\n"
    "  --add-generation-prompt  end with the header that starts an assistant reply\n"
    "  --tools JSON             tool (function) schemas, a JSON array (inline or @FILE)\n"
    "  --documents JSON         documents for retrieval templates, a JSON array (inline or @FILE)\n"
    "  --template-name NAME     which named template to use (default: \"tool_use\" when --tools\n"
    "                           is given and the config has one, else \"default\")\n"
    "\n"
    "Exit status: 0 printed, 1 the config or the rendering failed, 2 bad flags.\n";

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "hybridtool chat-template: %s\n", message.c_str());
  return code;
}

// Inline JSON, or @FILE.
bool ReadJsonFlag(const std::string& flag, const std::string& text, nlohmann::ordered_json* out,
                  std::string* error) {
  std::string body = text;
  if (!text.empty() && text[0] == '@') {
    std::ifstream in(text.substr(1), std::ios::binary);
    if (!in) {
      *error = "--" + flag + ": cannot open " + text.substr(1);
      return false;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    body = buffer.str();
  }
  *out = nlohmann::ordered_json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) {
    *error = "--" + flag + " is not valid JSON";
    return false;
  }
  if (!out->is_array()) {
    *error = "--" + flag + " must be a JSON array";
    return false;
  }
  return true;
}

}  // namespace

int ChatTemplateCommand(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(kHelp, stdout);
      return 0;
    }
  }
  auto line = CommandLine::Parse(
      args, {"tokenizer-config", "messages", "tools", "documents", "template-name"},
      {"add-generation-prompt"});
  if (!line.ok()) return Fail(2, std::string(line.status().message()));
  auto config_path = line->Require("tokenizer-config");
  if (!config_path.ok()) return Fail(2, std::string(config_path.status().message()));
  auto messages_text = line->Require("messages");
  if (!messages_text.ok()) return Fail(2, std::string(messages_text.status().message()));

  engine::ChatRequest request;
  std::string error;
  if (!ReadJsonFlag("messages", *messages_text, &request.messages, &error)) return Fail(2, error);
  if (auto tools = line->Get("tools")) {
    if (!ReadJsonFlag("tools", *tools, &request.tools, &error)) return Fail(2, error);
  }
  if (auto documents = line->Get("documents")) {
    if (!ReadJsonFlag("documents", *documents, &request.documents, &error)) return Fail(2, error);
  }
  request.add_generation_prompt = line->Has("add-generation-prompt");
  request.template_name = line->Get("template-name").value_or("");

  auto config = engine::LoadChatTemplateConfig(*config_path);
  if (!config.ok()) return Fail(1, std::string(config.status().message()));
  auto prompt = engine::ApplyChatTemplate(*config, request);
  if (!prompt.ok()) return Fail(1, std::string(prompt.status().message()));
  std::fwrite(prompt->data(), 1, prompt->size(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace hybridserve::tools
