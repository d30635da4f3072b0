#include "store/sqlite/writer.h"

#include <filesystem>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/log.h"
#include "base/status.h"
#include "model/summary.h"
#include "store/sqlite/fragment_merger.h"
#include "store/sqlite/rollups.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/workflow_rollups.h"

namespace trackly::store::sqlite {
namespace {

// Searchable text of one trace: its input and output string values, capped so one huge prompt
// cannot bloat the full-text index.
constexpr size_t kMaxSearchTextBytes = 64 * 1024;

// Appends the string values of `value` (not keys, numbers or structure) to `out`. Iterative, so a
// deeply nested input cannot overflow the stack.
void AppendStrings(const model::Json& value, std::string& out) {
  std::vector<const model::Json*> stack = {&value};
  while (!stack.empty() && out.size() < kMaxSearchTextBytes) {
    const model::Json* json = stack.back();
    stack.pop_back();
    if (json->is_string()) {
      absl::StrAppend(&out, json->get_ref<const std::string&>(), "\n");
    } else if (json->is_structured()) {
      for (auto it = json->rbegin(); it != json->rend(); ++it) stack.push_back(&*it);
    }
  }
}

std::string SearchTextOf(const model::Trace& trace) {
  std::string text;
  AppendStrings(trace.input, text);
  AppendStrings(trace.output, text);
  if (text.size() > kMaxSearchTextBytes) text.resize(kMaxSearchTextBytes);
  return text;
}

// (project, trace_id) and (project, session_id). Views point into the group being committed.
using TraceKey = std::pair<std::string_view, std::string_view>;
using SessionKey = std::pair<std::string, std::string>;
// The observations of one trace written by this commit, by id; the newest write of an id wins.
using FreshObservations = absl::flat_hash_map<std::string_view, model::Observation*>;

// How a commit changes one session: what its changed traces were in it before and are now (the
// fields model::SummarizeSession reads), or, after an erasure, that it is recomputed.
struct SessionChange {
  bool recompute = false;
  std::vector<model::Trace> removed;
  std::vector<model::Trace> added;
};

// Work collected while the traces of one commit are updated and done once at its end.
//
// Why the full-text rows wait: FTS5 flushes its pending terms at every statement savepoint, and
// most writes of a commit open one; updating trace_text once per trace would turn each trace into
// a tiny index segment. Two statements at the end write the whole commit's text in one segment.
struct CommitWork {
  absl::flat_hash_map<SessionKey, SessionChange> sessions;  // sessions whose summary changes
  model::Json text_deletes = model::Json::array();  // trace_text rowids to drop
  model::Json text_inserts = model::Json::array();  // [rowid, body] pairs to add
  RollupWriter rollups;  // the metrics rollups' changes, written once at the end (Flush)
};

// What the trace row said before this commit, for the side tables and its session's summary.
struct PreviousTrace {
  bool exists = false;
  int64_t row_id = 0;
  std::string session_id;
  model::Trace session_input;  // ReadSessionInput
  std::string tags;
  std::string models;
  std::string input;
  std::string output;
};

absl::StatusOr<PreviousTrace> ReadPreviousTrace(Connection& db, std::string_view project,
                                                std::string_view trace_id) {
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt,
                           db.Prepare(absl::StrCat("SELECT row_id, session_id, tags, models, input, output, ",
                                                   SessionInputColumns(),
                                                   " FROM traces WHERE project = ?1 AND trace_id = ?2")));
  stmt.BindText(1, project);
  stmt.BindText(2, trace_id);
  PreviousTrace previous;
  TRACKLY_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) return previous;
  previous.exists = true;
  previous.row_id = stmt.Int(0);
  previous.session_id = stmt.Text(1);
  previous.tags = stmt.Text(2);
  previous.models = stmt.Text(3);
  previous.input = stmt.Text(4);
  previous.output = stmt.Text(5);
  TRACKLY_ASSIGN_OR_RETURN(previous.session_input, ReadSessionInput(stmt, 6));
  return previous;
}

// Replaces the rows of a side table (trace_tags / trace_models) of one trace. `old_json` and
// `new_json` are the JSON arrays stored in the trace row.
absl::Status ReplaceSideRows(Connection& db, std::string_view table, std::string_view column,
                             std::string_view project, std::string_view trace_id,
                             std::string_view old_json, const std::vector<std::string>& values) {
  if (!old_json.empty()) {
    model::Json old_values = model::Json::parse(old_json, nullptr, /*allow_exceptions=*/false);
    TRACKLY_ASSIGN_OR_RETURN(
        Statement del, db.Prepare(absl::StrCat("DELETE FROM ", Sv(table), " WHERE project = ?1 AND ",
                                               Sv(column), " = ?2 AND trace_id = ?3")));
    if (old_values.is_array()) {
      for (const model::Json& value : old_values) {
        if (!value.is_string()) continue;
        del.BindText(1, project);
        del.BindText(2, value.get_ref<const std::string&>());
        del.BindText(3, trace_id);
        TRACKLY_RETURN_IF_ERROR(del.Run());
      }
    }
  }
  TRACKLY_ASSIGN_OR_RETURN(Statement insert,
                           db.Prepare(absl::StrCat("INSERT OR IGNORE INTO ", Sv(table), "(project, ", Sv(column),
                                                   ", trace_id) VALUES(?1, ?2, ?3)")));
  for (const std::string& value : values) {
    insert.BindText(1, project);
    insert.BindText(2, value);
    insert.BindText(3, trace_id);
    TRACKLY_RETURN_IF_ERROR(insert.Run());
  }
  return absl::OkStatus();
}

