// `trackly users create|list|passwd|delete|grant|revoke`: the people who sign in to the web UI
// and their roles per project (docs/security.md "Users and roles"), managed on the data
// directory's catalog directly (also while a server runs on it).
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/status.h"
#include "cli/command.h"
#include "model/time_format.h"
#include "server/audit_log.h"
#include "server/password.h"
#include "server/roles.h"

namespace trackly::cli {
namespace {

struct UsersArgs {
  std::string data_dir;
  std::string name;
  std::string project;
  std::string role = "member";
  bool password_stdin = false;
  bool no_raw_io = false;
  bool json = false;
};

// The password from standard input (its first line, without the line break) with
// --password-stdin; otherwise a generated one, which `generated` says.
absl::StatusOr<std::string> ReadOrGeneratePassword(const UsersArgs& args, bool* generated) {
  *generated = !args.password_stdin;
  if (*generated) return server::GeneratePassword();
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  TRACKLY_RETURN_IF_ERROR(server::CheckPasswordPolicy(line));
  return line;
}

void PrintPassword(const UsersArgs& args, const std::string& password, bool generated) {
  if (args.json) {
    model::Json out{{"user", args.name}};
    if (generated) out["password"] = password;
    PrintJson(out);
  } else if (generated) {
    std::cout << "Password for '" << args.name << "' (shown once): " << password << std::endl;
  }
}

// Records the role `args` gave a user (the same details as PUT /api/v1/members).
absl::Status RecordMemberPut(store::Catalog& catalog, const UsersArgs& args, store::Role role) {
  return RecordCliAudit(catalog, args.project, server::audit_action::kMemberPut, args.name,
                        {{"role", server::RoleName(role)}, {"raw_io", !args.no_raw_io}});
}

absl::Status CreateUser(const UsersArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  bool generated = false;
  TRACKLY_ASSIGN_OR_RETURN(std::string password, ReadOrGeneratePassword(args, &generated));
  TRACKLY_ASSIGN_OR_RETURN(std::string hash, server::HashPassword(password));
  const int64_t now = SystemClock::Get().NowNanos();
  if (!args.project.empty()) TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  TRACKLY_ASSIGN_OR_RETURN(store::Role role, server::ParseRole(args.role));
  TRACKLY_RETURN_IF_ERROR(catalog->CreateUser(store::UserRecord{.name = args.name, .password_hash = hash, .created_ns = now}));
  TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, "", server::audit_action::kUserCreate, args.name));
  if (!args.project.empty()) {
    TRACKLY_RETURN_IF_ERROR(catalog->PutMembership(store::Membership{
        .user = args.name, .project = args.project, .role = role, .raw_io = !args.no_raw_io, .created_ns = now}));
    TRACKLY_RETURN_IF_ERROR(RecordMemberPut(*catalog, args, role));
  }
  if (!args.json) {
    std::cout << "Created user '" << args.name << "'";
    if (!args.project.empty()) std::cout << " (" << args.role << " of project '" << args.project << "')";
    std::cout << std::endl;
  }
  PrintPassword(args, password, generated);
  return absl::OkStatus();
}

absl::Status ListUsers(const UsersArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_ASSIGN_OR_RETURN(std::vector<store::UserRecord> users, catalog->ListUsers());
  model::Json data = model::Json::array();
  std::vector<std::vector<std::string>> rows{{"USER", "CREATED (UTC)", "ROLES"}};
  for (const store::UserRecord& user : users) {
    TRACKLY_ASSIGN_OR_RETURN(std::vector<store::Membership> roles, catalog->ListMemberships(user.name, ""));
    model::Json role_json = model::Json::array();
    std::string role_text;
    for (const store::Membership& m : roles) {
      role_json.push_back({{"project", m.project}, {"role", server::RoleName(m.role)}, {"raw_io", m.raw_io}});
      absl::StrAppend(&role_text, role_text.empty() ? "" : ", ", m.project, ":", Sv(server::RoleName(m.role)),
                      m.raw_io ? "" : " (no raw I/O)");
    }
    data.push_back({{"name", user.name},
                    {"created_at", model::FormatRfc3339Micros(user.created_ns)},
                    {"roles", std::move(role_json)}});
    rows.push_back({user.name, model::FormatRfc3339Micros(user.created_ns), role_text.empty() ? "-" : role_text});
  }
  if (args.json) {
    PrintJson({{"data", std::move(data)}});
  } else if (users.empty()) {
    std::cout << "no users (create one with `trackly users create NAME --project P --role owner`)" << std::endl;
  } else {
    PrintTable(rows);
  }
  return absl::OkStatus();
}

