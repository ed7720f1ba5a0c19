// `hybridtool tokenize`: encodes text with a Hugging Face tokenizer.json and prints the ids.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "engine/tokenizer/tokenizer.h"
#include "nlohmann/json.hpp"
#include "weights_tools/command_line.h"
#include "weights_tools/commands.h"

namespace hybridserve::tools {
namespace {

constexpr char kHelp[] =
    "usage: hybridtool tokenize --tokenizer FILE (--text S | --file F) [--add-special-tokens]\n"
    "                           [--json]\n"
    "\n"
    "Encodes UTF-8 text with a Hugging Face tokenizer.json (BPE models: byte-level and\n"
    "SentencePiece-style) exactly as the Hugging Face tokenizers library does.\n"
    "\n"
    "  --tokenizer FILE        the tokenizer.json file\n"
    "  --text S                the text to encode\n"
    "  --file F                read the text to encode from file F (bytes as they are)\n"
    "  --add-special-tokens    apply the post-processor template (e.g. add BOS/EOS)\n"
    "  --json                  print {\"ids\": [...]} instead of space-separated ids\n"
    "\n"
    "Special tokens written in the text (e.g. <|im_start|>) are always recognized.\n"
    "Exit status: 0 on success, 1 if the tokenizer or text is rejected, 2 on bad flags.\n";

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "hybridtool tokenize: %s\n", message.c_str());
  return code;
}

}  // namespace

int TokenizeCommand(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(kHelp, stdout);
      return 0;
    }
  }
  auto line =
      CommandLine::Parse(args, {"tokenizer", "text", "file"}, {"add-special-tokens", "json"});
  if (!line.ok()) return Fail(2, std::string(line.status().message()));
  auto path = line->Require("tokenizer");
  if (!path.ok()) return Fail(2, std::string(path.status().message()));
  if (line->Has("text") == line->Has("file")) {
    return Fail(2, "give exactly one of --text and --file");
  }
  std::string text;
  if (line->Has("text")) {
    text = *line->Get("text");
  } else {
    const std::string file_path = *line->Get("file");
    std::ifstream file(file_path, std::ios::binary);
    if (!file) return Fail(1, "cannot open --file " + file_path);
    std::stringstream buffer;
    buffer << file.rdbuf();
    text = buffer.str();
  }
  auto tokenizer = engine::Tokenizer::FromFile(*path);
  if (!tokenizer.ok()) return Fail(1, std::string(tokenizer.status().message()));
  auto ids = (*tokenizer)->Encode(text, line->Has("add-special-tokens"));
  if (!ids.ok()) return Fail(1, std::string(ids.status().message()));
  if (line->Has("json")) {
    nlohmann::json out;
    out["ids"] = *ids;
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::string joined;
  for (size_t i = 0; i < ids->size(); ++i) {
    if (i > 0) joined.push_back(' ');
    joined += std::to_string((*ids)[i]);
  }
  std::cout << joined << "\n";
  return 0;
}

}  // namespace hybridserve::tools
