#include "server/app.h"

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "server/api_routes.h"
#include "server/static_files.h"

namespace trackly::server {
namespace {

absl::Status EnsureProject(store::Catalog& catalog, const std::string& name, int64_t now_ns) {
  absl::StatusOr<store::Project> project = catalog.CreateProject(name, now_ns);
  if (project.ok() || project.status().code() == absl::StatusCode::kAlreadyExists) {
    return absl::OkStatus();
  }
  return project.status();
}

HttpServerOptions HttpOptionsOf(const ServerOptions& options, const HostPort& listen) {
  HttpServerOptions out;
  out.host = listen.host;
  out.port = listen.port;
  out.io_threads = options.io_threads;
  out.max_connections = options.max_connections;
  out.limits.max_body_bytes = options.max_body_bytes;
  out.limits.max_header_bytes = options.max_header_bytes;
  out.limits.idle_timeout = std::chrono::milliseconds(options.idle_timeout_ms);
  out.limits.read_timeout = std::chrono::milliseconds(options.read_timeout_ms);
  out.limits.write_timeout = std::chrono::milliseconds(options.write_timeout_ms);
  return out;
}

}  // namespace

App::App(const ServerOptions& options, store::Store& store, store::Catalog& catalog,
         const Clock& clock, std::unique_ptr<CatalogPriceSource> prices,
         std::unique_ptr<CatalogRedactionSource> redaction, std::vector<std::string> cors_origins)
    : retention_defaults_(options.retention),
      prices_(std::move(prices)),
      redaction_(std::move(redaction)),
      normalizer_(*prices_, *redaction_),
      queries_(store, clock),
      finisher_(store, clock, TraceFinisherOptions{.quiet = absl::Milliseconds(options.trace_finish_delay_ms)},
                [&catalog](std::string_view project) -> absl::StatusOr<std::vector<analysis::ProcessRule>> {
                  TRACKLY_ASSIGN_OR_RETURN(store::ProcessRulesRecord record, catalog.GetProcessRules(project));
                  return analysis::ParseProcessRulesText(record.rules_json);
                },
                SamplingHooks{
                    .policy = [&catalog](std::string_view project) -> absl::StatusOr<analysis::SamplingPolicy> {
                      absl::StatusOr<store::SamplingPolicyRecord> record = catalog.GetSamplingPolicy(project);
                      if (absl::IsUnimplemented(record.status())) return analysis::SamplingPolicy{};  // keep all
                      if (!record.ok()) return record.status();
                      return analysis::ParseSamplingPolicyText(record->policy_json);
                    },
                    .record_counts = [&catalog](std::string_view project, int64_t day,
                                                const store::SamplingTally& tally) {
                      return catalog.AddSamplingCounts(project, day, tally);
                    }}),
      live_tail_(clock),
      ingest_store_(
          store, [this](std::string_view project, std::string_view trace_id) { finisher_.Touch(project, trace_id); },
          [this](const store::WriteBatch& batch) { return live_tail_.BeforeWrite(batch); }),
      otlp_(decoders_, normalizer_, ingest_store_, options.decode, options.max_body_bytes),
      langsmith_(normalizer_, ingest_store_, clock, options.decode, options.max_body_bytes),
      langfuse_(normalizer_, ingest_store_, options.decode, options.max_body_bytes),
      scores_(normalizer_, store, clock),
      authenticator_(catalog, clock, options.auth ? "" : options.default_project),
      rate_limits_(options.rate_limit, clock),
      cors_(std::move(cors_origins)),
      audit_(catalog, clock),
      expirer_(store, catalog, retention_defaults_, clock),
      webhooks_(WebhookOptions{.allow_private = options.alert_webhooks_allow_private}, clock),
      test_webhooks_(WebhookOptions{.allow_private = options.alert_webhooks_allow_private, .max_attempts = 1}, clock),
      alerts_(store, catalog, clock,
              [this](std::string url, std::string body, std::string secret, std::function<void(WebhookResult)> done) {
                webhooks_.Send(std::move(url), std::move(body), std::move(secret), std::move(done));
              },
              AlertEvaluatorOptions{.interval = absl::Seconds(options.alert_interval_s)}),
      dispatcher_(router_, authenticator_, rate_limits_, cors_) {
  ingest::RegisterDecoders(decoders_);
  AddApiRoutes(router_, otlp_, queries_, store, audit_);
  AddLangsmithRoutes(router_, langsmith_);
  AddLangfuseRoutes(router_, langfuse_);
  AddScoreRoutes(router_, scores_);
  AddCostApiRoutes(router_, store, catalog, *prices_, clock, audit_);
  AddAdminApiRoutes(router_, catalog, clock, audit_);
  AddRedactionApiRoutes(router_, catalog, *redaction_, clock, audit_);
  AddProcessRulesApiRoutes(router_, catalog, clock, audit_);
  AddSamplingApiRoutes(router_, catalog, clock, audit_);
  AddRetentionApiRoutes(router_, catalog, retention_defaults_, expirer_, audit_);
  AddAlertApiRoutes(
      router_, AlertApi{.catalog = catalog,
                        .evaluator = alerts_,
                        .clock = clock,
                        .audit = audit_,
                        .allow_private_webhooks = options.alert_webhooks_allow_private,
                        .send_test = [this](std::string url, std::string body, std::string secret,
                                            std::function<void(WebhookResult)> done) {
                          test_webhooks_.Send(std::move(url), std::move(body), std::move(secret), std::move(done));
                        },
                        .interval_s = options.alert_interval_s});
  AddMetricsApiRoutes(router_, queries_, *prices_);
  AddTailApiRoutes(router_, live_tail_);
}

absl::StatusOr<std::unique_ptr<App>> App::Start(const ServerOptions& options, store::Store& store,
                                                store::Catalog& catalog, const Clock& clock) {
  TRACKLY_RETURN_IF_ERROR(ValidateServerOptions(options));
  TRACKLY_ASSIGN_OR_RETURN(HostPort listen, ParseHostPort(options.listen));
  if (!options.auth) {
    TRACKLY_RETURN_IF_ERROR(EnsureProject(catalog, options.default_project, clock.NowNanos()));
  }
  if (options.create_demo_project) {
    TRACKLY_RETURN_IF_ERROR(EnsureProject(catalog, "demo", clock.NowNanos()));
  }
  TRACKLY_ASSIGN_OR_RETURN(std::shared_ptr<const cost::PriceCatalog> builtin,
                           cost::PriceCatalog::Builtin());
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<CatalogPriceSource> prices,
                           CatalogPriceSource::Create(std::move(builtin), catalog, clock));
  // The options were checked by ValidateServerOptions above.
  TRACKLY_ASSIGN_OR_RETURN(normalize::RedactionClasses redact, normalize::ParseRedactionClasses(options.redact));
  std::vector<normalize::RedactionRule> default_rules;
  if (!options.redact_rules.empty()) {
    TRACKLY_ASSIGN_OR_RETURN(default_rules, normalize::ParseRedactionRulesText(options.redact_rules));
  }
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<CatalogRedactionSource> redaction,
                           CatalogRedactionSource::Create(redact, std::move(default_rules), catalog, clock));
  TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string> cors_origins,
                           ParseCorsOrigins(options.cors_allowed_origins));
  std::unique_ptr<App> app(
      new App(options, store, catalog, clock, std::move(prices), std::move(redaction), std::move(cors_origins)));
  // The web UI takes every GET that no API route does: from ui_dir while developing the UI,
  // else the one built into the binary.
  absl::StatusOr<UiFileReader> ui = options.ui_dir.empty()
                                        ? EmbeddedUiReader(EmbeddedUiFiles())
                                        : DirectoryUiReader(options.ui_dir);
  if (!ui.ok()) return ui.status();
  app->router_.SetFallback(http::verb::get, StaticFilesHandler(*std::move(ui)));
  app->expirer_.Start(kRetentionInterval);
  app->finisher_.Start();
  app->alerts_.Start();
  app->live_tail_.Start();
  const RequestDispatcher& dispatcher = app->dispatcher_;
  TRACKLY_ASSIGN_OR_RETURN(
      app->http_, HttpServer::Start(HttpOptionsOf(options, listen),
                                    [&dispatcher](HttpRequest request,
                                                  const boost::asio::ip::address& client,
                                                  Responder respond) {
                                      dispatcher.Dispatch(std::move(request), client,
                                                          std::move(respond));
                                    }));
  return app;
}

std::string App::url() const {
  boost::asio::ip::tcp::endpoint endpoint = http_->endpoint();
  std::string host = endpoint.address().to_string();
  if (endpoint.address().is_v6()) host = absl::StrCat("[", host, "]");
  return absl::StrCat("http://", host, ":", endpoint.port());
}

}  // namespace trackly::server
