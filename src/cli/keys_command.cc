// `trackly keys create|list|revoke`: API keys in the data directory's catalog. A new key's secret
// is printed once and never stored (server/api_key.h).
#include <iostream>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/clock.h"
#include "base/status.h"
#include "cli/command.h"
#include "model/time_format.h"
#include "server/api_key.h"
#include "server/audit_log.h"

namespace trackly::cli {
namespace {

constexpr char kDefaultScopes[] = "ingest,read";

struct KeysArgs {
  std::string data_dir;
  std::string project;
  std::string scopes = kDefaultScopes;
  std::string name;
  std::string id;
  bool json = false;
};

model::Json ScopesJson(uint32_t scopes) {
  model::Json list = model::Json::array();
  for (absl::string_view scope : absl::StrSplit(server::FormatScopes(scopes), ',', absl::SkipEmpty())) {
    list.push_back(std::string(scope));
  }
  return list;
}

model::Json KeyJson(const store::ApiKeyRecord& key) {
  return {{"id", key.id},
          {"project", key.project},
          {"scopes", ScopesJson(key.scopes)},
          {"name", key.name.empty() ? model::Json(nullptr) : model::Json(key.name)},
          {"created_at", model::FormatRfc3339Micros(key.created_ns)},
          {"revoked_at", key.revoked_ns == 0 ? model::Json(nullptr)
                                             : model::Json(model::FormatRfc3339Micros(key.revoked_ns))}};
}

absl::Status CreateKey(const KeysArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(uint32_t scopes, server::ParseScopes(args.scopes));
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  TRACKLY_ASSIGN_OR_RETURN(server::GeneratedKey key,
                           server::GenerateApiKey(args.project, scopes, SystemClock::Get().NowNanos()));
  key.record.name = args.name;
  absl::Status inserted = catalog->InsertKey(key.record);
  if (absl::IsNotFound(inserted)) return CheckProject(*catalog, args.project);  // deleted meanwhile
  TRACKLY_RETURN_IF_ERROR(inserted);
  TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, args.project, server::audit_action::kKeyCreate, key.record.id,
                                         {{"scopes", server::FormatScopes(scopes)}, {"name", args.name}}));

  if (args.json) {
    model::Json out = KeyJson(key.record);
    out["key"] = key.key;
    out["public_key"] = key.public_key;
    out["secret_key"] = key.secret_key;
    PrintJson(out);
    return absl::OkStatus();
  }
  std::cout << "Created API key " << key.record.id << " for project '" << args.project
            << "' (scopes: " << server::FormatScopes(scopes) << ")\n\n"
            << "  key:         " << key.key << "\n"
            << "  public_key:  " << key.public_key << "\n"
            << "  secret_key:  " << key.secret_key << "\n"
            << "  scopes:      " << server::FormatScopes(scopes) << "\n\n"
            << "This is the only time the key is shown; store it now.\n"
            << "OpenTelemetry exporters:\n"
            << "  export OTEL_EXPORTER_OTLP_HEADERS=\"Authorization=Bearer " << key.key << "\"\n"
            << "Langfuse clients: public_key / secret_key above. LangSmith clients: x-api-key = key."
            << std::endl;
  return absl::OkStatus();
}

absl::Status ListKeys(const KeysArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  if (!args.project.empty()) TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  TRACKLY_ASSIGN_OR_RETURN(std::vector<store::ApiKeyRecord> keys, catalog->ListKeys(args.project));
  if (args.json) {
    model::Json data = model::Json::array();
    for (const store::ApiKeyRecord& key : keys) data.push_back(KeyJson(key));
    PrintJson({{"data", std::move(data)}});
    return absl::OkStatus();
  }
  if (keys.empty()) {
    std::cout << "no keys (create one with `trackly keys create --project NAME`)" << std::endl;
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {{"ID", "PROJECT", "SCOPES", "NAME", "CREATED (UTC)", "STATUS"}};
  for (const store::ApiKeyRecord& key : keys) {
    rows.push_back({key.id, key.project, server::FormatScopes(key.scopes), key.name.empty() ? "-" : key.name,
                    model::FormatRfc3339Micros(key.created_ns).substr(0, 19),
                    key.revoked_ns == 0 ? "active" : "revoked"});
  }
  PrintTable(rows);
  return absl::OkStatus();
}

absl::Status RevokeKey(const KeysArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  absl::Status revoked = catalog->RevokeKey(args.id, SystemClock::Get().NowNanos());
  if (absl::IsNotFound(revoked)) {
    return absl::NotFoundError(absl::StrCat("unknown key id '", args.id, "' (see `trackly keys list`)"));
  }
  TRACKLY_RETURN_IF_ERROR(revoked);
  TRACKLY_ASSIGN_OR_RETURN(store::ApiKeyRecord key, catalog->FindKey(args.id));
  TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, key.project, server::audit_action::kKeyRevoke, key.id));
  if (args.json) {
    PrintJson(KeyJson(key));
  } else {
    std::cout << "Revoked key " << key.id << " of project '" << key.project << "'" << std::endl;
  }
  return absl::OkStatus();
}

}  // namespace

void AddKeysCommand(CLI::App& app, int* exit_code) {
  // Owned by the callbacks (which live as long as `app`), as CLI11 binds options to addresses.
  auto args = std::make_shared<KeysArgs>();
  CLI::App* keys = app.add_subcommand("keys", "Create, list and revoke API keys");
  keys->require_subcommand(1);
  auto run = [args, exit_code](absl::Status (*command)(const KeysArgs&)) {
    return [args, exit_code, command] {
      absl::Status status = command(*args);
      *exit_code = status.ok() ? 0 : ReportError(status);
    };
  };

  CLI::App* create = keys->add_subcommand("create", "Create an API key (printed once)");
  create->add_option("--project", args->project, "Project the key belongs to")->required();
  create->add_option("--scopes", args->scopes, "Comma-separated: ingest, read, admin")
      ->default_str(kDefaultScopes);
  create->add_option("--name", args->name, "Optional label");
  AddDataOption(*create, &args->data_dir);
  create->add_flag("--json", args->json, "Print JSON");
  create->callback(run(&CreateKey));

  CLI::App* list = keys->add_subcommand("list", "List API keys (never shows secrets)");
  list->add_option("--project", args->project, "Only keys of this project");
  AddDataOption(*list, &args->data_dir);
  list->add_flag("--json", args->json, "Print JSON");
  list->callback(run(&ListKeys));

  CLI::App* revoke = keys->add_subcommand("revoke", "Revoke an API key");
  revoke->add_option("id", args->id, "Key id (see `trackly keys list`)")->required();
  AddDataOption(*revoke, &args->data_dir);
  revoke->add_flag("--json", args->json, "Print JSON");
  revoke->callback(run(&RevokeKey));
}

}  // namespace trackly::cli
