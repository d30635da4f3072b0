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
#include "model/workflow_rollup.h"
#include "store/metrics_query.h"
#include "store/score_metrics.h"

namespace trackly::store {

// The largest page a list query may ask for; every backend and every caller checks against it.
inline constexpr int kMaxListLimit = 1000;

// Changes one stored observation in place; returns true when it changed something. Must not
// change id or trace_id. Runs on a store-owned thread; must not call the store.
using ObservationRewrite = std::function<bool(model::Observation&)>;

// Observations and scores of one project to store. The project comes from the credential, never
// the body.
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
  // Scores (evaluations, feedback) of this project, stored in the same durable step. Each needs
  // an id and a trace_id; the trace need not be stored (yet). value is a number, string or bool.
  std::vector<model::Score> scores;
  // Optional: the JSON text each observation was decoded from (the spool fills it: a segment
  // holds each observation as model::AppendJson wrote it). Empty, or one per observation, with
  // model::ParseObservationJson(observation_json[i]) giving observations[i], except that the
  // fields model::ObservationFields::kSummary leaves out may be missing from observations[i]: the
  // store takes those from the text. The texts stay valid until `done` of the Write runs. A store
  // may keep a text as the observation's stored encoding instead of encoding the observation
  // again; a store that changes an observation before storing it must not.
  std::vector<std::string_view> observation_json;
};

// Called exactly once per Write, on a store-owned thread; must not block for long.
using WriteCallback = std::function<void(absl::Status)>;

// The orders a trace list can have: start time, latency (ms), total cost (USD), total tokens.
enum class TraceOrder { kStartTime, kLatency, kCost, kTokens };

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
  std::string text;           // full-text over inputs/outputs (TextQueryWords); needs capabilities().full_text_search
  // Traces with a score named score_name (its latest value per score id) that matches every bound
  // given: score_min <= value <= score_max for numeric scores (a boolean counts as 1 or 0; a
  // categorical one never matches a bound), value == score_value for categorical scores. The
  // bounds and score_value need score_name.
  std::string score_name;
  std::optional<double> score_min;
  std::optional<double> score_max;
  std::string score_value;
  // What the page is ordered by (then by trace id), descending unless `oldest_first`: newest,
  // slowest, most expensive or most tokens first by default.
  TraceOrder order_by = TraceOrder::kStartTime;
  bool oldest_first = false;  // ascending: oldest, fastest, cheapest or fewest tokens first
};

// The words of a full-text query (TraceQuery::text): its parts between whitespace. A trace
// matches when its input or output holds every word; how a backend matches a word is in its docs
// (docs/api.md "q"). Query syntax in the text (quotes, OR, NEAR) is taken literally.
std::vector<std::string> TextQueryWords(std::string_view text);

struct TracePage {
  std::vector<model::Trace> traces;
  std::string next_cursor;  // empty when there is no further page
};

struct TraceDetail {
  model::Trace trace;
  std::vector<model::Observation> observations;  // ordered by start_time, then id
};

// One page of one trace's observations (Store::ListTraceObservations).
struct ObservationQuery {
  std::string project;   // required
  std::string trace_id;  // required
  int limit = 100;       // 1..kMaxListLimit
  std::string cursor;    // opaque next_cursor of a previous page; empty = first page
  // Leave out what a view of the whole trace does not need, so a page costs no payload decoding:
  // input, output, metadata, attributes, events, model_parameters, status_message,
  // service_name, tool.call_id, cost.price_id and trace_hints stay default. Every other field
  // (ids, parent, name, type, status, error_type, level, times including completion_start_time,
  // model, provider, usage, cost, prompt, tool name, environment, release, retry_count) is as
  // stored.
  bool summary_only = false;
};

struct PagedObservation {
  model::Observation observation;
  // Bytes the backend stores for the whole observation (after its compression, if any): what
  // fetching it in full (Store::GetObservation) would read. Always > 0.
  int64_t stored_bytes = 0;
};

