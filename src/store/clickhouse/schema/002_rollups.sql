-- Layout version 2: the metrics rollups (store/clickhouse/rollups.h says how they are kept exact).

-- What each trace contributes to each rollup cell: one row per (rollup kind, minute of start,
-- dimension values, trace), the model::RollupValues of the trace's observations in that cell
-- (kind 0) or of the run (kinds 1, 2; model/rollup.h RollupKind), written by the node that last
-- stored one of the trace's observations with the version of the trace's summary. A cell the
-- trace no longer contributes to gets a row of zeros (a tombstone). A query collapses each
-- (cell, trace) with argMax(…, version), then sums over traces. `dims` are the values of
-- model::DimensionsOf(kind) in order; `latency` is the cell's LatencySketch::Encode().
-- `day` is the day of minute_s, so a key never changes partition and merges can collapse it.
CREATE TABLE IF NOT EXISTS rollups (
  project String,
  kind UInt8,
  minute_s Int64,
  dims Array(String),
  trace_id String,
  version UInt64,
  day Date,
  count Int64,
  errors Int64,
  latency_sum_us Int64,
  input_tokens Int64,
  output_tokens Int64,
  total_tokens Int64,
  cache_read_tokens Int64,
  cache_write_tokens Int64,
  reasoning_tokens Int64,
  cost_nusd Int64,
  ok_cost_nusd Int64,
  cache_savings_nusd Int64,
  unpriced Int64,
  model_calls Int64,
  tool_calls Int64,
  retrievals Int64,
  retries Int64,
  latency String
) ENGINE = ReplacingMergeTree(version)
PARTITION BY day
ORDER BY (project, kind, minute_s, dims, trace_id);

-- The cells (kind, minute_s, dims) in which each trace may have a non-zero row of `rollups`: the
-- writer reads them to know where to write tombstones. `cells` is a list of (UInt8 kind,
-- Int64 minute_s, Array(String) dims) in RowBinary. `day` is the day of the trace's start.
CREATE TABLE IF NOT EXISTS rollup_cells (
  project String,
  trace_id String,
  version UInt64,
  day Date,
  cells String
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (project, trace_id);