// The fields of `trace` that model::SummarizeSession reads (as ReadSessionInput does).
model::Trace SessionInputOf(const model::Trace& trace) {
  model::Trace input;
  input.id = trace.id;
  input.start_time_ns = trace.start_time_ns;
  input.end_time_ns = trace.end_time_ns;
  input.status = trace.status;
  input.user_id = trace.user_id;
  input.counts = trace.counts;
  input.usage = trace.usage;
  input.cost = trace.cost;
  return input;
}

// Runs `sql` with ?1 = project, ?2 = trace id, and returns how many rows it changed.
absl::StatusOr<int64_t> RunOfTrace(Connection& db, const std::string& sql, std::string_view project,
                                   std::string_view trace_id) {
  TRACKLY_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(sql));
  stmt.BindText(1, project);
  stmt.BindText(2, trace_id);
  TRACKLY_RETURN_IF_ERROR(stmt.Run());
  return stmt.Changes();
}

// (start_ns, id) of an observation, as observation_order keys it.
using OrderKey = std::pair<int64_t, std::string>;

// Keeps observation_order (schema.cc layout 11) in step with a trace that had `previous_count`
// observations and has `count` now: a trace that reaches kOrderedTraceObservations gets an entry
// for every row, an ordered one for each row of this commit (`fresh`). The entries of the rows
// those replaced went with them (the delete trigger).
absl::Status OrderObservations(Connection& db, std::string_view project, std::string_view trace_id,
                               int64_t previous_count, int64_t count, const std::vector<OrderKey>& fresh) {
  if (count < kOrderedTraceObservations) return absl::OkStatus();
  if (previous_count < kOrderedTraceObservations) {
    return RunOfTrace(db,
                      "INSERT OR IGNORE INTO observation_order(project, trace_id, start_ns, id) "
                      "SELECT project, trace_id, start_ns, id FROM observations WHERE project = ?1 AND trace_id = ?2",
                      project, trace_id)
        .status();
  }
  TRACKLY_ASSIGN_OR_RETURN(
      Statement add,
      db.Prepare("INSERT OR IGNORE INTO observation_order(project, trace_id, start_ns, id) VALUES(?1, ?2, ?3, ?4)"));
  for (const auto& [start_ns, id] : fresh) {
    add.BindText(1, project);
    add.BindText(2, trace_id);
    add.BindInt(3, start_ns);
    add.BindText(4, id);
    TRACKLY_RETURN_IF_ERROR(add.Run());
  }
  return absl::OkStatus();
}

// Recomputes the summary row of one trace from everything stored for it.
//
// Why a full recomputation and not an incrementally maintained aggregate: SummarizeTrace is the
// one definition of a trace summary (its spend rule even depends on the tree shape, and summing
// doubles in another order would not be bit-identical), so calling it over every observation is
// what makes "the row equals a recomputation" true by construction. To keep that cheap:
// observations written by this very commit are taken from memory instead of being decoded; a
// trace with no summary row yet (the common case: a new trace) needs no read at all; a large
// trace's previous observations come from the SummaryCache rather than a scan; otherwise the scan
// reads only the summary columns (no payloads, except the root's); and a trace touched by many
// batches of one group commit is recomputed once. A 100k-span trace arriving in 500-span batches
// still costs one SummarizeTrace over n observations per commit that touches it — O(n) in memory
// with a small constant, where re-reading the rows would be O(n) decodes — and group commit
// bounds the number of such commits, since batches queued while one commit runs land in the next.
//
// `trace_id` is a copy: the caller's key points into an observation that this function moves.
absl::Status UpdateTrace(Connection& db, SummaryCache& cache, std::string_view project,
                         const std::string trace_id, FreshObservations& fresh, CommitWork& work) {
  TRACKLY_ASSIGN_OR_RETURN(PreviousTrace previous, ReadPreviousTrace(db, project, trace_id));
  const int64_t previous_count = previous.exists ? previous.session_input.counts.observations : 0;
  std::vector<OrderKey> fresh_order;  // needed only when the trace is ordered already
  if (previous_count >= kOrderedTraceObservations) {
    fresh_order.reserve(fresh.size());
    for (const auto& [id, observation] : fresh) fresh_order.emplace_back(observation->start_time_ns, id);
  }
  std::vector<model::Observation> observations;
  observations.reserve(fresh.size());
  if (!previous.exists) {
    // Observations and their trace row are written in one transaction, so without a trace row
    // nothing but this commit's observations exists.
    for (auto& [id, observation] : fresh) observations.push_back(std::move(*observation));
    fresh.clear();  // its keys pointed into the ids just moved
  } else if (std::optional<std::vector<model::Observation>> cached = cache.Take(project, trace_id)) {
    observations = *std::move(cached);
    // Look every fresh id up before changing the vector: the index points into its ids.
    std::vector<std::pair<size_t, model::Observation*>> replaced;
    std::vector<model::Observation*> added;
    {
      absl::flat_hash_map<std::string_view, size_t> index;
      index.reserve(observations.size());
      for (size_t i = 0; i < observations.size(); ++i) index.emplace(observations[i].id, i);
      for (auto& [id, observation] : fresh) {
        if (auto it = index.find(id); it != index.end()) {
          replaced.emplace_back(it->second, observation);
        } else {
          added.push_back(observation);
        }
      }
    }
    for (auto& [position, observation] : replaced) observations[position] = std::move(*observation);
    for (model::Observation* observation : added) observations.push_back(std::move(*observation));
    fresh.clear();
  } else {
    TRACKLY_ASSIGN_OR_RETURN(
        Statement scan, db.Prepare(absl::StrCat("SELECT ", SummaryObservationColumns(),
                                                " FROM observations WHERE project = ?1 AND trace_id = ?2")));
    scan.BindText(1, project);
    scan.BindText(2, trace_id);
    PayloadReader payloads(db);
    while (true) {
      TRACKLY_ASSIGN_OR_RETURN(bool row, scan.Step());
      if (!row) break;
      if (auto it = fresh.find(scan.Text(0)); it != fresh.end()) {
        model::Observation* observation = it->second;
        fresh.erase(it);  // before the move, which empties the id the key points into
        observations.push_back(std::move(*observation));
        continue;
      }
      TRACKLY_ASSIGN_OR_RETURN(model::Observation observation,
                               ReadObservationRow(payloads, scan, trace_id, RowRead::kSummaryWithRoot));
      observations.push_back(std::move(observation));
    }
  }
  model::Trace trace = model::SummarizeTrace(observations);
  TRACKLY_RETURN_IF_ERROR(
      OrderObservations(db, project, trace_id, previous_count, trace.counts.observations, fresh_order));
  TRACKLY_RETURN_IF_ERROR(work.rollups.ReplaceTrace(db, project, trace_id, !previous.exists, trace, observations));
  TraceText text = TraceTextOf(trace);

  int64_t row_id = previous.row_id;
  {
    TRACKLY_ASSIGN_OR_RETURN(Statement write, db.Prepare(previous.exists ? UpdateTraceSql() : InsertTraceSql()));
    BindTrace(write, project, trace, text);
    TRACKLY_RETURN_IF_ERROR(write.Run());
    if (!previous.exists) row_id = write.LastInsertRowId();
  }
  if (!previous.exists || previous.tags != text.tags) {
    TRACKLY_RETURN_IF_ERROR(
        ReplaceSideRows(db, "trace_tags", "tag", project, trace_id, previous.tags, trace.tags));
  }
  if (!previous.exists || previous.models != text.models) {
    TRACKLY_RETURN_IF_ERROR(
        ReplaceSideRows(db, "trace_models", "model", project, trace_id, previous.models, trace.models));
  }
  if (!previous.exists || previous.input != text.input || previous.output != text.output) {
    if (previous.exists) work.text_deletes.push_back(row_id);
    if (std::string body = SearchTextOf(trace); !body.empty()) {
      work.text_inserts.push_back(model::Json::array({row_id, std::move(body)}));
    }
  }

  // The trace leaves its session as it was and joins it (or, moved by a late span, another one)
  // as it is now.
  if (previous.exists && !previous.session_id.empty()) {
    work.sessions[SessionKey(project, previous.session_id)].removed.push_back(std::move(previous.session_input));
  }
  if (!trace.session_id.empty()) {
    work.sessions[SessionKey(project, trace.session_id)].added.push_back(SessionInputOf(trace));
  }
  cache.Put(project, trace_id, std::move(observations));
  return absl::OkStatus();
}

