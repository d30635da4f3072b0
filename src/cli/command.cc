#include "cli/command.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <system_error>

#include "absl/strings/str_cat.h"

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
