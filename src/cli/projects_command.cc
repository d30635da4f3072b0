#include "cli/command.h"

namespace trackly::cli {

void AddProjectsCommand(CLI::App& app, int* exit_code) {
  app.add_subcommand("projects", "(not yet implemented)")->callback([exit_code] { *exit_code = 2; });
}

}  // namespace trackly::cli
