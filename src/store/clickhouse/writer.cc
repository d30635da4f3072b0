#include "store/clickhouse/writer.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status.h"
#include "model/summary.h"
#include "store/clickhouse/rollups.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/rows.h"
#include "store/sqlite/payload.h"

namespace trackly::store::clickhouse {
namespace {

// How long the worker keeps the observations insert's buffer (Writer::observation_rows_) once
// nothing is left to write: a spool drain ships segment after segment well within it.
constexpr absl::Duration kKeepInsertBufferIdle = absl::Seconds(1);

bool ByStartThenId(const model::Trace& a, const model::Trace& b) {
  return std::tie(a.start_time_ns, a.id) < std::tie(b.start_time_ns, b.id);
}

// Pointers to `observations` sorted by (trace id, id), to only the last copy of each (trace id,
// id): as if each were written in turn. Pointers, so that no observation moves: a shipment holds
// tens of thousands, and moving each (a map keyed by the ids did, twice) cost more than the sort.
std::vector<model::Observation*> LastOfEachKey(std::vector<model::Observation>& observations) {
  std::vector<model::Observation*> order;
  order.reserve(observations.size());
  for (model::Observation& o : observations) order.push_back(&o);
  // Stable, so that of equal keys the last in `observations` is the last of its run.
  std::stable_sort(order.begin(), order.end(), [](const model::Observation* x, const model::Observation* y) {
    if (const int c = x->trace_id.compare(y->trace_id); c != 0) return c < 0;
    return x->id < y->id;
  });
  std::vector<model::Observation*> unique;
  unique.reserve(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    const model::Observation* next = i + 1 < order.size() ? order[i + 1] : nullptr;
    if (next == nullptr || next->trace_id != order[i]->trace_id || next->id != order[i]->id) unique.push_back(order[i]);
  }
  return unique;
}

// The trace ids of `observations` (sorted by trace id), each once.
std::vector<std::string> TraceIdsOfSorted(std::span<model::Observation* const> observations) {
  std::vector<std::string> ids;
  for (const model::Observation* o : observations) {
    if (ids.empty() || ids.back() != o->trace_id) ids.push_back(o->trace_id);
  }
  return ids;
}

// Frees what is large in `o` (its free-form JSON and events), without allocating, as
// assigning a fresh Observation would (its empty JSON objects).
void FreeLargeFields(model::Observation& o) {
  for (model::Json* json : {&o.input, &o.output, &o.metadata, &o.attributes, &o.model_parameters,
                            &o.trace_hints.trace_input, &o.trace_hints.trace_output, &o.trace_hints.trace_metadata}) {
    *json = nullptr;
  }
  std::vector<model::Event>().swap(o.events);
}

}  // namespace

Writer::Writer(const Database& db, const Clock& clock, const RetentionClasses& classes, size_t max_queue_observations,
               size_t compress_min_bytes)
    : db_(db),
      clock_(clock),
      classes_(classes),
      max_queue_observations_(max_queue_observations),
      compress_min_bytes_(compress_min_bytes),
      thread_([this] { Run(); }) {}

Writer::~Writer() {
  Drain();
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void Writer::Write(WriteBatch batch, WriteCallback done) {
  Pending pending{.batch = {}, .done = std::move(done), .rejected = ValidateWriteBatch(batch)};
  if (pending.rejected.ok()) {
    pending.queued = static_cast<int64_t>(batch.observations.size() + batch.fragments.size() + batch.scores.size());
    pending.batch = std::move(batch);
  }
  Enqueue(std::move(pending));
}

void Writer::RunJob(Job job, WriteCallback done) {
  Enqueue(Pending{.batch = {}, .done = std::move(done), .job = std::move(job)});
}

void Writer::Enqueue(Pending pending) {
  absl::MutexLock lock(&mu_);
  if (pending.rejected.ok()) {
    if (draining_) {
      pending.rejected = absl::UnavailableError("store is shutting down");
    } else if (queued_observations_ + pending.queued > static_cast<int64_t>(max_queue_observations_)) {
      pending.rejected = absl::UnavailableError(absl::StrCat("write queue full (", queued_observations_,
                                                             " observations queued, limit ",
                                                             max_queue_observations_, ")"));
    }
  }
  if (!pending.rejected.ok()) {
    pending.queued = 0;
    pending.batch = {};
  }
  queued_observations_ += pending.queued;
  ++queued_batches_;
  queue_.push_back(std::move(pending));
}

void Writer::Drain() {
  absl::MutexLock lock(&mu_);
  draining_ = true;
  mu_.Await(absl::Condition(
      +[](Writer* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) { return w->queue_.empty() && !w->busy_; }, this));
}

StoreStats Writer::stats() const {
  absl::MutexLock lock(&mu_);
  return StoreStats{.queued_batches = queued_batches_,
                    .queued_observations = queued_observations_,
                    .committed_observations = committed_observations_,
                    .commits = commits_};
}

void Writer::Run() {
  const absl::Condition has_work(
      +[](Writer* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) { return !w->queue_.empty() || w->stopping_; }, this);
  while (true) {
    Pending pending;
    bool idle = false;
    {
      absl::MutexLock lock(&mu_);
      if (observation_rows_.allocated()) {
        idle = !mu_.AwaitWithTimeout(has_work, kKeepInsertBufferIdle);
      } else {
        mu_.Await(has_work);
      }
      if (!idle) {
        if (queue_.empty()) return;  // stopping, and Drain() saw everything applied
        pending = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
      }
    }
    if (idle) {  // outside the lock: unmapping ~100 MB is not free
      observation_rows_.Free();
      continue;
    }
    absl::StatusOr<int64_t> stored = !pending.rejected.ok() ? absl::StatusOr<int64_t>(pending.rejected)
                                     : pending.job           ? pending.job()
                                                             : Apply(pending.batch);
    {
      absl::MutexLock lock(&mu_);
      queued_observations_ -= pending.queued;
      --queued_batches_;
      if (stored.ok()) {
        committed_observations_ += *stored;
        ++commits_;
      }
    }
    pending.done(stored.status());
    absl::MutexLock lock(&mu_);
    busy_ = false;
  }
}

uint64_t Writer::NextVersion() {
  last_version_ = std::max(last_version_ + 1, static_cast<uint64_t>(std::max<int64_t>(clock_.NowNanos(), 0)));
  return last_version_;
}

absl::StatusOr<int64_t> Writer::Apply(WriteBatch& batch) {
  const std::string& project = batch.project;
  // The last copy of an observation in the batch wins, as if each were written in turn (rows of
  // one insert share a version, so only that copy is sent): LastOfEachKey below, after the
  // observations merged from fragments, which come later.
  std::vector<model::Observation> observations = std::move(batch.observations);
  // A no-op for observations decoded from texts (observation_json): those hold whole microseconds,
  // so each text still encodes its observation.
  for (model::Observation& o : observations) sqlite::FloorTimesToMicros(o);

  if (!batch.fragments.empty()) {
    // The first stored copy of a (observation, event) wins, so fragment versions count down.
    const uint64_t fragment_version = std::numeric_limits<uint64_t>::max() - NextVersion();
    RowBinaryWriter rows;
    std::set<std::string> ids;
    for (const model::ObservationFragment& fragment : batch.fragments) {
      model::Observation observation = fragment.observation;
      sqlite::FloorTimesToMicros(observation);
      rows.String(project);
      rows.String(observation.id);
      rows.String(fragment.event_id);
      rows.UInt64(fragment_version);
      rows.DateOfNanos(fragment.event_time_ns);
      AppendRetentionClass(rows, classes_.ClassOf(project));
      rows.UInt8(fragment.kind == model::FragmentKind::kCreate ? 0 : 1);
      rows.Int64(fragment.event_time_ns);
      rows.UInt64(fragment.fields);
      rows.String(sqlite::EncodePayload(observation, compress_min_bytes_));
      ids.insert(observation.id);
    }
    TRACKLY_RETURN_IF_ERROR(db_.Insert(InsertFragmentSql(), rows.data()));
    // Merged from what is stored, never from the fragments in memory: the stored ones are what a
    // later merge of the same id (on any node) will see.
    TRACKLY_ASSIGN_OR_RETURN(FragmentsById stored_fragments,
                             ReadFragmentsOf(db_, project, std::vector<std::string>(ids.begin(), ids.end())));
    for (const std::string& id : ids) {
      model::Observation merged = model::MergeFragments(stored_fragments[id]);
      if (merged.trace_id.empty() || merged.start_time_ns == 0) continue;  // pending until completed
      if (batch.finish_merged) batch.finish_merged(merged);
      sqlite::FloorTimesToMicros(merged);
      observations.push_back(std::move(merged));
    }
  }

  const std::vector<model::Observation*> unique = LastOfEachKey(observations);
  const int64_t stored = static_cast<int64_t>(unique.size());
  const std::vector<std::string> trace_ids = TraceIdsOfSorted(unique);
  // The batch's texts, in the order of `unique`; the observations merged from fragments (after
  // the batch's own in `observations`) have none.
  std::vector<std::string_view> texts;
  if (!batch.observation_json.empty()) {
    texts.reserve(unique.size());
    for (const model::Observation* o : unique) {
      const auto at = static_cast<size_t>(o - observations.data());
      texts.push_back(at < batch.observation_json.size() ? batch.observation_json[at] : std::string_view());
    }
  }
  Inserted inserted;
  TRACKLY_RETURN_IF_ERROR(InsertObservations(project, unique, texts, &inserted));
  if (!batch.scores.empty()) {
    // Rows of one insert share a version, so the last copy of a score id in the batch is the only one sent.
    std::map<std::string, model::Score> scores;
    for (model::Score& score : batch.scores) {
      score.time_ns = sqlite::FloorToMicros(score.time_ns);
      std::string id = score.id;
      scores.insert_or_assign(std::move(id), std::move(score));
    }
    const uint64_t version = NextVersion();
    RowBinaryWriter rows;
    for (const auto& [id, score] : scores) AppendScoreRow(rows, project, version, score);
    TRACKLY_RETURN_IF_ERROR(db_.Insert(InsertScoreSql(), rows.data()));
  }
  // Summaries last: they must see this batch's observations, and a failure before them leaves
  // the batch unacknowledged, so its retry rewrites them.
  TRACKLY_RETURN_IF_ERROR(WriteSummaries(project, trace_ids, &inserted));
  return stored;
}

absl::Status Writer::InsertObservations(const std::string& project, std::span<model::Observation* const> observations,
                                        std::span<const std::string_view> texts, Inserted* inserted) {
  if (observations.empty()) return absl::OkStatus();
  const uint64_t version = NextVersion();
  const RetentionClass retention = classes_.ClassOf(project);
  RowBinaryWriter& rows = observation_rows_;
  rows.Clear();
  // A tenth more than the last insert's rows took, so a like shipment fits without growing.
  rows.Reserve(observations.size() * observation_row_bytes_ / 10 * 11);
  SummaryColumn summary;
  // The summary inputs of the previous observation's trace, and that trace's id (the map's key).
  std::vector<model::Observation>* trace_inputs = nullptr;
  const std::string* inputs_trace = nullptr;
  for (size_t i = 0; i < observations.size(); ++i) {
    model::Observation* o = observations[i];
    const std::string payload = i < texts.size() && !texts[i].empty()
                                    ? sqlite::EncodeJsonPayload(texts[i], compress_min_bytes_)
                                    : sqlite::EncodePayload(*o, compress_min_bytes_);
    AppendObservationRow(rows, project, retention, version, *o, payload, inserted != nullptr ? &summary : nullptr);
    if (inserted != nullptr) {
      if (inputs_trace == nullptr || *inputs_trace != o->trace_id) {
        auto [entry, added] = inserted->summary_inputs.try_emplace(o->trace_id);
        inputs_trace = &entry->first;
        trace_inputs = &entry->second;
        // Sized once for the run of the trace's observations (Apply sorts them by trace).
        if (added) {
          size_t run = 1;
          while (i + run < observations.size() && observations[i + run]->trace_id == o->trace_id) ++run;
          trace_inputs->reserve(run);
        }
      }
      // The last use of `o`: its summary fields move into the input.
      TRACKLY_ASSIGN_OR_RETURN(model::Observation input, SummaryInputsOfRow(std::move(*o), payload, summary));
      trace_inputs->push_back(std::move(input));
    }
    // Its row holds all of it now: a shipment of tens of megabytes is not kept twice until the
    // insert is sent.
    FreeLargeFields(*o);
  }
  observation_row_bytes_ = rows.data().size() / observations.size();
  TRACKLY_RETURN_IF_ERROR(db_.Insert(InsertObservationSql(), rows.data()));
  if (inserted != nullptr) inserted->version = version;
  return absl::OkStatus();
}

absl::Status Writer::StoreObservations(const std::string& project, const std::vector<model::Observation>& observations) {
  std::vector<model::Observation> copy = observations;  // InsertObservations frees what it inserted
  const std::vector<model::Observation*> unique = LastOfEachKey(copy);  // sorted by trace, as Apply inserts
  TRACKLY_RETURN_IF_ERROR(InsertObservations(project, unique));
  return WriteSummaries(project, TraceIdsOfSorted(unique), /*inserted=*/nullptr);
}

absl::Status Writer::WriteSummaries(const std::string& project, const std::vector<std::string>& trace_ids) {
  return WriteSummaries(project, trace_ids, /*inserted=*/nullptr);
}

absl::StatusOr<ObservationsByTrace> Writer::SummaryInputsOf(const std::string& project,
                                                            const std::vector<std::string>& trace_ids,
                                                            Inserted* inserted) {
  if (inserted == nullptr) return ReadObservationsOfTraces(db_, project, trace_ids, ObservationDetail::kSummaryInputs);
  // Reading back every observation of a trace written in one batch (the common case: an agent
  // run exported when it ends) was most of the writer's time, payloads included. Versions are
  // this node's clock and strictly increase on it (NextVersion), so rows all of the insert's
  // version, as many as it sent, are the rows it sent. A row of any other write of the trace
  // (earlier or concurrent, on any node, a retry) fails the check until a merge folds it into a
  // newer row of the same observation; a deleted row fails it too. Such a trace is read back, as
  // before. The check cannot tell apart another node inserting the same observation at the very
  // same nanosecond (argMax has a tie then too), nor another node's expiry clearing payloads in
  // between (as a read just before it would not see it; its next run clears what is left).
  TRACKLY_ASSIGN_OR_RETURN(auto versions, ReadTraceRowVersions(db_, project, trace_ids));
  ObservationsByTrace out;
  std::vector<std::string> unread;
  for (const std::string& id : trace_ids) {
    auto mine = inserted->summary_inputs.find(id);
    auto stored = versions.find(id);
    if (mine != inserted->summary_inputs.end() && stored != versions.end() &&
        stored->second.rows == mine->second.size() && stored->second.min_version == inserted->version &&
        stored->second.max_version == inserted->version) {
      out.emplace(id, std::move(mine->second));
      summaries_from_insert_.fetch_add(1, std::memory_order_relaxed);
    } else {
      unread.push_back(id);
    }
  }
  if (unread.empty()) return out;
  TRACKLY_ASSIGN_OR_RETURN(ObservationsByTrace read,
                           ReadObservationsOfTraces(db_, project, unread, ObservationDetail::kSummaryInputs));
  out.merge(read);
  return out;
}

absl::Status Writer::WriteSummaries(const std::string& project, const std::vector<std::string>& trace_ids,
                                    Inserted* inserted) {
  if (trace_ids.empty()) return absl::OkStatus();
  // The sessions the traces belonged to before this write: they may lose a trace. The rollup
  // cells they had rows in: they may leave some.
  TRACKLY_ASSIGN_OR_RETURN(TracesById before, ReadTraces(db_, project, trace_ids));
  TRACKLY_ASSIGN_OR_RETURN(RollupCellsByTrace cells_before,
                           ReadRollupCells(db_, project, trace_ids));
  std::set<std::string> sessions;
  for (const auto& [id, trace] : before) {
    if (!trace.session_id.empty()) sessions.insert(trace.session_id);
  }
  // Taken before the read, so this summary's version is below that of any summary computed from
  // a later read, which sees at least what this one saw.
  const uint64_t trace_version = NextVersion();
  TRACKLY_ASSIGN_OR_RETURN(ObservationsByTrace stored, SummaryInputsOf(project, trace_ids, inserted));
  const RetentionClass retention = classes_.ClassOf(project);
  RowBinaryWriter trace_rows;
  RowBinaryWriter session_trace_rows;
  std::vector<TraceRollup> rollups;
  for (const auto& [id, observations] : stored) {
    model::Trace trace = model::SummarizeTrace(observations);
    if (!trace.session_id.empty()) {
      sessions.insert(trace.session_id);
      AppendSessionTraceRow(session_trace_rows, project, retention, trace_version, trace);
    }
    AppendTraceRow(trace_rows, project, retention, trace_version, trace);
    rollups.push_back(TraceRollup{.trace_id = id,
                                  .start_ns = trace.start_time_ns,
                                  .previous = std::move(cells_before[id]),
                                  .contribution = ContributionOf(trace, observations)});
  }
  // The session_traces rows first: a summary row naming a session is never stored without one
  // (ReadTracesOfSessions finds a trace by it), while one stored alone, should the traces insert
  // fail, is only a candidate that the trace's latest summary rules out.
  if (!session_trace_rows.data().empty()) {
    TRACKLY_RETURN_IF_ERROR(db_.Insert(InsertSessionTraceSql(), session_trace_rows.data()));
  }
  if (!trace_rows.data().empty()) TRACKLY_RETURN_IF_ERROR(db_.Insert(InsertTraceSql(), trace_rows.data()));
  TRACKLY_RETURN_IF_ERROR(
      WriteRollups(db_, project, retention, trace_version, [this] { return NextVersion(); }, rollups));
  return WriteSessionSummaries(project, sessions);
}

absl::Status Writer::WriteSessionSummaries(const std::string& project, const std::set<std::string>& sessions) {
  if (sessions.empty()) return absl::OkStatus();
  const uint64_t session_version = NextVersion();
  TRACKLY_ASSIGN_OR_RETURN(
      TracesBySession traces_by_session,
      ReadTracesOfSessions(db_, project, std::vector<std::string>(sessions.begin(), sessions.end()),
                           /*with_text=*/false));
  RowBinaryWriter session_rows;
  for (const std::string& session_id : sessions) {
    // No trace left: SummarizeSession of none is a tombstone (trace_count 0) that hides the session.
    std::vector<model::Trace>& traces = traces_by_session[session_id];
    std::sort(traces.begin(), traces.end(), ByStartThenId);
    AppendSessionRow(session_rows, project, session_version, model::SummarizeSession(session_id, traces));
  }
  return db_.Insert(InsertSessionSql(), session_rows.data());
}

}  // namespace trackly::store::clickhouse