// Writes the summary row of one session, or deletes it when no trace is left in it.
absl::Status WriteSession(Connection& db, std::string_view project, const model::Session& session) {
  if (session.trace_count == 0) {
    TRACKLY_ASSIGN_OR_RETURN(Statement del,
                             db.Prepare("DELETE FROM sessions WHERE project = ?1 AND session_id = ?2"));
    del.BindText(1, project);
    del.BindText(2, session.id);
    return del.Run();
  }
  TRACKLY_ASSIGN_OR_RETURN(Statement upsert, db.Prepare(UpsertSessionSql()));
  BindSession(upsert, project, session);
  return upsert.Run();
}

// Recomputes the summary row of one session from its traces. Reads only the trace columns
// SummarizeSession uses, in one range of the traces_by_session index, but every trace of the
// session: ApplySessionChange avoids it on the ingest path.
absl::Status RecomputeSession(Connection& db, const SessionKey& key) {
  const auto& [project, session_id] = key;
  std::vector<model::Trace> traces;
  TRACKLY_ASSIGN_OR_RETURN(
      Statement scan,
      db.Prepare(absl::StrCat("SELECT ", SessionInputColumns(),
                              " FROM traces WHERE project = ?1 AND session_id = ?2 AND session_id != ''")));
  scan.BindText(1, project);
  scan.BindText(2, session_id);
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, scan.Step());
    if (!row) break;
    TRACKLY_ASSIGN_OR_RETURN(model::Trace trace, ReadSessionInput(scan, 0));
    traces.push_back(std::move(trace));
  }
  return WriteSession(db, project, model::SummarizeSession(session_id, traces));
}

// Writes the summary of one session after a commit: its stored summary with the change applied
// (model::UpdateSessionSummary), so the work does not grow with the session, or a recomputation
// when the change asks for one or cannot be applied exactly. The user, when the change may move
// it, is the first row of the session's index range that has one (the index is in SummarizeSession's
// order, start then trace id): usually the range's first row.
absl::Status ApplySessionChange(Connection& db, const SessionKey& key, const SessionChange& change) {
  if (change.recompute) return RecomputeSession(db, key);
  const auto& [project, session_id] = key;
  model::Session stored;
  stored.id = session_id;
  {
    TRACKLY_ASSIGN_OR_RETURN(Statement read, db.Prepare(absl::StrCat("SELECT ", SessionColumns(),
                                                                      " FROM sessions WHERE project = ?1 AND "
                                                                      "session_id = ?2")));
    read.BindText(1, project);
    read.BindText(2, session_id);
    TRACKLY_ASSIGN_OR_RETURN(bool found, read.Step());
    if (found) stored = ReadSession(read, 0);
  }
  std::optional<model::Session> updated = model::UpdateSessionSummary(std::move(stored), change.removed, change.added);
  if (!updated) return RecomputeSession(db, key);
  if (updated->trace_count > 0 && model::ChangesSessionUser(change.removed, change.added)) {
    TRACKLY_ASSIGN_OR_RETURN(Statement user,
                             db.Prepare("SELECT user_id FROM traces WHERE project = ?1 AND session_id = ?2 AND "
                                        "session_id != '' AND user_id != '' ORDER BY start_ns, trace_id LIMIT 1"));
    user.BindText(1, project);
    user.BindText(2, session_id);
    TRACKLY_ASSIGN_OR_RETURN(bool found, user.Step());
    updated->user_id = found ? user.Text(0) : "";
  }
  return WriteSession(db, project, *updated);
}

