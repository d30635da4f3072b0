#include "cli/command.h"

namespace trackly::cli {

void AddKeysCommand(CLI::App& app, int* exit_code) {
  app.add_subcommand("keys", "(not yet implemented)")->callback([exit_code] { *exit_code = 2; });
}

}  // namespace trackly::cli
