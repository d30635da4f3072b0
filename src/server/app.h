// The assembled server: decoders, normalizer, auth, query service, routes and the HTTP transport,
// wired around a Store and a Catalog. It owns the pieces and has no logic of its own.
//
// Shutdown order (DESIGN.md: ack only after a durable write): BeginShutdown() stops accepting,
// Wait() returns once every request in flight has been answered and the traces waiting to be
// evaluated have been, then the owner calls Store::Drain(). Destroying the App writes the audit log's queued view events.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "ingest/registry.h"
#include "normalize/batch_normalizer.h"
#include "query/query_service.h"
#include "server/alert_evaluator.h"
#include "server/audit_log.h"
#include "server/authenticator.h"
#include "server/catalog_price_source.h"
#include "server/catalog_redaction_source.h"
#include "server/client_rate_limits.h"
#include "server/cors_policy.h"
#include "server/http_server.h"
#include "server/langfuse_ingest_handler.h"
#include "server/langsmith_handler.h"
#include "server/live_tail.h"
#include "server/options.h"
#include "server/otlp_ingest_handler.h"
#include "server/score_handler.h"
#include "server/trace_finisher.h"
#include "server/webhook_sender.h"
#include "server/write_watching_store.h"
#include "server/request_dispatcher.h"
#include "server/retention_expirer.h"
#include "server/retention_policy.h"
#include "server/router.h"
#include "store/catalog.h"
#include "store/store.h"

namespace trackly::server {

// How often the server applies every project's retention (docs/security.md "Retention"); also
// once at start and on POST /api/v1/retention/run.
inline constexpr absl::Duration kRetentionInterval = absl::Hours(1);
// How long a stopping server spends evaluating the traces still pending (App::Wait).
inline constexpr absl::Duration kShutdownEvaluationBudget = absl::Seconds(10);

// Thread-safe.
class App {
 public:
  // Validates `options`, creates the projects they ask for (default project with auth off, demo
  // project), and starts listening. `store`, `catalog` and `clock` must outlive the App.
  static absl::StatusOr<std::unique_ptr<App>> Start(const ServerOptions& options,
                                                    store::Store& store, store::Catalog& catalog,
                                                    const Clock& clock);

  // "http://127.0.0.1:43125" (IPv6 in brackets).
  std::string url() const;
  boost::asio::ip::tcp::endpoint endpoint() const { return http_->endpoint(); }
  // The route table requests are served from.
  const Router& router() const { return router_; }
  // What ingested data goes through; a store that writes later (spool/spooled_store.h) takes its
  // MergedPricer from here.
  const normalize::BatchNormalizer& normalizer() const { return normalizer_; }
  // What projects without retention of their own follow (options retention_payload_days and
  // retention_summary_days); with EffectiveRetentions (server/retention_policy.h) for expiry.
  const RetentionDefaults& retention_defaults() const { return retention_defaults_; }

  // Answers waiting live tail requests (server/live_tail.h), so nothing waits for its timeout.
  ~App() { live_tail_.Shutdown(); }

  // See HttpServer::BeginShutdown / Wait; also answers waiting live tail requests.
  void BeginShutdown() {
    live_tail_.Shutdown();
    http_->BeginShutdown();
  }
  // Then evaluates the traces still waiting for their quiet delay (TraceFinisher::Drain), so a
  // restart loses none of their evaluations unless it takes over kShutdownEvaluationBudget.
  void Wait() {
    http_->Wait();
    finisher_.Drain(kShutdownEvaluationBudget);
  }

 private:
  App(const ServerOptions& options, store::Store& store, store::Catalog& catalog,
      const Clock& clock, std::unique_ptr<CatalogPriceSource> prices,
      std::unique_ptr<CatalogRedactionSource> redaction, std::vector<std::string> cors_origins);

  const RetentionDefaults retention_defaults_;
  ingest::DecoderRegistry decoders_;
  std::unique_ptr<CatalogPriceSource> prices_;  // the built-in catalog + project prices
  std::unique_ptr<CatalogRedactionSource> redaction_;  // built-in classes + default and project rules
  normalize::BatchNormalizer normalizer_;
  query::QueryService queries_;
  TraceFinisher finisher_;  // evaluates the traces the ingest handlers' writes touch
  LiveTail live_tail_;  // the spans each acknowledged ingest write brought, for GET /api/v1/tail
  WriteWatchingStore ingest_store_;  // the store, telling finisher_ and live_tail_ what each ingest write brought
  OtlpIngestHandler otlp_;
  LangsmithHandler langsmith_;
  LangfuseIngestHandler langfuse_;
  ScoreHandler scores_;
  Authenticator authenticator_;
  ClientRateLimits rate_limits_;
  CorsPolicy cors_;
  AuditLog audit_;  // before the routes that record into it; writes its queue when destroyed
  RetentionExpirer expirer_;  // a pass at start, then every kRetentionInterval
  WebhookSender webhooks_;       // alert deliveries; outlives alerts_, so open ones are reported failed
  WebhookSender test_webhooks_;  // POST /api/v1/alerts/test: one attempt, no retries
  AlertEvaluator alerts_;        // every project's alert rules, every alert_interval_s
  Router router_;
  RequestDispatcher dispatcher_;
  std::unique_ptr<HttpServer> http_;  // last: stopped before the pieces it calls are destroyed
};

}  // namespace trackly::server