absl::Status UpdateSearchText(Connection& db, const CommitWork& work) {
  if (!work.text_deletes.empty()) {
    TRACKLY_ASSIGN_OR_RETURN(
        Statement del, db.Prepare("DELETE FROM trace_text WHERE rowid IN (SELECT value FROM json_each(?1))"));
    std::string rowids = model::DumpJson(work.text_deletes);
    del.BindText(1, rowids);
    TRACKLY_RETURN_IF_ERROR(del.Run());
  }
  if (!work.text_inserts.empty()) {
    TRACKLY_ASSIGN_OR_RETURN(Statement insert,
                             db.Prepare("INSERT INTO trace_text(rowid, body) SELECT value ->> 0, value ->> 1 "
                                        "FROM json_each(?1)"));
    std::string rows = model::DumpJson(work.text_inserts);
    insert.BindText(1, rows);
    TRACKLY_RETURN_IF_ERROR(insert.Run());
  }
  return absl::OkStatus();
}

// The trace ids an erasure names: the trace itself, or the traces whose summary names the session
// or user (both have an index).
absl::StatusOr<std::vector<std::string>> TracesToErase(Connection& db, const EraseRequest& request) {
  if (!request.trace_id.empty()) return std::vector<std::string>{request.trace_id};
  const bool by_session = !request.session_id.empty();
  TRACKLY_ASSIGN_OR_RETURN(
      Statement select,
      db.Prepare(by_session ? "SELECT trace_id FROM traces WHERE project = ?1 AND session_id = ?2 AND session_id != ''"
                            : "SELECT trace_id FROM traces WHERE project = ?1 AND user_id = ?2 AND user_id != ''"));
  select.BindText(1, request.project);
  select.BindText(2, by_session ? request.session_id : request.user_id);
  std::vector<std::string> trace_ids;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    trace_ids.emplace_back(select.Text(0));
  }
  // And the traces of that session or user that tail sampling dropped: their share of the rollups
  // names the user and session too.
  TRACKLY_ASSIGN_OR_RETURN(
      Statement dropped,
      db.Prepare(by_session
                     ? "SELECT trace_id FROM sampled_out_traces WHERE project = ?1 AND session_id = ?2 AND session_id != ''"
                     : "SELECT trace_id FROM sampled_out_traces WHERE project = ?1 AND user_id = ?2 AND user_id != ''"));
  dropped.BindText(1, request.project);
  dropped.BindText(2, by_session ? request.session_id : request.user_id);
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, dropped.Step());
    if (!row) break;
    trace_ids.emplace_back(dropped.Text(0));
  }
  return trace_ids;
}

// Inside the caller's transaction: takes back the rollup share of every trace of `project` that
// tail sampling dropped and that started before `before_ns` (summary expiry). A trace started anew
// by a late span keeps its own contribution; only the dropped one goes.
absl::Status ExpireSampledOut(Connection& db, std::string_view project, int64_t before_ns) {
  TRACKLY_ASSIGN_OR_RETURN(
      Statement select, db.Prepare("SELECT trace_id FROM sampled_out_traces WHERE project = ?1 AND start_ns < ?2"));
  select.BindText(1, project);
  select.BindInt(2, before_ns);
  std::vector<std::string> trace_ids;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    trace_ids.emplace_back(select.Text(0));
  }
  RollupWriter rollups;
  for (const std::string& trace_id : trace_ids) TRACKLY_RETURN_IF_ERROR(rollups.RemoveSampledOut(db, project, trace_id));
  return rollups.Flush(db);
}

// Inside the caller's transaction: every row of each of `trace_ids`, its payloads, rollup
// contribution and search text, then its sessions recomputed. With `keep_rollups` (tail sampling,
// Store::DropSampledOut) its metrics and workflow rollup contributions stay, and so does the
// search index's merge state (a dropped trace's terms no longer match: its row is gone).
absl::Status EraseTraceIds(Connection& db, const std::string& project, const std::vector<std::string>& trace_ids,
                           EraseStats& stats, bool keep_rollups = false) {
  CommitWork work;
  for (const std::string& trace_id : trace_ids) {
    TRACKLY_ASSIGN_OR_RETURN(PreviousTrace previous, ReadPreviousTrace(db, project, trace_id));
    if (previous.exists) {
      ++stats.traces;
      TRACKLY_RETURN_IF_ERROR(ReplaceSideRows(db, "trace_tags", "tag", project, trace_id, previous.tags, {}));
      TRACKLY_RETURN_IF_ERROR(ReplaceSideRows(db, "trace_models", "model", project, trace_id, previous.models, {}));
      work.text_deletes.push_back(previous.row_id);
      if (!previous.session_id.empty()) work.sessions[SessionKey(project, previous.session_id)].recompute = true;
      // Before the summary goes: it says under which start, user and session the share is kept.
      if (keep_rollups) TRACKLY_RETURN_IF_ERROR(work.rollups.SampleOutTrace(db, project, trace_id));
      TRACKLY_RETURN_IF_ERROR(
          RunOfTrace(db, "DELETE FROM traces WHERE project = ?1 AND trace_id = ?2", project, trace_id).status());
      if (!keep_rollups) TRACKLY_RETURN_IF_ERROR(work.rollups.RemoveTrace(db, project, trace_id));
    }
    // An erasure or expiry also takes back what the trace left in the rollups when tail sampling
    // dropped it earlier.
    if (!keep_rollups) TRACKLY_RETURN_IF_ERROR(work.rollups.RemoveSampledOut(db, project, trace_id));
    TRACKLY_RETURN_IF_ERROR(DeleteTracePayloads(db, project, trace_id));
    // Fragments first: they are found through the observation ids of the trace.
    TRACKLY_RETURN_IF_ERROR(RunOfTrace(db,
                                          "DELETE FROM observation_fragments WHERE project = ?1 AND observation_id IN "
                                          "(SELECT id FROM observations WHERE project = ?1 AND trace_id = ?2)",
                                          project, trace_id)
                                .status());
    TRACKLY_ASSIGN_OR_RETURN(
        int64_t observations,
        RunOfTrace(db, "DELETE FROM observations WHERE project = ?1 AND trace_id = ?2", project, trace_id));
    stats.observations += observations;
    TRACKLY_ASSIGN_OR_RETURN(int64_t scores,
                             RunOfTrace(db, "DELETE FROM scores WHERE project = ?1 AND trace_id = ?2", project, trace_id));
    stats.scores += scores;
  }
  TRACKLY_RETURN_IF_ERROR(work.rollups.Flush(db));
  // Tail sampling (DropSampledOut) must not do this: a dropped trace's run still counts in the
  // workflow graph, as in the metrics rollups (Store::DropSampledOut).
  if (!keep_rollups) TRACKLY_RETURN_IF_ERROR(RemoveWorkflowRuns(db, project, trace_ids));
  for (const auto& [session, change] : work.sessions) TRACKLY_RETURN_IF_ERROR(ApplySessionChange(db, session, change));
  TRACKLY_RETURN_IF_ERROR(UpdateSearchText(db, work));
  // FTS5 marks a deleted document's terms as deleted and drops them only when index segments are
  // merged; 'optimize' merges them all now. It rewrites the whole index (seconds on a large
  // store), acceptable for an erasure and never done on the ingest path.
  if (!work.text_deletes.empty() && !keep_rollups) {
    TRACKLY_RETURN_IF_ERROR(db.Exec("INSERT INTO trace_text(trace_text) VALUES('optimize')"));
  }
  return absl::OkStatus();
}

