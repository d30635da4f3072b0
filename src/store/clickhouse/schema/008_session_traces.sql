-- Layout version 8: the traces of each session, so that finding the traces of a few sessions (the
-- writer's session summaries, a session's detail, erasure by session, a trace list filtered by
-- session) reads their key ranges here instead of the session_id column of every `traces` row of
-- the project (`traces` is ordered by trace id). docs/scale-out.md "Tables".
--
-- One row per (session, trace) that a `traces` row named: the writer inserts one for each summary
-- row with a session it writes, just before it, with that row's version, day and retention class,
-- so the two share a partition, which expiry drops or mutates alike (expirer.h, eraser.h). A trace
-- that moved to another session keeps its row under the old one until it is erased or expires:
-- reads take these rows as candidates only, and the trace's latest summary decides (queries.h
-- TracesOfSessionsSql). Rows are small, so granules of 1024 rows, as `traces` has (layout 6), cost
-- little and keep a lookup to a few rows per part.
CREATE TABLE IF NOT EXISTS session_traces (
  project String,
  session_id String,
  trace_id String,
  version UInt64,
  day Date,
  retention_payload_days UInt16 DEFAULT 0,
  retention_summary_days UInt16 DEFAULT 0
) ENGINE = ReplacingMergeTree(version)
PARTITION BY (retention_payload_days, retention_summary_days, day)
ORDER BY (project, session_id, trace_id)
SETTINGS index_granularity = 1024;

-- The rows of every `traces` row written before this layout, every version of it: the candidates
-- the reads of older layouts found. Run again (a node that failed before recording the layout, or
-- two nodes starting at once), it adds equal rows, which reads and merges fold.
INSERT INTO session_traces (project, session_id, trace_id, version, day, retention_payload_days,
                            retention_summary_days)
SELECT project, session_id, trace_id, version, day, retention_payload_days, retention_summary_days
FROM traces WHERE session_id != '';
