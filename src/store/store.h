// The storage interface every backend implements (SQLite today, ClickHouse later). Backend types
// (sqlite3*, SQL text, HTTP clients) never appear here. One conformance suite
// (store/conformance/) runs against every backend.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/observation.h"
#include "model/observation_fragment.h"
#include "store/metrics_query.h"

namespace trackly::store {

// The largest page a list query may ask for; every backend and every caller checks against it.
inline constexpr int kMaxListLimit = 1000;

// Changes one stored observation in place; returns true when it changed something. Must not
// change id or trace_id. Runs on a store-owned thread; must not call the store.
using ObservationRewrite = std::function<bool(model::Observation&)>;

// Observations of one project to store. The project comes from the credential, never the body.
struct WriteBatch {
  std::string project;
  std::vector<model::Observation> observations;
  // Pieces of observations (model/observation_fragment.h). The store keeps every fragment and
  // stores, per observation id, the merge of all fragments it has of that id, in the same durable
  // step as `observations`; the result is the same whatever order the fragments arrive in. An
  // observation whose merge has no trace_id or no start time yet is kept but not visible.
  std::vector<model::ObservationFragment> fragments;
  // Called on every merged observation before it is stored (e.g. to compute its cost once the
  // model and usage of different fragments come together). May be empty.
  ObservationRewrite finish_merged;
};

// Called exactly once per Write, on a store-owned thread; must not block for long.
using WriteCallback = std::function<void(absl::Status)>;

struct TraceQuery {
  std::string project;        // required
  int64_t from_ns = 0;        // trace start_time >= from_ns; 0 = unbounded
  int64_t to_ns = 0;          // trace start_time < to_ns; 0 = unbounded
  int limit = 50;             // 1..kMaxListLimit
  std::string cursor;         // opaque next_cursor of a previous page; empty = first page
  std::string name;           // exact trace name
  std::string user_id;
  std::string session_id;
  std::string environment;
  std::string release;
  std::string tag;            // trace has this tag
  std::string model;          // some generation of the trace used this model
  std::optional<model::Status> status;
  double min_latency_ms = 0;  // 0 = no bound
  double min_cost = 0;        // USD; 0 = no bound
  std::string text;           // full-text over inputs/outputs; needs capabilities().full_text_search
  bool oldest_first = false;  // default newest first (by start_time, then id)
};

struct TracePage {
  std::vector<model::Trace> traces;
  std::string next_cursor;  // empty when there is no further page
};

struct TraceDetail {
  model::Trace trace;
  std::vector<model::Observation> observations;  // ordered by start_time, then id
};

struct SessionQuery {
  std::string project;   // required
  int64_t from_ns = 0;   // session last_time >= from_ns; 0 = unbounded
  int64_t to_ns = 0;     // session first_time < to_ns; 0 = unbounded
  int limit = 50;        // 1..kMaxListLimit
  std::string cursor;
  std::string user_id;
};

struct SessionPage {
  std::vector<model::Session> sessions;  // newest last_time first
  std::string next_cursor;
};

struct SessionDetail {
  model::Session session;
  std::vector<model::Trace> traces;  // in start order
};

// What a backend can do; callers refuse (or fall back) rather than fake a missing capability.
struct Capabilities {
  bool full_text_search = false;
};

// Figures for /api/v1/health and the server's own metrics.
struct StoreStats {
  int64_t queued_batches = 0;
  int64_t queued_observations = 0;
  int64_t committed_observations = 0;  // since open
  int64_t commits = 0;                 // since open
};

// Which stored observations Store::RewriteObservations visits.
struct RewriteRange {
  std::string project;  // required
  int64_t from_ns = 0;  // observation start_time >= from_ns; 0 = unbounded
  int64_t to_ns = 0;    // observation start_time < to_ns; 0 = unbounded
};

// What Store::RewriteObservations did.
struct RewriteStats {
  int64_t observations_visited = 0;    // in the range
  int64_t observations_rewritten = 0;  // the rewrite reported a change
  int64_t traces_rewritten = 0;        // traces whose summary was recomputed
};

// Thread-safe: any method may be called from any thread, concurrently.
//
// Writes: Write() enqueues and returns at once. `done` is called exactly once:
//   OK           every observation of the batch is durable (survives kill -9 of the process),
//                and every read started after `done` sees it;
//   Unavailable  the write queue is full or the store is draining; nothing was written, the
//                client should retry later;
//   other        nothing of the batch is acknowledged.
// Writes are idempotent upserts on (project, trace_id, observation id): writing the same key
// again replaces the stored observation, so a retried batch leaves no duplicates. Trace and
// session summaries are updated in the same durable step and always equal
// model::SummarizeTrace / SummarizeSession over what is stored, whatever the arrival order.
// Timestamps are stored to the microsecond (the API's precision); finer digits are floored.
//
// Reads: every key includes the project; a trace or session of another project is NotFound.
class Store {
 public:
  virtual ~Store() = default;

  virtual Capabilities capabilities() const = 0;
  virtual StoreStats stats() const = 0;

  virtual void Write(WriteBatch batch, WriteCallback done) = 0;
  // Stops accepting writes (later ones get Unavailable) and returns once every write accepted
  // before has been made durable and its callback has run. Idempotent.
  virtual void Drain() = 0;

  // InvalidArgument for a malformed cursor or a text query without full_text_search.
  virtual absl::StatusOr<TracePage> ListTraces(const TraceQuery& query) = 0;
  // NotFound when the trace has no observations in `project`.
  virtual absl::StatusOr<TraceDetail> GetTrace(std::string_view project,
                                               std::string_view trace_id) = 0;
  virtual absl::StatusOr<SessionPage> ListSessions(const SessionQuery& query) = 0;
  // NotFound when no trace of `project` has this session id.
  virtual absl::StatusOr<SessionDetail> GetSession(std::string_view project,
                                                   std::string_view session_id) = 0;

  // Maintenance (e.g. re-pricing after a price change, `trackly cost recompute`): calls `rewrite`
  // on every stored observation in `range` and stores each one it reports changed, as a Write of
  // it would, with the trace and session summaries recomputed in the same durable transaction.
  // Blocks until done. Work is committed trace by trace (many traces per transaction, never part
  // of one), so a failure part-way leaves every trace either rewritten or untouched, and always
  // consistent; an idempotent rewrite can simply be run again. Writes racing with it are ordered
  // with its transactions (a later write wins). InvalidArgument for a missing project or a
  // rewrite that changed an id; Unavailable when draining; Unimplemented for a backend without
  // the capability (the default).
  virtual absl::StatusOr<RewriteStats> RewriteObservations(const RewriteRange& range,
                                                           const ObservationRewrite& rewrite);

  // Metrics over the rollups the backend maintains at ingest (store/metrics_query.h), never a
  // scan of observations: the cost of a query grows with the number of time buckets and rollup
  // keys in its range, not with the number of spans. The answer always equals aggregating
  // model::ObservationRollupValues / TraceRollupValues over what is stored (every acknowledged
  // write, replacement and RewriteObservations included, whatever the arrival order), bucketed
  // by observation (run) start time; sums are exact, percentiles within 1 % (LatencySketch).
  // InvalidArgument (naming it) for a dimension or measure the query's rollup lacks
  // (RollupKindFor), no measure, a repeated dimension or from >= to; Unimplemented for a
  // backend without rollups (the default).
  virtual absl::StatusOr<MetricsResult> QueryMetrics(const MetricsQuery& query);
};

// Writes and waits: the synchronous form of Store::Write, for the CLI and tests.
absl::Status WriteAndWait(Store& store, WriteBatch batch);

}  // namespace trackly::store
