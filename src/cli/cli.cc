#include "cli/cli.h"

#include <cstdio>

#include "cli/command.h"

namespace trackly::cli {

int Run(int argc, char** argv) {
  CLI::App app{"trackly: tracing and observability for LLM applications and agents"};
  app.require_subcommand(1);
  int exit_code = 0;
  AddServeCommand(app, &exit_code);
  AddProjectsCommand(app, &exit_code);
  AddKeysCommand(app, &exit_code);
  AddTracesCommand(app, &exit_code);
  AddDemoCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}

}  // namespace trackly::cli
