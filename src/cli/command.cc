#include "cli/command.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <system_error>

#include <pwd.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/status.h"
#include "cli/store_access.h"
#include "server/audit_log.h"

namespace trackly::cli {

void AddDataOption(CLI::App& command, std::string* data_dir) {
  *data_dir = kDefaultDataDir;
  command.add_option("--data", *data_dir, "Data directory (default: $TRACKLY_DATA, else ./trackly-data)")
      ->envname(kDataDirEnv);
}

absl::Status CheckDataDir(const std::string& data_dir) {
  std::error_code error;
  if (std::filesystem::is_directory(data_dir, error)) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("no data directory at '", data_dir,
                                          "' (create one with `trackly projects create NAME --data ",
                                          data_dir, "` or `trackly serve --data ", data_dir, "`)"));
}

absl::StatusOr<std::unique_ptr<store::Catalog>> OpenCatalog(const std::string& data_dir) {
  TRACKLY_ASSIGN_OR_RETURN(server::ServerOptions options, CommandOptions(data_dir));
  if (options.store != "clickhouse") TRACKLY_RETURN_IF_ERROR(CheckDataDir(data_dir));
  return OpenCatalogOf(options);
}

absl::Status CheckProject(store::Catalog& catalog, const std::string& project) {
  absl::StatusOr<store::Project> found = catalog.GetProject(project);
  if (absl::IsNotFound(found.status())) {
    return absl::NotFoundError(absl::StrCat("unknown project '", project,
                                            "' (create it with `trackly projects create ", project, "`)"));
  }
  return found.status();
}

namespace {

// The name of the OS user running the CLI, else its uid.
std::string OsUserName() {
  if (const passwd* entry = getpwuid(geteuid()); entry != nullptr && entry->pw_name != nullptr) {
    return entry->pw_name;
  }
  return absl::StrCat("uid ", geteuid());
}

}  // namespace

absl::Status RecordCliAudit(store::Catalog& catalog, std::string_view project, std::string_view action,
                            std::string_view target, const model::Json& details) {
  absl::Status recorded = server::RecordAudit(
      catalog, SystemClock::Get(), server::MakeEvent(project, server::CliActor(OsUserName()), action, target, details));
  return recorded.ok() ? recorded : server::UnrecordedChangeError(recorded);
}

absl::StatusOr<std::string> ReadFileOrStdin(const std::string& file) {
  if (file == "-") return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  std::ifstream in(file);
  if (!in) return absl::NotFoundError(absl::StrCat("--file: cannot read '", file, "'"));
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return;
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
  std::cout.flush();
}

int ReportError(const absl::Status& status) {
  std::string message(status.message());
  // One line, whatever the message contains.
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cerr << "trackly: " << message << std::endl;
  return 1;
}

void PrintJson(const model::Json& value) {
  // `replace` keeps invalid UTF-8 from throwing; the model should never hold any.
  std::cout << value.dump(2, ' ', false, model::Json::error_handler_t::replace) << std::endl;
}

}  // namespace trackly::cli