absl::Status SetPassword(const UsersArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  bool generated = false;
  TRACKLY_ASSIGN_OR_RETURN(std::string password, ReadOrGeneratePassword(args, &generated));
  TRACKLY_ASSIGN_OR_RETURN(std::string hash, server::HashPassword(password));
  TRACKLY_RETURN_IF_ERROR(catalog->SetUserPassword(args.name, hash));
  TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, "", server::audit_action::kUserPassword, args.name));
  if (!args.json) std::cout << "Changed the password of '" << args.name << "' and ended their sessions" << std::endl;
  PrintPassword(args, password, generated);
  return absl::OkStatus();
}

absl::Status DeleteUser(const UsersArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(catalog->DeleteUser(args.name));
  TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, "", server::audit_action::kUserDelete, args.name));
  if (args.json) {
    PrintJson({{"user", args.name}, {"deleted", true}});
  } else {
    std::cout << "Deleted user '" << args.name << "' with their roles and sessions" << std::endl;
  }
  return absl::OkStatus();
}

absl::Status Grant(const UsersArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  TRACKLY_ASSIGN_OR_RETURN(store::Role role, server::ParseRole(args.role));
  TRACKLY_RETURN_IF_ERROR(catalog->PutMembership(store::Membership{.user = args.name,
                                                                   .project = args.project,
                                                                   .role = role,
                                                                   .raw_io = !args.no_raw_io,
                                                                   .created_ns = SystemClock::Get().NowNanos()}));
  TRACKLY_RETURN_IF_ERROR(RecordMemberPut(*catalog, args, role));
  if (args.json) {
    PrintJson({{"user", args.name}, {"project", args.project}, {"role", args.role}, {"raw_io", !args.no_raw_io}});
  } else {
    std::cout << "'" << args.name << "' is now " << args.role << " of project '" << args.project << "'"
              << (args.no_raw_io ? " (inputs and outputs hidden)" : "") << std::endl;
  }
  return absl::OkStatus();
}

absl::Status Revoke(const UsersArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(catalog->RemoveMembership(args.name, args.project));
  TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, args.project, server::audit_action::kMemberRemove, args.name));
  if (args.json) {
    PrintJson({{"user", args.name}, {"project", args.project}, {"removed", true}});
  } else {
    std::cout << "'" << args.name << "' has no role in project '" << args.project << "' any more" << std::endl;
  }
  return absl::OkStatus();
}

// Adds a subcommand running `action` with the shared arguments, with --data and --json.
CLI::App* AddAction(CLI::App& parent, const char* name, const char* help, std::shared_ptr<UsersArgs> args,
                    int* exit_code, absl::Status (*action)(const UsersArgs&)) {
  CLI::App* command = parent.add_subcommand(name, help);
  AddDataOption(*command, &args->data_dir);
  command->add_flag("--json", args->json, "Print JSON");
  command->callback([args, exit_code, action] {
    absl::Status status = action(*args);
    *exit_code = status.ok() ? 0 : ReportError(status);
  });
  return command;
}

}  // namespace

void AddUsersCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<UsersArgs>();
  CLI::App* users = app.add_subcommand("users", "Manage the users who sign in to the web UI and their roles");
  users->require_subcommand(1);
  const char* kRoleHelp = "viewer, member, admin or owner";

  CLI::App* create = AddAction(*users, "create", "Create a user (prints a generated password unless --password-stdin)",
                               args, exit_code, CreateUser);
  create->add_option("name", args->name, "User name (letters, digits, '-', '_', '.', '@')")->required();
  create->add_flag("--password-stdin", args->password_stdin, "Read the password from the first line of stdin");
  create->add_option("--project", args->project, "Give the user a role in this project");
  create->add_option("--role", args->role, kRoleHelp)->capture_default_str();
  create->add_flag("--no-raw-io", args->no_raw_io, "Hide inputs and outputs from this user (viewers)");

  AddAction(*users, "list", "List users and their roles", args, exit_code, ListUsers);

  CLI::App* passwd = AddAction(*users, "passwd", "Set a new password (ends the user's sessions)", args, exit_code,
                               SetPassword);
  passwd->add_option("name", args->name, "User name")->required();
  passwd->add_flag("--password-stdin", args->password_stdin, "Read the password from the first line of stdin");

  CLI::App* remove = AddAction(*users, "delete", "Delete a user with their roles and sessions", args, exit_code,
                               DeleteUser);
  remove->add_option("name", args->name, "User name")->required();

  CLI::App* grant = AddAction(*users, "grant", "Give a user a role in a project (or change it)", args, exit_code,
                              Grant);
  grant->add_option("name", args->name, "User name")->required();
  grant->add_option("--project", args->project, "Project")->required();
  grant->add_option("--role", args->role, kRoleHelp)->required();
  grant->add_flag("--no-raw-io", args->no_raw_io, "Hide inputs and outputs from this user (viewers)");

  CLI::App* revoke = AddAction(*users, "revoke", "Take a user's role in a project away", args, exit_code, Revoke);
  revoke->add_option("name", args->name, "User name")->required();
  revoke->add_option("--project", args->project, "Project")->required();
}

}  // namespace trackly::cli