// The trace ids of `project` whose start time is in [from_ns, to_ns) (the traces_by_start index).
absl::StatusOr<std::vector<std::string>> TracesStartedIn(Connection& db, std::string_view project, int64_t from_ns,
                                                         int64_t to_ns) {
  TRACKLY_ASSIGN_OR_RETURN(
      Statement select,
      db.Prepare("SELECT trace_id FROM traces WHERE project = ?1 AND start_ns >= ?2 AND start_ns < ?3"));
  select.BindText(1, project);
  select.BindInt(2, from_ns);
  select.BindInt(3, to_ns);
  std::vector<std::string> trace_ids;
  while (true) {
    TRACKLY_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    trace_ids.emplace_back(select.Text(0));
  }
  return trace_ids;
}

// The trace-level text of one trace whose payloads expired: its input, output and metadata (in
// the trace row and in the hint columns of its spans), its search entry, the fragments its spans
// came in, and the inline payloads of spans written before layout 7 (the partitions hold all
// later ones and are dropped whole). Row by row, but per trace and once: Expire's mark keeps a
// trace from being visited again.
absl::Status ClearTraceText(Connection& db, std::string_view project, std::string_view trace_id,
                            int64_t before_ns, CommitWork& work, ExpireStats& stats) {
  TRACKLY_ASSIGN_OR_RETURN(PreviousTrace previous, ReadPreviousTrace(db, project, trace_id));
  if (!previous.exists) return absl::OkStatus();
  TRACKLY_ASSIGN_OR_RETURN(int64_t cleared,
                           RunOfTrace(db,
                                      "UPDATE traces SET input = 'null', output = 'null', metadata = '{}' "
                                      "WHERE project = ?1 AND trace_id = ?2 AND "
                                      "(input != 'null' OR output != 'null' OR metadata != '{}')",
                                      project, trace_id));
  if (cleared > 0) {
    ++stats.traces_cleared;
    work.text_deletes.push_back(previous.row_id);
  }
  TRACKLY_RETURN_IF_ERROR(RunOfTrace(db,
                                        "DELETE FROM observation_fragments WHERE project = ?1 AND observation_id IN "
                                        "(SELECT id FROM observations WHERE project = ?1 AND trace_id = ?2)",
                                        project, trace_id)
                              .status());
  TRACKLY_RETURN_IF_ERROR(RunOfTrace(db,
                                        "UPDATE observations SET hint_metadata = NULL, hint_input = NULL, "
                                        "hint_output = NULL WHERE project = ?1 AND trace_id = ?2 AND "
                                        "(hint_metadata IS NOT NULL OR hint_input IS NOT NULL OR hint_output IS NOT NULL)",
                                        project, trace_id)
                              .status());
  TRACKLY_ASSIGN_OR_RETURN(Statement legacy,
                           db.Prepare(absl::StrCat("UPDATE observations SET payload = x'', payload_part = ",
                                                   kPayloadExpired,
                                                   " WHERE project = ?1 AND trace_id = ?2 AND payload_part = ",
                                                   kPayloadInline, " AND start_ns < ?3")));
  legacy.BindText(1, project);
  legacy.BindText(2, trace_id);
  legacy.BindInt(3, before_ns);
  return legacy.Run();
}

