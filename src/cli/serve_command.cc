// `trackly serve --listen HOST:PORT --data DIR [--config FILE] ...`: runs the HTTP server on the
// SQLite store of a data directory, or on ClickHouse behind a local spool (--store clickhouse),
// until SIGINT/SIGTERM. Every server option is a flag here, an
// environment variable and a config-file key (server/options.h, docs/configuration.md).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "cli/command.h"
#include "cli/store_access.h"
#include "server/app.h"
#include "server/audit_log.h"
#include "server/options.h"
#include "server/shutdown_signals.h"
#include "server/ui_login.h"
#include "spool/spooled_store.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/sqlite/sqlite_store.h"

namespace trackly::cli {
namespace {

struct ServeArgs {
  std::string config_path;
  // One slot per server option, in ServerOptionInfos() order; set only when the flag is given.
  std::vector<std::string> values;
  std::vector<CLI::Option*> options;
};

absl::StatusOr<server::ServerOptions> LoadOptions(const ServeArgs& args) {
  server::OptionSources sources;
  sources.config_path = args.config_path;
  sources.env = Environment;
  const std::vector<server::OptionInfo>& infos = server::ServerOptionInfos();
  for (size_t i = 0; i < infos.size(); ++i) {
    if (args.options[i]->count() > 0) sources.flags.emplace_back(infos[i].flag, args.values[i]);
  }
  TRACKLY_ASSIGN_OR_RETURN(server::ServerOptions options, server::LoadServerOptions(sources));
  TRACKLY_RETURN_IF_ERROR(server::ValidateServerOptions(options));
  return options;
}

// One sign-in link per project (a few at most), so the person who started the server can open
// the UI at once; `trackly ui-token` makes more.
void PrintLoginLinks(store::Catalog& catalog, const std::string& url) {
  constexpr size_t kMaxLinks = 5;
  absl::StatusOr<std::vector<store::Project>> projects = catalog.ListProjects();
  if (!projects.ok()) return LogWarn("cannot list projects for UI links: ", projects.status().ToString());
  if (projects->empty()) {
    std::printf("web UI: create a project (trackly projects create NAME), then trackly ui-token --project NAME\n");
  }
  for (size_t i = 0; i < projects->size() && i < kMaxLinks; ++i) {
    const std::string& project = (*projects)[i].name;
    absl::StatusOr<std::string> link = server::CreateLoginLink(catalog, project, url, SystemClock::Get().NowNanos());
    if (!link.ok()) return LogWarn("cannot create a UI sign-in link: ", link.status().ToString());
    // Not printed unless recorded: a login link opens the whole project.
    if (absl::Status recorded = RecordCliAudit(catalog, project, server::audit_action::kLoginLinkCreate, project);
        !recorded.ok()) {
      return LogWarn("UI sign-in link not shown: ", recorded.ToString());
    }
    std::printf("web UI for project %s (link works once, for 15 minutes): %s\n", project.c_str(), link->c_str());
  }
  if (projects->size() > kMaxLinks) std::printf("web UI for other projects: trackly ui-token --project NAME\n");
}

// Where traces go: the embedded store, or ClickHouse behind this node's spool.
struct Stores {
  std::unique_ptr<store::Store> backing;
  std::unique_ptr<spool::SpooledStore> spooled;  // store = clickhouse only
  store::Store& served() { return spooled ? *spooled : *backing; }
};

// The host name as a node id: its characters outside [A-Za-z0-9._-] become '-'.
std::string HostNodeId() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "trackly";
  std::string id(name);
  for (char& c : id) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') c = '-';
  }
  return id.substr(0, 64);
}