struct ObservationPage {
  model::Trace trace;  // the trace's summary, from the same snapshot as the page
  std::vector<PagedObservation> observations;  // ordered by start_time, then id
  std::string next_cursor;                     // empty when there is no further page
};

// Scores of one project, newest first (by time, then id). Every filter is an exact match.
struct ScoreQuery {
  std::string project;         // required
  std::string trace_id;
  std::string observation_id;
  std::string name;
  std::string source;
  int64_t from_ns = 0;         // score time >= from_ns; 0 = unbounded
  int64_t to_ns = 0;           // score time < to_ns; 0 = unbounded
  int limit = 50;              // 1..kMaxListLimit
  std::string cursor;          // opaque next_cursor of a previous page; empty = first page
};

struct ScorePage {
  std::vector<model::Score> scores;
  std::string next_cursor;  // empty when there is no further page
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

// A store that acknowledges writes from a local spool before they reach the backing store
// (spool/spooled_store.h) reports the spool; every other store leaves `enabled` false.
struct SpoolFigures {
  bool enabled = false;
  int64_t bytes = 0;               // on disk, acknowledged and not yet shipped
  int64_t max_bytes = 0;           // beyond it writes get Unavailable (503)
  int64_t records_waiting = 0;     // write batches acknowledged and not yet shipped
  int64_t ship_lag_ms = 0;         // age of the oldest of them; 0 when none
  int64_t consecutive_failures = 0;
  std::string last_error;          // the last shipping or disk failure since open; empty if none
  int64_t shipped_records = 0;     // since open
};

// Figures for /api/v1/health and the server's own metrics.
struct StoreStats {
  int64_t queued_batches = 0;
  int64_t queued_observations = 0;
  int64_t committed_observations = 0;  // since open
  int64_t commits = 0;                 // since open
  SpoolFigures spool;
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

// What Store::Erase removes (docs/security.md "Erasure"): the traces of `project` that the ONE
// selector set names.
struct EraseRequest {
  std::string project;     // required
  std::string trace_id;    // that trace (and the scores naming it, even with no trace stored)
  std::string session_id;  // every trace whose summary names this session
  std::string user_id;     // every trace whose summary names this user
};

// What Store::Erase removed.
struct EraseStats {
  int64_t traces = 0;        // trace summaries removed
  int64_t observations = 0;  // observations removed
  int64_t scores = 0;        // scores removed
};

// What Store::Expire removes of one project (docs/security.md "Retention"). Days are whole UTC
// days since 1970-01-01 (DayOf): an observation belongs to the day its start time falls in, a
// trace to the day of its start.
struct ExpireRequest {
  std::string project;  // required
  // The payload of every observation that started before this day goes: its input, output,
  // attributes, events, metadata and model parameters, the fragments it came in, the trace input,
  // output and metadata it carried, and the full-text entries of its trace. What stays is its
  // summary: ids, names, type, status, level, times, model, usage, cost, environment, release,
  // tags, session and user. 0 = no payload expires.
  int64_t payload_before_day = 0;
  // Every trace that started before this day goes entirely, as Erase removes a trace (the
  // metrics rollups included). 0 = no summary expires.
  int64_t summary_before_day = 0;
};

// What Store::Expire removed.
struct ExpireStats {
  int64_t partitions_dropped = 0;  // payload partitions (tables, files or parts) removed whole
  int64_t traces_cleared = 0;      // traces whose trace-level text (input, output, metadata) went
  int64_t traces_removed = 0;      // traces removed entirely (summary expiry)
};

// One finished run's contribution to the workflow rollups (Store::RecordWorkflowRuns): its
// WorkflowRollup alone, keyed by what the trace summary says when it is recorded.
struct WorkflowRun {
  std::string trace_id;
  std::string name;         // the trace's name
  std::string environment;  // the trace's
  std::string release;      // the trace's
  int64_t start_ns = 0;     // the trace's start: the run counts in this hour
  model::WorkflowRollup rollup;
};

// The workflow rollups of one trace name (Store::QueryWorkflowRollup). Runs count in the UTC
// hour of their start; the query covers every hour that overlaps [from_ns, to_ns).
struct WorkflowRollupQuery {
  std::string project;  // required
  std::string name;     // required: the trace name
  std::optional<std::string> environment;  // exact match when set
  std::optional<std::string> release;      // exact match when set
  int64_t from_ns = 0;  // 0 = unbounded
  int64_t to_ns = 0;    // 0 = unbounded
};

inline constexpr int64_t kNanosPerHour = int64_t{3'600} * 1'000'000'000;

// Thread-safe: any method may be called from any thread, concurrently.
//
// Writes: Write() enqueues and returns at once. `done` is called exactly once:
//   OK           everything in the batch is durable (survives kill -9 of the process),
//                and every read started after `done` sees it;
//   Unavailable  the write queue is full or the store is draining; nothing was written, the
//                client should retry later;
//   other        nothing of the batch is acknowledged.
// Writes are idempotent upserts on (project, trace_id, observation id): writing the same key
// again replaces the stored observation, so a retried batch leaves no duplicates. Scores are
// upserts on (project, score id): a later write of an id replaces the stored score. Trace and
// session summaries are updated in the same durable step and always equal
// model::SummarizeTrace / SummarizeSession over what is stored, whatever the arrival order.
// Timestamps are stored to the microsecond (the API's precision); finer digits are floored.
//
// Reads: every key includes the project; a trace or session of another project is NotFound, and
// another project's scores are never listed.
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
  // The observations of one trace a page at a time, in GetTrace's order (start_time, then id).
  // Following next_cursor from the first page visits every observation stored when the first page
  // was read exactly once; the cursor is a keyset position, so an observation written meanwhile
  // appears if it sorts after the page being read and an observation rewritten with a new start
  // time may be seen twice or not at all. A page reads only its own rows (never the whole trace);
  // with summary_only it decodes no payload. NotFound when the trace has no observations in
  // `project`; InvalidArgument for a missing project or trace id, a limit outside
  // 1..kMaxListLimit or a malformed cursor; Unimplemented for a backend without it (the default).
  virtual absl::StatusOr<ObservationPage> ListTraceObservations(const ObservationQuery& query);
  // One observation of a trace, every field. NotFound when `project` has no observation of that
  // id in that trace; Unimplemented for a backend without it (the default).
  virtual absl::StatusOr<model::Observation> GetObservation(std::string_view project, std::string_view trace_id,
                                                            std::string_view observation_id);
  virtual absl::StatusOr<SessionPage> ListSessions(const SessionQuery& query) = 0;
  // InvalidArgument for a missing project, a limit outside 1..kMaxListLimit or a malformed cursor.
  virtual absl::StatusOr<ScorePage> ListScores(const ScoreQuery& query) = 0;
  // The trace id of an observation written as fragments (WriteBatch::fragments: the formats
  // whose clients later refer to an observation by its id alone, e.g. LangSmith feedback on a
  // run), as the merge of its stored fragments says; NotFound when no fragment of that id in
  // `project` names a trace. An observation written whole (WriteBatch::observations) may be
  // NotFound too: the clients of those formats always send the trace id.
  virtual absl::StatusOr<std::string> FindTraceIdOfObservation(std::string_view project,
                                                               std::string_view observation_id) = 0;
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

  // Erasure (a data-subject request): removes every trace `request` names with everything stored
  // of it — its observations, their fragments, the scores on the trace, its full-text entries and
  // its contributions to the metrics rollups (rollup rows that only it fed, and rollup keys naming
  // only its user or session, go too) — and recomputes the sessions it belonged to (a session
  // left with no trace disappears). Blocks until done. When it returns OK no read returns any of
  // it, and the backend has removed it from its files rather than merely hiding it (how, per
  // backend: docs/security.md "Erasure"). Ordered with writes: everything acknowledged before
  // Erase was called is erased; a span written afterwards starts the trace anew. Erasing what does
  // not exist is OK with zero counts. InvalidArgument unless exactly one selector is set (or no
  // project); Unavailable when draining; Unimplemented for a backend without it (the default).
  virtual absl::StatusOr<EraseStats> Erase(const EraseRequest& request);

  // Tail sampling (docs/insight.md "Tail sampling"): removes each trace of `project` named in
  // `trace_ids` as Erase removes a trace (its observations, fragments, the scores on it, its
  // full-text entries and summary; its sessions recomputed) but KEEPS what it contributed to the
  // metrics rollups (QueryMetrics) and workflow rollups (QueryWorkflowRollup), so dashboards,
  // alerts and workflow graphs still count every run; an Erase naming the trace (by id, user or
  // session) or a summary Expire of its start day still takes that share. Not an erasure: the
  // backend may leave the bytes in free pages or unmerged parts until its normal housekeeping.
  // Ids with no trace are skipped. Ordered with writes like Erase; blocks until done. InvalidArgument for a missing
  // project or an empty id; Unavailable when draining; Unimplemented for a backend without it
  // (the default).
  virtual absl::StatusOr<EraseStats> DropSampledOut(std::string_view project, const std::vector<std::string>& trace_ids);

  // Retention (docs/security.md "Retention"): removes what `request` says has expired. Payloads
  // are removed by dropping whole partitions (how, per backend: the doc), never row by row on the
  // write path; once it returns OK no read returns an expired payload: GetTrace, GetObservation
  // and ListTraceObservations return such an observation with only its summary fields and
  // payload_expired set, a trace's expired input/output/metadata read as absent and its text no
  // longer matches a search. Something written later into an expired day is removed by the next
  // Expire (the server calls it periodically). Blocks until done; idempotent (a second call with
  // the same request removes nothing more and is cheap when nothing was written meanwhile).
  // InvalidArgument for a missing project or a negative day; Unavailable when draining;
  // Unimplemented for a backend without it (the default).
  virtual absl::StatusOr<ExpireStats> Expire(const ExpireRequest& request);
  // Tells the store the retention `project` follows from now on, in days (0 = keep forever;
  // store/retention.h ValidateRetention holds): the payload_days and summary_days the server
  // turns into that project's ExpireRequests. The server calls it for every project at start and
  // on every retention pass, and at once when a project's retention changes through the API. A
  // backend may use it
  //  - to lay out what it writes next by retention (ClickHouse: the retention class in the
  //    partition key, docs/scale-out.md "Retention"), so that expiry can drop whole partitions;
  //    where a row was put never changes what reads return or what Expire removes;
  //  - in an Expire of another project, to also remove what this retention has expired at the
  //    store's clock (a day d of a tier of N days has expired once d < DayOf(now) - N) where it
  //    shares a partition with that project, removed as this project's own Expire would remove it
  //    (a summary expiry of its traces takes their scores and recomputes their sessions, as Erase
  //    does). A project never noted keeps everything as far as other projects' Expire goes.
  // Thread-safe, cheap (no I/O), never fails. The default does nothing (SQLite's payload
  // partitions are per project and day already, store/sqlite/payload_partitions.h).
  virtual void NoteRetention(std::string_view project, int32_t payload_days, int32_t summary_days);

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

  // Aggregates over the project's scores (store/score_metrics.h), e.g. the pass rate of each
  // process rule or the traces flagged per finding kind. Each stored score counts once, as last
  // written (a replaced score with its latest name, value, source and time; an erased or expired
  // one not at all), in the time bucket of its score time. One row per (time bucket, group) with
  // at least one score, ordered by time, then group (bytewise); a measure without a value (an
  // average or rate of nothing) is nullopt. Reads the matching scores themselves, not rollups: the
  // cost grows with the number of scores in the range (and of the name or prefix, when given).
  // Another project's scores are never counted. InvalidArgument naming the field for a query
  // ValidateScoreMetricsQuery rejects; Unimplemented for a backend without it (the default).
  virtual absl::StatusOr<MetricsResult> QueryScoreMetrics(const ScoreMetricsQuery& query);

  // Workflow rollups (docs/insight.md "Workflow graph"), written at a trace's completion by the
  // server's evaluation (server/trace_finisher.h): replaces each run's previous contribution, if
  // it has one, with the one given (a re-evaluated trace, whose hour, name, environment or release
  // may have changed, is counted once), durably when it returns OK. Erase removes a trace's
  // contribution with the trace; Expire removes the hours whose day's summaries expired.
  // InvalidArgument for a missing project or a run without trace id or name; Unavailable when
  // draining; Unimplemented for a backend without it (the default).
  virtual absl::Status RecordWorkflowRuns(std::string_view project, std::vector<WorkflowRun> runs);
  // The sum of the contributions of the runs `query` selects: a read of the rollups kept per
  // (name, environment, release, hour), never of observations, so its cost grows with the hours
  // and distinct nodes in range, not with the runs. InvalidArgument for a missing project or
  // name or from >= to (both set); Unimplemented for a backend without it (the default).
  virtual absl::StatusOr<model::WorkflowRollup> QueryWorkflowRollup(const WorkflowRollupQuery& query);
};

// The value `trace` is ordered by under `order`, as an int64 for a keyset cursor: the start time,
// the total tokens, or the bit pattern of the latency (ms) or total cost (a double);
// TraceOrderValue turns it back into the double a backend compares latency or cost with.
int64_t TraceOrderKey(const model::Trace& trace, TraceOrder order);
double TraceOrderValue(int64_t key);

// InvalidArgument naming what is missing when `batch` breaks WriteBatch's contract (an
// observation or score without id or trace_id, a fragment without id or event_id, no project).
// Every backend's Write checks this before accepting a batch.
absl::Status ValidateWriteBatch(const WriteBatch& batch);

// Makes each of `batch`'s observations whole again from its text (WriteBatch::observation_json),
// and drops the texts: for a store that encodes observations, not texts. InvalidArgument naming
// the observation when a text does not parse.
absl::Status ObservationsFromTexts(WriteBatch& batch);

// InvalidArgument naming the problem unless `request` has a project and exactly one selector.
// Every backend's Erase checks this first.
absl::Status ValidateEraseRequest(const EraseRequest& request);

// InvalidArgument naming the problem unless `request` has a project and no negative day.
absl::Status ValidateExpireRequest(const ExpireRequest& request);

// InvalidArgument naming the problem for a missing project or an empty trace id. Every backend's
// DropSampledOut checks this first.
absl::Status ValidateDropSampledOut(std::string_view project, const std::vector<std::string>& trace_ids);

// The UTC day (days since 1970-01-01) of a time in nanoseconds since the epoch; days before 1970
// are negative. Day d starts at d * kNanosPerDay.
inline constexpr int64_t kNanosPerDay = int64_t{86'400} * 1'000'000'000;
int64_t DayOf(int64_t time_ns);

// InvalidArgument naming the problem for a missing project or a run without trace id or name.
// Every backend's RecordWorkflowRuns checks this first.
absl::Status ValidateWorkflowRuns(std::string_view project, const std::vector<WorkflowRun>& runs);

// InvalidArgument naming the problem for a missing project or name, or from_ns >= to_ns when
// both are set. Every backend's QueryWorkflowRollup checks this first.
absl::Status ValidateWorkflowRollupQuery(const WorkflowRollupQuery& query);

// The UTC hour (hours since 1970-01-01) of a time in nanoseconds since the epoch, floored like
// DayOf: the bucket of a workflow run.
int64_t HourOf(int64_t time_ns);

// Writes and waits: the synchronous form of Store::Write, for the CLI and tests.
absl::Status WriteAndWait(Store& store, WriteBatch batch);

}  // namespace trackly::store
