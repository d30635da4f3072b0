-- Layout version 4: the workflow rollups (store/clickhouse/workflow.h says how they are kept).

-- Each run's latest contribution, so the writer knows what to take back when the trace is
-- recorded again or erased: one row per record of a trace, the newest (argMax by version) counts.
-- `rollup` is model::WorkflowRollup::Encode() of the run; '' with an empty name is a tombstone
-- (the run was erased; its rows are being deleted). `hour` is HourOf(the trace's start) and
-- `day` that hour's day, so the row expires with the cells it counted in.
CREATE TABLE IF NOT EXISTS workflow_runs (
  project String,
  trace_id String,
  version UInt64,
  day Date,
  name String,
  environment String,
  release String,
  hour Int64,
  rollup String
) ENGINE = ReplacingMergeTree(version)
PARTITION BY day
ORDER BY (project, trace_id);

-- The sums of the runs of each (trace name, environment, release, hour), one row per item of
-- the graph: item 0 the totals, 1 a node (path = its step keys from the root), 2 an edge
-- (edge_kind, from path, to_path). Values are SIGNED: recording a run again inserts its old
-- contribution negated plus its new one, an erasure the old one negated. Reads GROUP BY the key
-- and sum, sumMap for the latency sketch (bucket → count, model::LatencySketch's buckets), so they
-- are exact before any merge; merges only sum rows of a key into one. `calls` is a node's spans,
-- an edge's occurrences, the totals' spans. Columns a kind of item does not have stay 0.
CREATE TABLE IF NOT EXISTS workflow_cells (
  project String,
  name String,
  hour Int64,
  environment String,
  release String,
  item UInt8,
  edge_kind Int64,
  path Array(String),
  to_path Array(String),
  day Date,
  runs Int64,
  calls Int64,
  errors Int64,
  cost_nusd Int64,
  input_tokens Int64,
  output_tokens Int64,
  total_tokens Int64,
  model_calls Int64,
  tool_calls Int64,
  latencyMap Nested(bucket Int64, count Int64)
) ENGINE = SummingMergeTree
PARTITION BY day
ORDER BY (project, name, hour, environment, release, item, edge_kind, path, to_path);
