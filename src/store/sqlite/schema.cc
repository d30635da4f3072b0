#include "store/sqlite/schema.h"

#include "absl/strings/str_cat.h"
#include "base/status.h"

namespace trackly::store::sqlite {
namespace {

// Every key starts with the project, so no query can reach another project's rows.
//
// observations: one row per (project, trace_id, id), WITHOUT ROWID so the primary key is the
//   b-tree key and reading one trace is a single range scan. `payload` is the whole observation
//   (payload.h); the other columns are exactly what model::SummarizeTrace reads from a non-root
//   observation, so the writer can recompute a trace summary without decoding payloads. The
//   hint_* columns hold TraceHints fields, NULL when empty (JSON text for tags/metadata/input/
//   output). Text columns hold '' rather than NULL for "absent".
//
// traces: the summary row of each trace (model::Trace), rewritten whenever one of its
//   observations is written. `row_id` is an integer key only so the FTS table can point at it.
//   The list indexes end with (start_ns, trace_id): the newest-first list and its keyset cursor
//   are an index walk; the partial indexes serve the common equality filters.
// trace_tags / trace_models: one row per tag / model of a trace, so the tag and model filters
//   are index probes rather than JSON scans of every candidate row.
// trace_text: FTS5 over the string values of each trace's input and output (rowid =
//   traces.row_id). Trace level, not span level: indexing every span's prompt and completion would
//   multiply index writes per ingested span, while the trace's input/output hold what a person
//   searches for (the question, the final answer). FTS5 rather than a LIKE scan so a search stays
//   an index lookup at millions of traces.
// sessions: the summary row of each session (model::Session), rewritten when one of its traces
//   changes; listed newest last_ns first.
//
// Retention (a later issue) should not delete rows one by one: the place for it is splitting
// observations/traces into time-partitioned database files (one per day or week, ATTACHed and
// queried through a UNION ALL view) so expiry drops a file. Nothing here assumes one file.
constexpr char kSchema[] = R"sql(
CREATE TABLE observations(
  project TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  id TEXT NOT NULL,
  parent_id TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  status TEXT NOT NULL,
  level TEXT NOT NULL,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL,
  model TEXT NOT NULL,
  environment TEXT NOT NULL,
  release TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  total_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  cost_input REAL NOT NULL,
  cost_output REAL NOT NULL,
  cost_total REAL NOT NULL,
  cost_source INTEGER NOT NULL,
  retry_count INTEGER NOT NULL,
  hint_trace_name TEXT,
  hint_session_id TEXT,
  hint_user_id TEXT,
  hint_feature TEXT,
  hint_tags TEXT,
  hint_metadata TEXT,
  hint_input TEXT,
  hint_output TEXT,
  payload BLOB NOT NULL,
  PRIMARY KEY(project, trace_id, id)
) WITHOUT ROWID;

CREATE TABLE traces(
  row_id INTEGER PRIMARY KEY,
  project TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL,
  latency_ms REAL NOT NULL,
  status TEXT NOT NULL,
  session_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  feature TEXT NOT NULL,
  environment TEXT NOT NULL,
  release TEXT NOT NULL,
  tags TEXT NOT NULL,
  metadata TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT NOT NULL,
  n_observations INTEGER NOT NULL,
  n_generations INTEGER NOT NULL,
  n_tool_calls INTEGER NOT NULL,
  n_retrievals INTEGER NOT NULL,
  n_errors INTEGER NOT NULL,
  n_retries INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  total_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  cost_input REAL NOT NULL,
  cost_output REAL NOT NULL,
  cost_total REAL NOT NULL,
  cost_source INTEGER NOT NULL,
  models TEXT NOT NULL,
  has_root INTEGER NOT NULL,
  UNIQUE(project, trace_id)
);
CREATE INDEX traces_by_start ON traces(project, start_ns, trace_id);
CREATE INDEX traces_by_name ON traces(project, name, start_ns, trace_id);
CREATE INDEX traces_by_user ON traces(project, user_id, start_ns, trace_id) WHERE user_id != '';
CREATE INDEX traces_by_session ON traces(project, session_id, start_ns, trace_id) WHERE session_id != '';

CREATE TABLE trace_tags(
  project TEXT NOT NULL,
  tag TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  PRIMARY KEY(project, tag, trace_id)
) WITHOUT ROWID;

CREATE TABLE trace_models(
  project TEXT NOT NULL,
  model TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  PRIMARY KEY(project, model, trace_id)
) WITHOUT ROWID;

CREATE VIRTUAL TABLE trace_text USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');

CREATE TABLE sessions(
  project TEXT NOT NULL,
  session_id TEXT NOT NULL,
  trace_count INTEGER NOT NULL,
  first_ns INTEGER NOT NULL,
  last_ns INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  total_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  cost_input REAL NOT NULL,
  cost_output REAL NOT NULL,
  cost_total REAL NOT NULL,
  cost_source INTEGER NOT NULL,
  error_count INTEGER NOT NULL,
  PRIMARY KEY(project, session_id)
) WITHOUT ROWID;
CREATE INDEX sessions_by_last ON sessions(project, last_ns, session_id);
CREATE INDEX sessions_by_user ON sessions(project, user_id, last_ns, session_id) WHERE user_id != '';
)sql";

}  // namespace

absl::Status ApplyStoreSchema(Connection& db) {
  TRACKLY_ASSIGN_OR_RETURN(int64_t version, db.QueryInt("PRAGMA user_version"));
  if (version == kStoreSchemaVersion) return absl::OkStatus();
  if (version > kStoreSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("store.db has layout version ", version, "; this trackly reads up to ",
                     kStoreSchemaVersion, " (written by a newer trackly?)"));
  }
  // BEGIN IMMEDIATE: two processes opening a fresh directory at once cannot both create tables.
  TRACKLY_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  absl::StatusOr<int64_t> current = db.QueryInt("PRAGMA user_version");
  absl::Status status = current.status();
  if (status.ok() && *current == 0) {
    status = db.Exec(kSchema);
    if (status.ok()) status = db.Exec(absl::StrCat("PRAGMA user_version = ", kStoreSchemaVersion));
  }
  if (!status.ok()) {
    db.Exec("ROLLBACK").IgnoreError();  // the original error is the one worth reporting
    return status;
  }
  return db.Exec("COMMIT");
}

}  // namespace trackly::store::sqlite
