// `hybridtool detokenize`: decodes token ids with a Hugging Face tokenizer.json.
#include <cstdio>
#include <iostream>
#include <string>

#include "engine/tokenizer/tokenizer.h"
#include "nlohmann/json.hpp"
#include "weights_tools/command_line.h"
#include "weights_tools/commands.h"

namespace hybridserve::tools {
namespace {

constexpr char kHelp[] =
    "usage: hybridtool detokenize --tokenizer FILE --ids 1,2,3 [--skip-special-tokens] [--json]\n"
    "\n"
    "Decodes token ids with a Hugging Face tokenizer.json, exactly as the Hugging Face\n"
    "tokenizers library's decode does, and prints the text followed by a newline.\n"
    "\n"
    "  --tokenizer FILE        the tokenizer.json file\n"
    "  --ids LIST              comma-separated token ids, e.g. 1,15043,3186\n"
    "  --skip-special-tokens   leave special tokens (e.g. <s>, <|im_end|>) out of the text\n"
    "  --json                  print {\"text\": \"...\"} instead of the bare text\n"
    "\n"
    "Exit status: 0 on success, 1 if the tokenizer or an id is rejected, 2 on bad flags.\n";

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "hybridtool detokenize: %s\n", message.c_str());
  return code;
}

}  // namespace

int DetokenizeCommand(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(kHelp, stdout);
      return 0;
    }
  }
  auto line = CommandLine::Parse(args, {"tokenizer", "ids"}, {"skip-special-tokens", "json"});
  if (!line.ok()) return Fail(2, std::string(line.status().message()));
  auto path = line->Require("tokenizer");
  if (!path.ok()) return Fail(2, std::string(path.status().message()));
  if (!line->Has("ids")) return Fail(2, "missing --ids (comma-separated token ids)");
  auto ids = line->GetIntList("ids");
  if (!ids.ok()) return Fail(2, std::string(ids.status().message()));
  auto tokenizer = engine::Tokenizer::FromFile(*path);
  if (!tokenizer.ok()) return Fail(1, std::string(tokenizer.status().message()));
  auto text = (*tokenizer)->Decode(*ids, line->Has("skip-special-tokens"));
  if (!text.ok()) return Fail(1, std::string(text.status().message()));
  if (line->Has("json")) {
    nlohmann::json out;
    out["text"] = *text;
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::cout << *text << "\n";
  return 0;
}

}  // namespace hybridserve::tools