absl::StatusOr<Stores> OpenStores(const server::ServerOptions& options) {
  Stores stores;
  if (options.store == "sqlite") {
    store::SqliteStoreOptions store_options;
    store_options.dir = options.data_dir;
    store_options.max_queue_observations = static_cast<size_t>(options.writer_queue_observations);
    TRACKLY_ASSIGN_OR_RETURN(stores.backing, store::SqliteStore::Open(store_options));
    return stores;
  }
  TRACKLY_ASSIGN_OR_RETURN(store::ClickHouseStoreOptions clickhouse, ClickHouseOptionsOf(options));
  TRACKLY_ASSIGN_OR_RETURN(stores.backing, store::ClickHouseStore::Open(clickhouse));
  spool::SpooledStoreOptions spooled;
  spooled.spool.directory =
      options.spool_dir.empty() ? (std::filesystem::path(options.data_dir) / "spool").string() : options.spool_dir;
  spooled.spool.node_id = options.node_id.empty() ? HostNodeId() : options.node_id;
  spooled.spool.max_bytes = static_cast<uint64_t>(options.spool_max_bytes);
  spooled.max_write_items = clickhouse.max_queue_observations;
  TRACKLY_ASSIGN_OR_RETURN(stores.spooled, spool::SpooledStore::Open(*stores.backing, spooled));
  LogInfo("storing traces in ClickHouse ", options.clickhouse_url, " database ", options.clickhouse_database,
          options.clickhouse_cluster.empty() ? "" : absl::StrCat(" on cluster ", options.clickhouse_cluster),
          " through the spool in ", spooled.spool.directory, " (node ", spooled.spool.node_id, ")");
  return stores;
}

absl::Status Serve(const ServeArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(server::ServerOptions options, LoadOptions(args));
  LogLevel level = LogLevel::kInfo;
  ParseLogLevel(options.log_level, &level);  // validated above
  SetLogLevel(level);

  std::error_code error;
  std::filesystem::create_directories(options.data_dir, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create data directory '", options.data_dir, "': ", error.message()));
  }
  TRACKLY_ASSIGN_OR_RETURN(Stores stores, OpenStores(options));
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<store::Catalog> catalog, OpenCatalogOf(options));

  // Catch the signals before announcing the address, so a stop request cannot be missed.
  server::ShutdownSignals signals;
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<server::App> app,
                           server::App::Start(options, stores.served(), *catalog, SystemClock::Get()));
  if (stores.spooled) {
    const normalize::BatchNormalizer& normalizer = app->normalizer();
    TRACKLY_RETURN_IF_ERROR(stores.spooled->StartShipping(
        [&normalizer](std::string_view project) { return normalizer.MergedPricer(project); }));
  }
  // Machine-readable: scripts and tests parse this line for the address (the real port).
  std::printf("trackly listening on %s\n", app->url().c_str());
  if (options.auth) PrintLoginLinks(*catalog, app->url());
  std::fflush(stdout);
  LogInfo("serving data directory ", options.data_dir, options.auth ? "" : " with auth OFF");

  int signal = signals.Wait();
  LogInfo("signal ", signal, " received: finishing requests in flight");
  app->BeginShutdown();
  app->Wait();
  // Every acknowledged write is already durable (acks follow commits or the spool's fsync);
  // Drain() makes sure no accepted write is left behind before the process exits (the spool ships
  // what it can for a few seconds, the rest after the next start).
  stores.served().Drain();
  stores.backing->Drain();
  LogInfo("stopped");
  return absl::OkStatus();
}

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_code) {
  // Owned by the callback (which lives as long as `app`), as CLI11 binds options to addresses.
  auto args = std::make_shared<ServeArgs>();
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Run the HTTP server (OTLP ingestion, query API). Precedence: flags > TRACKLY_* environment "
      "> --config file > defaults");
  serve->add_option("--config", args->config_path, "TOML config file (env TRACKLY_CONFIG)");
  const std::vector<server::OptionInfo>& infos = server::ServerOptionInfos();
  args->values.resize(infos.size());
  for (size_t i = 0; i < infos.size(); ++i) {
    const server::OptionInfo& info = infos[i];
    std::string description =
        absl::StrCat(info.help, " (default: ", info.default_value.empty() ? "none" : info.default_value,
                     "; env ", info.env, ")");
    args->options.push_back(serve->add_option("--" + info.flag, args->values[i], description));
  }
  serve->callback([args, exit_code] {
    absl::Status status = Serve(*args);
    *exit_code = status.ok() ? 0 : ReportError(status);
  });
}

}  // namespace trackly::cli
