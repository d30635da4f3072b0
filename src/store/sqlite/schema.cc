#include "store/sqlite/schema.h"

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "store/sqlite/rollups.h"

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
// Retention drops tables rather than deleting rows: payloads live in per-day partition tables
// from layout 7 on (store/sqlite/payload_partitions.h).
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

// Added in layout version 2.
//
// observation_fragments: every piece of an observation that arrives in pieces (Langfuse create/
//   update events, LangSmith post/patch; model/observation_fragment.h), keyed by the client's
//   event id so a repeated event is stored once. `payload` is the fragment's observation encoded
//   like observations.payload (payload.h), `fields` its field mask, `kind` 0 = create,
//   1 = update. The observations row of an id is the merge of all its fragments here
//   (store/sqlite/fragment_merger.h); an id whose merge lacks a trace id or start time has
//   fragments but no observations row yet.
constexpr char kSchemaV2[] = R"sql(
CREATE TABLE observation_fragments(
  project TEXT NOT NULL,
  observation_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  kind INTEGER NOT NULL,
  event_ns INTEGER NOT NULL,
  fields INTEGER NOT NULL,
  payload BLOB NOT NULL,
  PRIMARY KEY(project, observation_id, event_id)
) WITHOUT ROWID;
)sql";

// Added in layout version 3: the metrics rollups (store/sqlite/rollups.h; design in
// docs/architecture.md "Metrics rollups").
//
// observations gains the fields the rollups key or sum on that the summary columns lacked, so
//   the writer recomputes a trace's contribution from the rows without decoding payloads. Rows
//   written by an older layout have '' / 0 there, and no rollup contribution until rewritten.
// rollup_keys: one row per distinct dimension tuple (model::RollupKey) of a project and
//   rollup kind (model::RollupKind); `dims` is a JSON array of strings in DimensionsOf order.
// rollup_minute / rollup_hour / rollup_day: the summed model::RollupValues (`vals`, encoded by
//   rollups.cc) of every (kind, bucket start in Unix seconds, key) with a non-zero contribution;
//   the kind leads the key so a query of one kind never reads the (many) rows of another. Three
//   tiers so a query reads few rows: a 30-day range is ~30 day rows per key plus the hours and
//   minutes at its unaligned edges.
// rollup_contributions: what each trace currently contributes (entries of key, minute and
//   values), subtracted before its new contribution is added when the trace changes.
constexpr char kSchemaV3Columns[] = R"sql(
ALTER TABLE observations ADD COLUMN provider TEXT NOT NULL DEFAULT '';
ALTER TABLE observations ADD COLUMN error_type TEXT NOT NULL DEFAULT '';
ALTER TABLE observations ADD COLUMN prompt_name TEXT NOT NULL DEFAULT '';
ALTER TABLE observations ADD COLUMN prompt_version TEXT NOT NULL DEFAULT '';
ALTER TABLE observations ADD COLUMN tool_name TEXT NOT NULL DEFAULT '';
ALTER TABLE observations ADD COLUMN cache_savings REAL NOT NULL DEFAULT 0;
ALTER TABLE observations ADD COLUMN cost_note TEXT NOT NULL DEFAULT '';
)sql";
constexpr char kSchemaV3Tables[] = R"sql(
CREATE TABLE IF NOT EXISTS rollup_keys(
  key_id INTEGER PRIMARY KEY,
  project TEXT NOT NULL,
  kind INTEGER NOT NULL,
  dims TEXT NOT NULL,
  UNIQUE(project, kind, dims)
);
CREATE TABLE IF NOT EXISTS rollup_minute(
  project TEXT NOT NULL, kind INTEGER NOT NULL, bucket_s INTEGER NOT NULL, key_id INTEGER NOT NULL,
  vals BLOB NOT NULL,
  PRIMARY KEY(project, kind, bucket_s, key_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_hour(
  project TEXT NOT NULL, kind INTEGER NOT NULL, bucket_s INTEGER NOT NULL, key_id INTEGER NOT NULL,
  vals BLOB NOT NULL,
  PRIMARY KEY(project, kind, bucket_s, key_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_day(
  project TEXT NOT NULL, kind INTEGER NOT NULL, bucket_s INTEGER NOT NULL, key_id INTEGER NOT NULL,
  vals BLOB NOT NULL,
  PRIMARY KEY(project, kind, bucket_s, key_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_contributions(
  project TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY(project, trace_id)
) WITHOUT ROWID;
)sql";

// Added in layout version 4.
//
// scores: one row per (project, score id) (model::Score); a later write of an id replaces the
//   row. `value` is the JSON text of the value (a number, string or bool, so its type survives).
//   A score may name a trace that has no observations yet. Listed newest first by
//   (time_ns, score_id); each filter the API offers on its own has an index ending in that key,
//   so a filtered page is an index walk; `source` (a few distinct values) is filtered on the way.
// IF NOT EXISTS, as in ApplyV3, for a store that has the layout under an older user_version.
constexpr char kSchemaV4[] = R"sql(
CREATE TABLE IF NOT EXISTS scores(
  project TEXT NOT NULL,
  score_id TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  observation_id TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  comment TEXT NOT NULL,
  source TEXT NOT NULL,
  time_ns INTEGER NOT NULL,
  PRIMARY KEY(project, score_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS scores_by_time ON scores(project, time_ns, score_id);
CREATE INDEX IF NOT EXISTS scores_by_trace ON scores(project, trace_id, time_ns, score_id);
CREATE INDEX IF NOT EXISTS scores_by_observation ON scores(project, observation_id, time_ns, score_id)
  WHERE observation_id != '';
CREATE INDEX IF NOT EXISTS scores_by_name ON scores(project, name, time_ns, score_id);
)sql";

// Added in layout version 5.
//
// observations_by_start: the order of Store::ListTraceObservations, so a page of a 100k-span
//   trace is an index range of its own rows (then a primary-key lookup each) instead of a sort of
//   the whole trace. Costs one more index entry per written observation. Dropped in layout 11
//   for observation_order.
constexpr char kSchemaV5[] = R"sql(
CREATE INDEX IF NOT EXISTS observations_by_start ON observations(project, trace_id, start_ns, id);
)sql";

// Added in layout version 6.
//
// sessions gains the summed counts of its traces (model::Session::counts), filled in here from
//   the trace rows; observations gains completion_start_ns (first token; 0 = none) so a
//   summary page carries it without decoding payloads (rows written before have 0 there until
//   rewritten; their full observation still has it); the rollup values gain tool calls, retrievals and retries, so every rollup is
//   rebuilt from the observations (RebuildRollups; a one-time cost linear in the stored spans).
constexpr char kSchemaV6[] = R"sql(
ALTER TABLE observations ADD COLUMN completion_start_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN n_observations INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN n_generations INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN n_tool_calls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN n_retrievals INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN n_errors INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN n_retries INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET (n_observations, n_generations, n_tool_calls, n_retrievals, n_errors, n_retries) = (
  SELECT TOTAL(n_observations), TOTAL(n_generations), TOTAL(n_tool_calls), TOTAL(n_retrievals),
         TOTAL(n_errors), TOTAL(n_retries)
  FROM traces
  -- "!= ''" lets SQLite use the partial index traces_by_session instead of scanning traces.
  WHERE traces.project = sessions.project AND traces.session_id = sessions.session_id AND traces.session_id != '');
)sql";

// Added in layout version 7: retention (store/sqlite/payload_partitions.h).
//
// observations gains payload_part (where the payload is: payload_partitions.h) and payload_bytes
//   (its stored size when it lives in a partition; observations.payload is then empty).
// payload_partitions: one row per (project, UTC day) partition table payloads_<part_id>.
// retention_marks: per project, the day before which its payloads have expired, so a late write
//   into an expired day stores no payload.
constexpr char kSchemaV7Columns[] = R"sql(
ALTER TABLE observations ADD COLUMN payload_part INTEGER NOT NULL DEFAULT 0;
ALTER TABLE observations ADD COLUMN payload_bytes INTEGER NOT NULL DEFAULT 0;
)sql";
constexpr char kSchemaV7Tables[] = R"sql(
CREATE TABLE IF NOT EXISTS payload_partitions(
  part_id INTEGER PRIMARY KEY AUTOINCREMENT,
  project TEXT NOT NULL,
  day INTEGER NOT NULL,
  UNIQUE(project, day)
);
CREATE TABLE IF NOT EXISTS retention_marks(
  project TEXT NOT NULL PRIMARY KEY,
  payload_before_day INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Added in layout version 8: the workflow rollups (store/sqlite/workflow_rollups.h; what they
// hold: docs/insight.md "Workflow graph", "Maintained at completion").
//
// workflow_runs: what each evaluated run contributes (model::WorkflowRollup, encoded by
//   WorkflowRollup::Encode) and the cell it is counted in, so a re-evaluation or an erasure can
//   subtract it exactly. Indexed by hour for summary expiry.
// workflow_rollups: the sum of the contributions of every run of a (trace name, environment,
//   release, UTC hour of the run's start) cell; a cell that comes back to zero is deleted. The
//   key leads with (project, name, hour) so the graph of one agent over a range reads one key
//   range. Tables with rowids rather than WITHOUT ROWID: a cell's blob runs to kilobytes, and
//   SQLite keeps large rows out of the key b-tree only in rowid tables.
// IF NOT EXISTS, as in ApplyV3.
constexpr char kSchemaV8[] = R"sql(
CREATE TABLE IF NOT EXISTS workflow_runs(
  project TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  environment TEXT NOT NULL,
  release TEXT NOT NULL,
  hour INTEGER NOT NULL,
  rollup BLOB NOT NULL,
  PRIMARY KEY(project, trace_id)
);
CREATE INDEX IF NOT EXISTS workflow_runs_by_hour ON workflow_runs(project, hour);
CREATE TABLE IF NOT EXISTS workflow_rollups(
  project TEXT NOT NULL,
  name TEXT NOT NULL,
  hour INTEGER NOT NULL,
  environment TEXT NOT NULL,
  release TEXT NOT NULL,
  rollup BLOB NOT NULL,
  PRIMARY KEY(project, name, hour, environment, release)
);
)sql";

// Added in layout version 9: the rollup contributions of the traces tail sampling dropped
// (Store::DropSampledOut). Their share stays in the rollup cells; the contribution moves here from
// rollup_contributions, keyed by what erasure and summary expiry select a trace by (its start, user
// and session, as its summary said when it was dropped), so they can still take it back, and so
// a late span that starts the trace anew does not overwrite it (a trace dropped twice has both
// bodies, concatenated).
constexpr char kSchemaV9[] = R"sql(
CREATE TABLE IF NOT EXISTS sampled_out_traces(
  project TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  start_ns INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY(project, trace_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sampled_out_by_start ON sampled_out_traces(project, start_ns);
CREATE INDEX IF NOT EXISTS sampled_out_by_user ON sampled_out_traces(project, user_id) WHERE user_id != '';
CREATE INDEX IF NOT EXISTS sampled_out_by_session ON sampled_out_traces(project, session_id) WHERE session_id != '';
)sql";

// Layout version 10.
//
// A payload written to a partition from then on holds only the observation's detail (payload.h
//   EncodeDetailPayload), its summary fields being in the observations row already. Rows written
//   before keep whole payloads, and both read the same. An older trackly would take a detail
//   payload for a whole observation: the version makes it refuse the store instead.
// traces_by_session also holds every column SummarizeSession reads (SessionInputColumns), so
//   recomputing a session after each write of one of its traces is one index range scan instead
//   of a table lookup per trace of the session (the writer does it for every written trace; a
//   session of thousands of traces made it a tenth of the writer's time). Same key prefix, so it
//   serves the session-filtered lists as before.
// traces and sessions keep the summed cache savings (cost_cache_savings, docs/cost.md), which
//   earlier layouts dropped: rows written before show none until their trace is next written
//   (or `trackly cost recompute` rewrites it).
constexpr char kSchemaV10Columns[] = R"sql(
ALTER TABLE traces ADD COLUMN cost_cache_savings REAL NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN cost_cache_savings REAL NOT NULL DEFAULT 0;
)sql";
constexpr char kSchemaV10[] = R"sql(
DROP INDEX IF EXISTS traces_by_session;
CREATE INDEX traces_by_session ON traces(project, session_id, start_ns, trace_id, end_ns, status, user_id,
  input_tokens, output_tokens, total_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
  cost_input, cost_output, cost_total, cost_source, n_observations, n_generations, n_tool_calls,
  n_retrievals, n_errors, n_retries, cost_cache_savings) WHERE session_id != '';
)sql";

// Layout version 11: start order only for large traces.
//
// observation_order: (start_ns, id) of every observation of each trace that has
//   kOrderedTraceObservations observations or more, so a page of a 100k-span trace is a range of
//   this table and a primary-key lookup per row. It replaces observations_by_start, which held an
//   entry for every observation: most traces are small, their pages sort a few hundred rows in
//   memory, and the index entry was a b-tree insert and its WAL pages for every ingested span
//   (the ingest benchmark runs ~11 % faster without it: docs/benchmarks.md "Layout 11"). The
//   writer adds a trace's rows when it reaches the threshold and each new row after (writer.cc
//   UpdateTrace).
// observation_order_forget: a deleted observation row takes its entry along, whether an erasure
//   deletes it or INSERT OR REPLACE replaces it by a rewrite (which fires delete triggers only with
//   PRAGMA recursive_triggers, set on the writer's connection: sqlite_store.cc).
constexpr char kSchemaV11[] = R"sql(
CREATE TABLE IF NOT EXISTS observation_order(
  project TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  start_ns INTEGER NOT NULL,
  id TEXT NOT NULL,
  PRIMARY KEY(project, trace_id, start_ns, id)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS observation_order_forget AFTER DELETE ON observations BEGIN
  DELETE FROM observation_order
  WHERE project = old.project AND trace_id = old.trace_id AND start_ns = old.start_ns AND id = old.id;
END;
DROP INDEX IF EXISTS observations_by_start;
)sql";

// Idempotent (INSERT OR IGNORE), as ApplyV3.
absl::Status ApplyV11(Connection& db) {
  TRACKLY_RETURN_IF_ERROR(db.Exec(kSchemaV11));
  return db.Exec(absl::StrCat(
      "INSERT OR IGNORE INTO observation_order(project, trace_id, start_ns, id) "
      "SELECT o.project, o.trace_id, o.start_ns, o.id FROM traces AS t "
      "JOIN observations AS o ON o.project = t.project AND o.trace_id = t.trace_id "
      "WHERE t.n_observations >= ", kOrderedTraceObservations));
}

// Idempotent, so a store that has the version 3 layout under an older user_version (a test's
// downgrade, an interrupted tool) upgrades too: ALTER TABLE has no IF NOT EXISTS.
absl::Status ApplyV3(Connection& db) {
  TRACKLY_ASSIGN_OR_RETURN(
      int64_t has_columns,
      db.QueryInt("SELECT COUNT(*) FROM pragma_table_info('observations') WHERE name = 'provider'"));
  if (has_columns == 0) TRACKLY_RETURN_IF_ERROR(db.Exec(kSchemaV3Columns));
  return db.Exec(kSchemaV3Tables);
}

// Idempotent, as ApplyV3. The rollups are rebuilt once every later step has run (RebuildRollups
// reads the latest layout's columns).
absl::Status ApplyV6(Connection& db) {
  TRACKLY_ASSIGN_OR_RETURN(
      int64_t has_columns,
      db.QueryInt("SELECT COUNT(*) FROM pragma_table_info('sessions') WHERE name = 'n_observations'"));
  if (has_columns == 0) return db.Exec(kSchemaV6);
  return absl::OkStatus();
}

// Idempotent, as ApplyV3.
absl::Status ApplyV7(Connection& db) {
  TRACKLY_ASSIGN_OR_RETURN(
      int64_t has_columns,
      db.QueryInt("SELECT COUNT(*) FROM pragma_table_info('observations') WHERE name = 'payload_part'"));
  if (has_columns == 0) TRACKLY_RETURN_IF_ERROR(db.Exec(kSchemaV7Columns));
  return db.Exec(kSchemaV7Tables);
}

// Idempotent, as ApplyV3.
absl::Status ApplyV10(Connection& db) {
  TRACKLY_ASSIGN_OR_RETURN(
      int64_t has_columns,
      db.QueryInt("SELECT COUNT(*) FROM pragma_table_info('traces') WHERE name = 'cost_cache_savings'"));
  if (has_columns == 0) TRACKLY_RETURN_IF_ERROR(db.Exec(kSchemaV10Columns));
  return db.Exec(kSchemaV10);
}

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
  // Each step brings the layout from one version to the next; another process may have done
  // some of them meanwhile.
  if (status.ok() && *current < 1) status = db.Exec(kSchema);
  if (status.ok() && *current < 2) status = db.Exec(kSchemaV2);
  if (status.ok() && *current < 3) status = ApplyV3(db);
  if (status.ok() && *current < 4) status = db.Exec(kSchemaV4);
  if (status.ok() && *current < 5) status = db.Exec(kSchemaV5);
  if (status.ok() && *current < 6) status = ApplyV6(db);
  if (status.ok() && *current < 7) status = ApplyV7(db);
  if (status.ok() && *current < 8) status = db.Exec(kSchemaV8);
  if (status.ok() && *current < 9) status = db.Exec(kSchemaV9);
  if (status.ok() && *current < 10) status = ApplyV10(db);
  if (status.ok() && *current < 11) status = ApplyV11(db);
  if (status.ok() && *current < 6) status = RebuildRollups(db);
  if (status.ok() && *current < kStoreSchemaVersion) {
    status = db.Exec(absl::StrCat("PRAGMA user_version = ", kStoreSchemaVersion));
  }
  if (!status.ok()) {
    db.Exec("ROLLBACK").IgnoreError();  // the original error is the one worth reporting
    return status;
  }
  return db.Exec("COMMIT");
}

}  // namespace trackly::store::sqlite
