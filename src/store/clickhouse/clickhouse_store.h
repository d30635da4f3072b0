// The ClickHouse storage backend (issue 7): tables in store/clickhouse/schema/, spoken to over
// ClickHouse's HTTP interface (http_client.h) with RowBinary inserts and reads (row_binary.h).
//
// How it keeps the Store contract (store.h) on ReplacingMergeTree tables:
//  - Idempotent upserts: observations are keyed by (project, trace_id, id), scores by
//    (project, id), fragments by (project, observation id, event id). Every read collapses the
//    rows of a key with argMax(…, version) (never FINAL, never assuming a merge happened), so a
//    retried insert, which only adds rows equal to or newer than the stored ones, doubles nothing.
//  - Summaries: after a batch's observations are inserted, the writer reads back ALL stored
//    observations of each trace the batch touched, stores model::SummarizeTrace of them, then
//    recomputes every session those traces left or joined (model::SummarizeSession over the
//    traces whose latest summary names it, found through session_traces: queries.h
//    TracesOfSessionsSql). A summary row's version is the node's clock taken just BEFORE the
//    read it was computed from, and within a node versions strictly increase.
//    Clock assumption: nodes writing the same trace have clocks closer than the time between
//    two of their writes to it (NTP); then the summary with the highest version saw every insert
//    that completed before it, and of two upserts of one key the later one wins. One node alone
//    is always exact.
//  - Write(): batches queue (bounded by max_queue_observations) for one store-owned worker
//    thread that inserts them synchronously, in arrival order; `done` runs on that thread after
//    ClickHouse acknowledged every insert of the batch. Visibility: an acknowledged batch is
//    visible to every later read of a non-replicated table. Durability is ClickHouse's: an
//    acknowledged insert is written to its data parts, but ClickHouse does not fsync them by
//    default, so "survives kill -9 of trackly" holds and "survives power loss of the ClickHouse
//    host" does not (the durable spool, src/spool/, will sit in front of these writes).
//  - Failure: ClickHouse has no transactions. A batch that fails part-way reports the error; the
//    rows it already inserted stay, and until the client's retry (which upserts the same keys) or
//    the next write of the trace, the trace's summary may lag its observations.
//  - Reads are single queries, or (GetTrace, GetSession, ListTraceObservations) two queries
//    without a common snapshot: during concurrent writes to the same trace the summary may be
//    from a moment just before or after the observations.
//  - Cost: a trace list chooses its page from the collapsed values of only the columns its
//    filters and order read (newest-first lists in a window of recent hours, widened when the
//    page is short), then reads the chosen summary rows whole; lists never read observations.
//
//  - Metrics: per-trace rollup rows written with the summaries, collapsed like them at query
//    time (rollups.h), plus exact per-hour sums of them computed by queries and kept while no
//    write touched the hour since (rollup_hours, rollups.h): a query reads the hour sums of the
//    settled hours of its range and the rollup rows of the rest, never observations.
//  - Workflow rollups: signed per-item deltas per (name, environment, release, hour) in a
//    SummingMergeTree, summed at query time (workflow.h). Unlike the tables above they are not
//    upserts: a RecordWorkflowRuns that fails between its two inserts, or two nodes recording the
//    same trace at the same moment, can leave a run's difference counted twice or not taken back.
//  - Retention (Expire): the tables expiry acts on are partitioned by (retention class, day), the
//    class being the project's retention when the row was written (NoteRetention,
//    clickhouse/retention_classes.h). A partition is dropped or cleared whole where every
//    project with rows in it has that day expired under its current retention, mutations
//    elsewhere (expirer.h). An observation whose payload expired keeps its summary column; its
//    payload and trace_payload columns are empty, which reads take as payload_expired.
//
//  - Full-text search (TraceQuery::text) looks for each word as a case-insensitive substring of
//    the trace summaries' input and output JSON text, scanning those columns of the candidate
//    rows; there is no text index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "store/clickhouse/http_client.h"
#include "store/store.h"

namespace trackly::store {

struct ClickHouseStoreOptions {
  clickhouse::HttpClientOptions server;  // where ClickHouse's HTTP interface listens, and the credential
  std::string database = "trackly";     // created if missing
  std::string cluster;                   // the cluster to lay the tables out on (schema.h); empty: none
  // Observations, fragments and scores accepted but not yet inserted; a Write that would exceed
  // it gets Unavailable.
  size_t max_queue_observations = 200000;
  // Observation payloads at least this long are zstd-compressed by the writer (as in SQLite).
  size_t compress_min_bytes = 4096;
  // Gives row versions; null = the system clock. Must outlive the store.
  const Clock* clock = nullptr;
  // How often the store computes settled hour sums in the background (hour_sums_filler.h), the
  // first time one interval after it opens; zero: never (queries still compute what they need).
  absl::Duration hour_sums_fill_interval = absl::Minutes(5);
};

namespace clickhouse {
class Database;
class HourSumsFiller;
class RetentionClasses;
class Writer;
struct ServerInfo;
}  // namespace clickhouse

// Thread-safe (the Store contract). Reads run on the calling thread, each query on a pooled
// HTTP connection; writes run on the worker thread.
class ClickHouseStore final : public Store {
 public:
  // Connects, creates the database and migrates its tables, then starts the worker thread.
  // Unavailable when ClickHouse cannot be reached.
  static absl::StatusOr<std::unique_ptr<ClickHouseStore>> Open(const ClickHouseStoreOptions& options);
  ~ClickHouseStore() override;  // Drain()s first