// Store::Expire inside the caller's transaction.
absl::Status ExpireData(Connection& db, const ExpireRequest& request, ExpireStats& stats) {
  const std::string& project = request.project;
  // A summary that expires takes its payloads with it.
  const int64_t payload_before_day = std::max(request.payload_before_day, request.summary_before_day);
  if (payload_before_day > 0) {
    TRACKLY_ASSIGN_OR_RETURN(stats.partitions_dropped, DropPartitionsBefore(db, project, payload_before_day));
    TRACKLY_ASSIGN_OR_RETURN(int64_t mark, PayloadExpiryMark(db, project));
    if (payload_before_day > mark) {
      const int64_t before_ns = payload_before_day * kNanosPerDay;
      // From the previous mark on: traces before it were cleared then, and a later write into
      // an expired day is stored without payload (Writer::PlacePayload).
      TRACKLY_ASSIGN_OR_RETURN(
          std::vector<std::string> trace_ids,
          TracesStartedIn(db, project, mark == 0 ? INT64_MIN : mark * kNanosPerDay, before_ns));
      CommitWork work;
      for (const std::string& trace_id : trace_ids) {
        TRACKLY_RETURN_IF_ERROR(ClearTraceText(db, project, trace_id, before_ns, work, stats));
      }
      TRACKLY_RETURN_IF_ERROR(UpdateSearchText(db, work));
      if (!work.text_deletes.empty()) {
        TRACKLY_RETURN_IF_ERROR(db.Exec("INSERT INTO trace_text(trace_text) VALUES('optimize')"));
      }
      TRACKLY_RETURN_IF_ERROR(SetPayloadExpiryMark(db, project, payload_before_day));
    }
  }
  if (request.summary_before_day > 0) {
    TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string> trace_ids,
                             TracesStartedIn(db, project, INT64_MIN, request.summary_before_day * kNanosPerDay));
    EraseStats erased;
    TRACKLY_RETURN_IF_ERROR(EraseTraceIds(db, project, trace_ids, erased));
    stats.traces_removed = erased.traces;
    TRACKLY_RETURN_IF_ERROR(ExpireSampledOut(db, project, request.summary_before_day * kNanosPerDay));
    // The runs of those traces went with them; this drops what is left of their hours (runs whose
    // trace had already gone).
    TRACKLY_RETURN_IF_ERROR(
        ExpireWorkflowRollups(db, project, request.summary_before_day * (kNanosPerDay / kNanosPerHour)).status());
  }
  return absl::OkStatus();
}

// Empties `encoded` down to its summary: its payload expired before it arrived.
void StripPayload(EncodedObservation& encoded) {
  encoded.payload.clear();
  encoded.hint_metadata.clear();
  encoded.hint_input.clear();
  encoded.hint_output.clear();
  model::Observation& o = encoded.observation;
  o.input = nullptr;
  o.output = nullptr;
  o.metadata = model::Json::object();
  o.attributes = model::Json::object();
  o.model_parameters = model::Json::object();
  o.events.clear();
  o.trace_hints.trace_input = nullptr;
  o.trace_hints.trace_output = nullptr;
  o.trace_hints.trace_metadata = model::Json::object();
  o.payload_expired = true;
  encoded.payload_part = kPayloadExpired;
}

}  // namespace

Writer::Writer(std::unique_ptr<Connection> db, std::unique_ptr<Checkpointer> checkpointer,
               const SqliteStoreOptions& options)
    : max_queue_observations_(options.max_queue_observations),
      max_commit_observations_(options.max_commit_observations),
      max_batch_wait_ms_(options.max_batch_wait_ms),
      compress_min_bytes_(options.compress_min_bytes),
      db_(std::move(db)),
      syncer_(options.sync_full ? std::make_unique<WalSyncer>(
                                      (std::filesystem::path(options.dir) / "store.db-wal").string())
                                : nullptr),
      checkpointer_(std::move(checkpointer)),
      cache_(options.summary_cache_observations),
      thread_([this] { Run(); }) {
  // Before any commit: the thread waits for a write first.
  db_->SetWalHook([this](int64_t wal_pages) { wal_pages_ = wal_pages; });
}

Writer::~Writer() {
  Drain();
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void Writer::Write(WriteBatch batch, WriteCallback done) {
  if (absl::Status valid = ValidateWriteBatch(batch); !valid.ok()) {
    Reject(std::move(done), std::move(valid));
    return;
  }
  // This store encodes the observations, and the texts may have been decoded only in part.
  if (absl::Status whole = ObservationsFromTexts(batch); !whole.ok()) {
    Reject(std::move(done), std::move(whole));
    return;
  }
  const int64_t count =
      static_cast<int64_t>(batch.observations.size() + batch.fragments.size() + batch.scores.size());
  {
    absl::MutexLock lock(&mu_);
    if (draining_) {
      rejected_.push_back({std::move(done), absl::UnavailableError("store is shutting down")});
      return;
    }
    if (queued_observations_ + count > static_cast<int64_t>(max_queue_observations_)) {
      rejected_.push_back({std::move(done), absl::UnavailableError(absl::StrCat(
                                                "write queue full (", queued_observations_,
                                                " observations queued, limit ", max_queue_observations_, ")"))});
      return;
    }
    queued_observations_ += count;
    ++queued_batches_;
    ++encoding_;
  }
  // Encoded outside the lock, on the caller's thread: many callers encode in parallel.
  Pending pending{.project = std::move(batch.project), .observations = {}, .done = std::move(done)};
  pending.observations.reserve(batch.observations.size());
  for (model::Observation& observation : batch.observations) {
    pending.observations.push_back(EncodeObservation(std::move(observation), compress_min_bytes_));
  }
  pending.scores.reserve(batch.scores.size());
  for (model::Score& score : batch.scores) pending.scores.push_back(EncodeScore(std::move(score)));
  pending.queued = static_cast<size_t>(count);
  if (!batch.fragments.empty()) {
    std::vector<EncodedFragment> fragments;
    fragments.reserve(batch.fragments.size());
    for (const model::ObservationFragment& fragment : batch.fragments) {
      fragments.push_back(EncodeFragment(fragment, compress_min_bytes_));
    }
    FragmentMerger merger(pending.project, std::move(fragments), std::move(batch.finish_merged), compress_min_bytes_);
    pending.load = [merger = std::move(merger)](Connection& db, std::vector<EncodedObservation>& out) mutable {
      return merger.Load(db, out);
    };
  }
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(pending));
  --encoding_;
}

