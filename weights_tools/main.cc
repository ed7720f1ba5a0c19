// hybridtool: offline tools around hybridserve models.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "weights_tools/commands.h"

namespace {

constexpr char kUsage[] =
    "usage: hybridtool <command> [flags]\n"
    "\n"
    "commands:\n"
    "  logits             run a model on token ids; print prompt logits and greedy steps\n"
    "  inspect            describe a checkpoint: architecture, layers, parameters, caches\n"
    "  tokenize           encode text to token ids with a tokenizer.json\n"
    "  detokenize         decode token ids to text with a tokenizer.json\n"
    "  chat-template      render a conversation with a tokenizer_config.json chat template\n"
    "  random-checkpoint  write a random-weight checkpoint for a config.json\n"
    "\n"
    "Run `hybridtool <command> --help` for a command's flags.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "logits") return hybridserve::tools::LogitsCommand(args);
  if (command == "inspect") return hybridserve::tools::InspectCommand(args);
  if (command == "random-checkpoint") return hybridserve::tools::RandomCheckpointCommand(args);
  if (command == "chat-template") return hybridserve::tools::ChatTemplateCommand(args);
  if (command == "tokenize") return hybridserve::tools::TokenizeCommand(args);
  if (command == "detokenize") return hybridserve::tools::DetokenizeCommand(args);
  std::fprintf(stderr, "hybridtool: unknown command \"%s\"\n\n%s", command.c_str(), kUsage);
  return 2;
}