  Capabilities capabilities() const override;
  StoreStats stats() const override;
  void Write(WriteBatch batch, WriteCallback done) override;
  void Drain() override;
  absl::StatusOr<TracePage> ListTraces(const TraceQuery& query) override;
  absl::StatusOr<TraceDetail> GetTrace(std::string_view project, std::string_view trace_id) override;
  // A summary page reads each row's summary column (rows.h SummaryOf), never its payload.
  absl::StatusOr<ObservationPage> ListTraceObservations(const ObservationQuery& query) override;
  absl::StatusOr<model::Observation> GetObservation(std::string_view project, std::string_view trace_id,
                                                    std::string_view observation_id) override;
  absl::StatusOr<SessionPage> ListSessions(const SessionQuery& query) override;
  absl::StatusOr<SessionDetail> GetSession(std::string_view project, std::string_view session_id) override;
  absl::StatusOr<ScorePage> ListScores(const ScoreQuery& query) override;
  absl::StatusOr<std::string> FindTraceIdOfObservation(std::string_view project,
                                                       std::string_view observation_id) override;
  absl::StatusOr<MetricsResult> QueryMetrics(const MetricsQuery& query) override;
  // One GROUP BY over the newest row of each of the project's scores that a row in the range
  // (and of the name, prefix or source) names; day partitions outside the range are skipped when
  // looking for them.
  absl::StatusOr<MetricsResult> QueryScoreMetrics(const ScoreMetricsQuery& query) override;
  // Lists the range's traces, then rewrites them kRewriteTracesPerJob at a time on the worker
  // thread (ordered with this node's writes). Each job inserts its changed observations in one
  // insert, then their summaries; a job that fails leaves its traces' summaries as they were
  // until the (idempotent) rewrite is run again.
  absl::StatusOr<RewriteStats> RewriteObservations(const RewriteRange& range,
                                                   const ObservationRewrite& rewrite) override;
  // On the worker thread, with mutations it waits for (clickhouse/eraser.h).
  absl::StatusOr<EraseStats> Erase(const EraseRequest& request) override;
  // On the worker thread, as Erase but keeping the rollup rows (clickhouse/eraser.h
  // DropSampledOutTraces): mutations it waits for.
  absl::StatusOr<EraseStats> DropSampledOut(std::string_view project,
                                            const std::vector<std::string>& trace_ids) override;
  // On the worker thread: partitions dropped or cleared whole where every project with rows in
  // them has that day expired, mutations it waits for elsewhere (clickhouse/expirer.h); "now" for
  // the other projects' retention is options.clock.
  absl::StatusOr<ExpireStats> Expire(const ExpireRequest& request) override;
  // Rows written from now on get this retention class; other projects' Expire count this
  // retention for `project` (clickhouse/retention_classes.h).
  void NoteRetention(std::string_view project, int32_t payload_days, int32_t summary_days) override;
  // On the worker thread: one read of the runs' previous contributions, one insert of signed cell
  // deltas, one insert of the runs' rows (clickhouse/workflow.h, which says what a failure
  // between the inserts or two nodes recording one trace at once leave behind).
  absl::Status RecordWorkflowRuns(std::string_view project, std::vector<WorkflowRun> runs) override;
  // One GROUP BY over the cells of the name and hours in range; exact before any merge.
  absl::StatusOr<model::WorkflowRollup> QueryWorkflowRollup(const WorkflowRollupQuery& query) override;

 private:
  ClickHouseStore(ClickHouseStoreOptions options, std::unique_ptr<clickhouse::HttpClient> client,
                  const clickhouse::ServerInfo& server);
  // Rewrites the summaries of traces other nodes wrote to while a migration copied their tables
  // (ApplySchema's answer), on the worker thread.
  absl::Status RewriteSummaries(const std::map<std::string, std::vector<std::string>>& trace_ids_by_project);

  const ClickHouseStoreOptions options_;
  const Clock& clock_;  // options_.clock, or the system clock
  std::unique_ptr<clickhouse::HttpClient> client_;
  std::unique_ptr<clickhouse::Database> db_;  // borrows client_
  std::unique_ptr<clickhouse::RetentionClasses> classes_;
  std::unique_ptr<clickhouse::Writer> writer_;  // borrows db_, clock_ and classes_
  std::unique_ptr<clickhouse::HourSumsFiller> filler_;  // borrows db_, clock_ and classes_; null when off
};

}  // namespace trackly::store
