// `trackly projects create NAME` and `trackly projects list`: projects in the data directory's
// catalog, managed directly (also while a server runs on the same directory).
#include <filesystem>
#include <iostream>
#include <memory>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/status.h"
#include "cli/command.h"
#include "model/time_format.h"
#include "server/audit_log.h"

namespace trackly::cli {
namespace {

struct ProjectsArgs {
  std::string data_dir;
  std::string name;
  bool json = false;
};

model::Json ProjectJson(const store::Project& project) {
  return {{"name", project.name}, {"created_at", model::FormatRfc3339Micros(project.created_ns)}};
}

absl::Status CreateProject(const ProjectsArgs& args) {
  std::error_code error;
  std::filesystem::create_directories(args.data_dir, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create data directory '", args.data_dir, "': ", error.message()));
  }
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  absl::StatusOr<store::Project> project =
      catalog->CreateProject(args.name, SystemClock::Get().NowNanos());
  if (absl::IsAlreadyExists(project.status())) {
    return absl::AlreadyExistsError(absl::StrCat("project '", args.name, "' already exists"));
  }
  if (!project.ok()) return project.status();
  TRACKLY_RETURN_IF_ERROR(
      RecordCliAudit(*catalog, project->name, server::audit_action::kProjectCreate, project->name));
  if (args.json) {
    PrintJson(ProjectJson(*project));
  } else {
    std::cout << "Created project '" << project->name << "'\n"
              << "Next: trackly keys create --project " << project->name << " --data "
              << args.data_dir << std::endl;
  }
  return absl::OkStatus();
}

absl::Status ListProjects(const ProjectsArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_ASSIGN_OR_RETURN(std::vector<store::Project> projects, catalog->ListProjects());
  if (args.json) {
    model::Json data = model::Json::array();
    for (const store::Project& p : projects) data.push_back(ProjectJson(p));
    PrintJson({{"data", std::move(data)}});
    return absl::OkStatus();
  }
  if (projects.empty()) {
    std::cout << "no projects (create one with `trackly projects create NAME`)" << std::endl;
    return absl::OkStatus();
  }
  size_t width = 4;
  for (const store::Project& p : projects) width = std::max(width, p.name.size());
  std::cout << "NAME" << std::string(width - 4 + 2, ' ') << "CREATED (UTC)\n";
  for (const store::Project& p : projects) {
    std::cout << p.name << std::string(width - p.name.size() + 2, ' ')
              << model::FormatRfc3339Micros(p.created_ns) << "\n";
  }
  std::cout.flush();
  return absl::OkStatus();
}

}  // namespace

void AddProjectsCommand(CLI::App& app, int* exit_code) {
  // Owned by the callbacks (which live as long as `app`), as CLI11 binds options to addresses.
  auto args = std::make_shared<ProjectsArgs>();
  CLI::App* projects = app.add_subcommand("projects", "Create and list projects");
  projects->require_subcommand(1);

  CLI::App* create = projects->add_subcommand("create", "Create a project");
  create->add_option("name", args->name, "Project name (letters, digits, '-', '_', '.')")->required();
  AddDataOption(*create, &args->data_dir);
  create->add_flag("--json", args->json, "Print JSON");
  create->callback([args, exit_code] {
    absl::Status status = CreateProject(*args);
    *exit_code = status.ok() ? 0 : ReportError(status);
  });

  CLI::App* list = projects->add_subcommand("list", "List projects");
  AddDataOption(*list, &args->data_dir);
  list->add_flag("--json", args->json, "Print JSON");
  list->callback([args, exit_code] {
    absl::Status status = ListProjects(*args);
    *exit_code = status.ok() ? 0 : ReportError(status);
  });
}

}  // namespace trackly::cli
