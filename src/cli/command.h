// How a subcommand plugs into the CLI: each subcommand file defines one Add*Command function that
// adds a CLI11 subcommand to `app` and sets its callback. The callback stores the exit code in
// `*exit_code` (0 = success) and prints one clear message on stderr on error; it never exits.
// cli.cc calls every Add*Command explicitly (no self-registering statics).
//
// Output conventions shared by every subcommand: human-readable text on stdout by default,
// `--json` for one JSON document on stdout; errors as one line "trackly: <message>" on stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "model/json.h"
#include "store/catalog.h"

namespace trackly::cli {

void AddServeCommand(CLI::App& app, int* exit_code);     // serve_command.cc
void AddProjectsCommand(CLI::App& app, int* exit_code);  // projects_command.cc
void AddKeysCommand(CLI::App& app, int* exit_code);      // keys_command.cc
void AddTracesCommand(CLI::App& app, int* exit_code);    // traces_command.cc (traces, trace)
void AddDemoCommand(CLI::App& app, int* exit_code);      // demo_command.cc
void AddModelsCommand(CLI::App& app, int* exit_code);    // models_command.cc
void AddCostCommand(CLI::App& app, int* exit_code);      // cost_command.cc
void AddUiTokenCommand(CLI::App& app, int* exit_code);   // ui_token_command.cc
void AddUsersCommand(CLI::App& app, int* exit_code);     // users_command.cc
void AddAuditCommand(CLI::App& app, int* exit_code);     // audit_command.cc
void AddRedactionCommand(CLI::App& app, int* exit_code); // redaction_command.cc
void AddRulesCommand(CLI::App& app, int* exit_code);     // rules_command.cc
void AddSamplingCommand(CLI::App& app, int* exit_code);  // sampling_command.cc
void AddAlertsCommand(CLI::App& app, int* exit_code);    // alerts_command.cc
void AddRetentionCommand(CLI::App& app, int* exit_code); // retention_command.cc
void AddEraseCommand(CLI::App& app, int* exit_code);     // erase_command.cc
void AddWorkflowCommand(CLI::App& app, int* exit_code);  // workflow_command.cc
void AddTailCommand(CLI::App& app, int* exit_code);      // tail_command.cc

// The default data directory when --data is not given: $TRACKLY_DATA, else "./trackly-data".
inline constexpr char kDataDirEnv[] = "TRACKLY_DATA";
inline constexpr char kDefaultDataDir[] = "./trackly-data";

// Adds `--data DIR` to `command`, defaulting to $TRACKLY_DATA, else "./trackly-data".
void AddDataOption(CLI::App& command, std::string* data_dir);

// NotFound naming the directory (and how to create one) when `data_dir` is not a directory.
absl::Status CheckDataDir(const std::string& data_dir);

// Opens the catalog commands reach (cli/store_access.h OpenCatalogOf): catalog.db of `data_dir`
// (after CheckDataDir), or with TRACKLY_STORE=clickhouse the one in ClickHouse.
absl::StatusOr<std::unique_ptr<store::Catalog>> OpenCatalog(const std::string& data_dir);

// NotFound with a hint on how to create it when `project` does not exist.
absl::Status CheckProject(store::Catalog& catalog, const std::string& project);

// Records a change this command made on `catalog` in the audit log (server/audit_log.h), durably,
// as "cli:<OS user>", in `project` ("" = instance-wide). Commands call it after the change and
// before reporting success; an error says the change was made but not recorded.
absl::Status RecordCliAudit(store::Catalog& catalog, std::string_view project, std::string_view action,
                            std::string_view target, const model::Json& details = nullptr);

// The text of `file`, or of stdin when it is "-" (a command's --file). NotFound naming the file
// when it cannot be read.
absl::StatusOr<std::string> ReadFileOrStdin(const std::string& file);

// Prints `rows` on stdout as left-aligned columns two spaces apart (the first row is the header).
void PrintTable(const std::vector<std::vector<std::string>>& rows);

// Prints "trackly: <message>" on stderr and returns the exit code for a failed command (1).
int ReportError(const absl::Status& status);

// Prints `value` on stdout as indented JSON followed by a newline.
void PrintJson(const model::Json& value);

}  // namespace trackly::cli
