#include "cli/cli.h"

#include <exception>
#include <iostream>

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
  AddModelsCommand(app, &exit_code);
  AddRedactionCommand(app, &exit_code);
  AddRulesCommand(app, &exit_code);
  AddSamplingCommand(app, &exit_code);
  AddAlertsCommand(app, &exit_code);
  AddRetentionCommand(app, &exit_code);
  AddCostCommand(app, &exit_code);
  AddUiTokenCommand(app, &exit_code);
  AddUsersCommand(app, &exit_code);
  AddAuditCommand(app, &exit_code);
  AddEraseCommand(app, &exit_code);
  AddWorkflowCommand(app, &exit_code);
  AddTailCommand(app, &exit_code);
  // Subcommand callbacks run inside parse(), so this is the edge for every exception a command
  // could let through (CLI11's, nlohmann's, std::bad_alloc).
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "trackly: " << e.what() << " (see --help)" << std::endl;
    return 2;  // usage error, as most command-line tools
  } catch (const std::exception& e) {
    std::cerr << "trackly: internal error: " << e.what() << std::endl;
    return 1;
  }
  return exit_code;
}

}  // namespace trackly::cli
