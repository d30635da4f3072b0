// How a subcommand plugs into the CLI: each subcommand file defines one Add*Command function that
// adds a CLI11 subcommand to `app` and sets its callback. The callback stores the exit code in
// `*exit_code` (0 = success) and prints one clear message on stderr on error; it never exits.
// cli.cc calls every Add*Command explicitly (no self-registering statics).
#pragma once

#include <CLI/CLI.hpp>

namespace trackly::cli {

void AddServeCommand(CLI::App& app, int* exit_code);     // serve_command.cc
void AddProjectsCommand(CLI::App& app, int* exit_code);  // projects_command.cc
void AddKeysCommand(CLI::App& app, int* exit_code);      // keys_command.cc
void AddTracesCommand(CLI::App& app, int* exit_code);    // traces_command.cc (traces, trace)
void AddDemoCommand(CLI::App& app, int* exit_code);      // demo_command.cc

}  // namespace trackly::cli