void Writer::WriteLoaded(std::string project, Loader load, WriteCallback done) {
  absl::MutexLock lock(&mu_);
  if (draining_) {
    rejected_.push_back({std::move(done), absl::UnavailableError("store is shutting down")});
    return;
  }
  ++queued_batches_;
  queue_.push_back(Pending{.project = std::move(project), .observations = {}, .done = std::move(done),
                           .load = std::move(load)});
}

void Writer::Erase(EraseRequest request, EraseStats* stats, WriteCallback done) {
  std::string project = request.project;
  QueuePurge(
      std::move(project),
      [request = std::move(request), stats](Connection& db) -> absl::Status {
        TRACKLY_ASSIGN_OR_RETURN(std::vector<std::string> trace_ids, TracesToErase(db, request));
        return EraseTraceIds(db, request.project, trace_ids, *stats);
      },
      std::move(done));
}

void Writer::DropSampledOut(std::string project, std::vector<std::string> trace_ids, EraseStats* stats,
                            WriteCallback done) {
  std::string queued_project = project;
  QueuePurge(
      std::move(queued_project),
      [project = std::move(project), trace_ids = std::move(trace_ids), stats](Connection& db) {
        return EraseTraceIds(db, project, trace_ids, *stats, /*keep_rollups=*/true);
      },
      std::move(done), /*secure=*/false);
}

void Writer::Expire(ExpireRequest request, ExpireStats* stats, WriteCallback done) {
  std::string project = request.project;
  QueuePurge(
      std::move(project),
      [request = std::move(request), stats](Connection& db) { return ExpireData(db, request, *stats); },
      std::move(done));
}

void Writer::QueuePurge(std::string project, std::function<absl::Status(Connection& db)> purge,
                        WriteCallback done, bool secure) {
  absl::MutexLock lock(&mu_);
  if (draining_) {
    rejected_.push_back({std::move(done), absl::UnavailableError("store is shutting down")});
    return;
  }
  ++queued_batches_;
  queue_.push_back(
      Pending{.project = std::move(project), .observations = {}, .done = std::move(done), .purge = std::move(purge),
              .secure = secure});
}

void Writer::Reject(WriteCallback done, absl::Status status) {
  absl::MutexLock lock(&mu_);
  rejected_.push_back({std::move(done), std::move(status)});
}

void Writer::Drain() {
  absl::MutexLock lock(&mu_);
  draining_ = true;
  mu_.Await(absl::Condition(
      +[](Writer* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
        return w->queue_.empty() && w->encoding_ == 0 && !w->committing_;
      },
      this));
  if (syncer_ != nullptr) syncer_->Drain();  // committed, and now acknowledged too
}

StoreStats Writer::stats() const {
  absl::MutexLock lock(&mu_);
  return StoreStats{.queued_batches = queued_batches_,
                    .queued_observations = queued_observations_,
                    .committed_observations = committed_observations_,
                    .commits = commits_};
}

void Writer::Run() {
  while (true) {
    std::vector<Pending> group;
    std::vector<Rejection> rejected;
    size_t observations = 0;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || !rejected_.empty() || stopping_;
      };
      mu_.Await(absl::Condition(&has_work));
      rejected.swap(rejected_);
      if (queue_.empty() && rejected.empty()) return;  // stopping, and Drain() saw everything committed
    }
    for (Rejection& rejection : rejected) rejection.done(std::move(rejection.status));
    {
      absl::MutexLock lock(&mu_);
      if (queue_.empty()) continue;
      if (max_batch_wait_ms_ > 0) {
        auto full_or_stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || draining_ ||
                 queued_observations_ >= static_cast<int64_t>(max_commit_observations_);
        };
        mu_.AwaitWithTimeout(absl::Condition(&full_or_stopping), absl::Milliseconds(max_batch_wait_ms_));
      }
      // Always take at least one batch, even one larger than the commit cap; an erasure or
      // expiry goes alone.
      while (!queue_.empty()) {
        const Pending& next = queue_.front();
        if (!group.empty() &&
            (next.purge || group.front().purge || observations + next.queued > max_commit_observations_)) {
          break;
        }
        observations += next.queued;
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      committing_ = true;
    }
    absl::Status status = Commit(group);
    {
      // Counted before the callbacks run, so a caller woken by one sees its write in stats().
      absl::MutexLock lock(&mu_);
      queued_observations_ -= static_cast<int64_t>(observations);
      queued_batches_ -= static_cast<int64_t>(group.size());
      if (status.ok()) {
        committed_observations_ += static_cast<int64_t>(observations);
        ++commits_;
      }
    }
    if (status.ok() && syncer_ != nullptr) {
      std::vector<WalSyncer::Callback> callbacks;
      callbacks.reserve(group.size());
      for (Pending& pending : group) callbacks.push_back(std::move(pending.done));
      syncer_->AfterSync(std::move(callbacks));
    } else {
      for (Pending& pending : group) pending.done(status);
    }
    CheckpointAfterCommit();
    absl::MutexLock lock(&mu_);
    committing_ = false;
  }
}

void Writer::CheckpointAfterCommit() {
  if (wal_pages_ == 0) return;
  const int64_t wal_pages = std::exchange(wal_pages_, 0);
  if (!checkpointer_->WriterMustCheckpoint(wal_pages)) {
    checkpointer_->WalGrew(wal_pages);
    return;
  }
  // The pass in progress has copied most of the WAL; after it, a checkpoint here, between two
  // commits, copies the rest and completes, so the next commit restarts the WAL.
  checkpointer_->WaitIdle();
  if (absl::Status status = db_->Exec("PRAGMA wal_checkpoint(PASSIVE)"); !status.ok()) {
    LogWarn("WAL checkpoint on the writer failed (retried after the next commit): ", status.message());
  }
}

