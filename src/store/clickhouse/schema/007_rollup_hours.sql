-- Layout version 7: hour sums of the metrics rollups, so a dashboard over weeks reads one row per
-- cell and hour instead of one per cell and trace (store/clickhouse/rollups.h "Hour sums" says
-- how they stay exact; docs/scale-out.md "Dashboards").

-- Per (project, kind, hour, dims): the sums of the collapsed `rollups` rows of that hour, as one
-- computation found them, with computed_version = the computing node's clock taken before its
-- read. Each computation of an hour also writes one marker row (kind 255, dims []), in the same
-- insert; a query reads only the rows of the hour's highest marker version. The value columns and
-- `latency` (a merged LatencySketch::Encode()) are those of `rollups`. `day` is the hour's day.
CREATE TABLE IF NOT EXISTS rollup_hours (
  project String,
  kind UInt8,
  hour_s Int64,
  dims Array(String),
  computed_version UInt64,
  day Date,
  retention_payload_days UInt16 DEFAULT 0,
  retention_summary_days UInt16 DEFAULT 0,
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
) ENGINE = ReplacingMergeTree(computed_version)
PARTITION BY (retention_payload_days, retention_summary_days, day)
ORDER BY (project, kind, hour_s, dims);

-- Dirty marks: an hour whose `rollups` rows changed at `version` (the writer's clock after the
-- change was acknowledged). Sums computed before the newest mark (plus a clock margin) are stale.
CREATE TABLE IF NOT EXISTS rollup_dirty_hours (
  project String,
  hour_s Int64,
  version UInt64,
  day Date,
  retention_payload_days UInt16 DEFAULT 0,
  retention_summary_days UInt16 DEFAULT 0
) ENGINE = ReplacingMergeTree(version)
PARTITION BY (retention_payload_days, retention_summary_days, day)
ORDER BY (project, hour_s);
