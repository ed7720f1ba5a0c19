// hybridtool's subcommands. Each takes its arguments (after the command name) and returns the
// process exit code; errors are printed to stderr.
#ifndef HYBRIDSERVE_WEIGHTS_TOOLS_COMMANDS_H_
#define HYBRIDSERVE_WEIGHTS_TOOLS_COMMANDS_H_

#include <string>
#include <vector>

namespace hybridserve::tools {

int LogitsCommand(const std::vector<std::string>& args);
int InspectCommand(const std::vector<std::string>& args);
int RandomCheckpointCommand(const std::vector<std::string>& args);
int ChatTemplateCommand(const std::vector<std::string>& args);
int TokenizeCommand(const std::vector<std::string>& args);
int DetokenizeCommand(const std::vector<std::string>& args);

}  // namespace hybridserve::tools

#endif  // HYBRIDSERVE_WEIGHTS_TOOLS_COMMANDS_H_