absl::Status Writer::Commit(std::vector<Pending>& group) {
  if (group.size() == 1 && group.front().purge) return CommitPurge(group.front());
  TRACKLY_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  absl::Status status = Apply(group);
  if (status.ok()) status = db_->Exec("COMMIT");
  if (!status.ok()) {
    db_->Exec("ROLLBACK").IgnoreError();  // fails harmlessly if COMMIT already ended it
    cache_.Clear();                       // it may hold what was just rolled back
    partitions_.Forget();                 // likewise partitions created by it
  }
  return status;
}

absl::Status Writer::CommitPurge(Pending& pending) {
  if (pending.secure) TRACKLY_RETURN_IF_ERROR(db_->Exec("PRAGMA secure_delete = ON"));
  absl::Status status = db_->Exec("BEGIN IMMEDIATE");
  if (status.ok()) status = pending.purge(*db_);
  if (status.ok()) status = db_->Exec("COMMIT");
  if (!status.ok()) db_->Exec("ROLLBACK").IgnoreError();
  // Each may hold what was just removed (observations of erased traces, roots with expired
  // input, dropped partitions, an old mark).
  cache_.Clear();
  partitions_.Forget();
  expiry_marks_.clear();
  if (!pending.secure) return status;  // tail sampling: freed pages are reused as usual
  absl::Status off = db_->Exec("PRAGMA secure_delete = OFF");
  TRACKLY_RETURN_IF_ERROR(status);
  TRACKLY_RETURN_IF_ERROR(off);
  // The WAL still holds the pages as they were before the erasure (earlier commits wrote them
  // there). A TRUNCATE checkpoint copies the current pages into store.db and empties the WAL; it
  // waits (busy_timeout) for readers of older snapshots, and if one outlives that the WAL is
  // left for the next erasure or checkpoint, with a warning. A pass of the checkpointer would
  // make it fail at once (one checkpoint at a time, no waiting): let it finish first; only this
  // thread starts passes (WalGrew), so none starts in between.
  checkpointer_->WaitIdle();
  wal_pages_ = 0;  // the COMMIT above reported it; the WAL is emptied here
  TRACKLY_ASSIGN_OR_RETURN(int64_t busy, db_->QueryInt("PRAGMA wal_checkpoint(TRUNCATE)"));
  if (busy != 0) {
    LogWarn("erasure or expiry committed, but a long read kept the WAL from being truncated; older copies "
            "of the removed pages stay in store.db-wal until it is reused");
  }
  return absl::OkStatus();
}

absl::Status Writer::ForgetCacheIfChangedElsewhere() {
  TRACKLY_ASSIGN_OR_RETURN(int64_t data_version, db_->QueryInt("PRAGMA data_version"));
  if (data_version != data_version_) {
    cache_.Clear();
    partitions_.Forget();  // another process may have expired some
    expiry_marks_.clear();
  }
  data_version_ = data_version;
  return absl::OkStatus();
}

absl::Status Writer::PlacePayload(std::string_view project, EncodedObservation& encoded) {
  if (encoded.observation.payload_expired) {  // a rewrite of an expired observation
    encoded.payload_part = kPayloadExpired;
    return absl::OkStatus();
  }
  auto mark = expiry_marks_.find(Sv(project));
  if (mark == expiry_marks_.end()) {
    TRACKLY_ASSIGN_OR_RETURN(int64_t day, PayloadExpiryMark(*db_, project));
    mark = expiry_marks_.emplace(std::string(project), day).first;
  }
  const int64_t day = DayOf(encoded.observation.start_time_ns);
  if (day < mark->second) {
    StripPayload(encoded);
    return absl::OkStatus();
  }
  TRACKLY_ASSIGN_OR_RETURN(encoded.payload_part, partitions_.PartitionFor(*db_, project, day));
  return partitions_.Put(*db_, encoded.payload_part, encoded.observation.trace_id, encoded.observation.id,
                         encoded.payload);
}

absl::Status Writer::Apply(std::vector<Pending>& group) {
  TRACKLY_RETURN_IF_ERROR(ForgetCacheIfChangedElsewhere());
  absl::flat_hash_map<TraceKey, FreshObservations> touched;
  {
    TRACKLY_ASSIGN_OR_RETURN(Statement upsert, db_->Prepare(UpsertObservationSql()));
    for (Pending& pending : group) {
      // After the writes before it in the group, so it reads what they stored.
      if (pending.load) TRACKLY_RETURN_IF_ERROR(pending.load(*db_, pending.observations));
      for (EncodedObservation& encoded : pending.observations) {
        TRACKLY_RETURN_IF_ERROR(PlacePayload(pending.project, encoded));
        BindObservation(upsert, pending.project, encoded);
        TRACKLY_RETURN_IF_ERROR(upsert.Run());
        model::Observation& observation = encoded.observation;
        touched[TraceKey(pending.project, observation.trace_id)][observation.id] = &observation;
      }
    }
  }
  {
    // In queue order, so of two writes of one score id in the group the later one wins.
    TRACKLY_ASSIGN_OR_RETURN(Statement upsert, db_->Prepare(UpsertScoreSql()));
    for (const Pending& pending : group) {
      for (const EncodedScore& score : pending.scores) {
        BindScore(upsert, pending.project, score);
        TRACKLY_RETURN_IF_ERROR(upsert.Run());
      }
    }
  }
  CommitWork work;
  for (auto& [key, fresh] : touched) {
    TRACKLY_RETURN_IF_ERROR(UpdateTrace(*db_, cache_, key.first, std::string(key.second), fresh, work));
  }
  for (const auto& [session, change] : work.sessions) {
    TRACKLY_RETURN_IF_ERROR(ApplySessionChange(*db_, session, change));
  }
  TRACKLY_RETURN_IF_ERROR(work.rollups.Flush(*db_));
  return UpdateSearchText(*db_, work);
}

}  // namespace trackly::store::sqlite
