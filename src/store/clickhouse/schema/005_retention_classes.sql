-- Layout version 5: the retention class leads the partition key of every table that expiry acts on
-- day by day (store/clickhouse/retention_classes.h; docs/scale-out.md "Retention"), so that the
-- days of projects that keep their data equally long expire as whole partitions.
--
-- A partition key cannot change in place (not on 18.16, not today), so each table is made anew
-- under the name <table>__layout5, with the same columns plus
--   retention_payload_days, retention_summary_days: the project's retention when the row was
--   written (0 = forever; DEFAULT 0 for a node of an older layout still writing during an upgrade),
-- and the code step of this migration (store/clickhouse/retention_migration.h) swaps each new
-- table in with RENAME TABLE, copies the old rows into it day by day, then drops the old table.
-- The ORDER BY keys, engines and every other column are those of layouts 1 to 4. rollup_cells
-- moves from monthly to daily partitions like the others (its `day` is its trace's start day).

CREATE TABLE IF NOT EXISTS observations__layout5 (
  project String,
  trace_id String,
  id String,
  version UInt64,
  day Date,
  retention_payload_days UInt16 DEFAULT 0,
  retention_summary_days UInt16 DEFAULT 0,
  start_ns Int64,
  parent_id String,
  summary String {payload_codec},
  payload String {payload_codec},
  trace_payload String {payload_codec}
) ENGINE = ReplacingMergeTree(version)
PARTITION BY (retention_payload_days, retention_summary_days, day)
ORDER BY (project, trace_id, id);

CREATE TABLE IF NOT EXISTS traces__layout5 (
  project String,
  trace_id String,
  version UInt64,
  day Date,
  retention_payload_days UInt16 DEFAULT 0,
  retention_summary_days UInt16 DEFAULT 0,
  name String,
  start_ns Int64,
  end_ns Int64,
  latency_ms Float64,
  status String,
  session_id String,
  user_id String,
  feature String,
  environment String,
  release String,
  tags Array(String),
  metadata String,
  input String {payload_codec},
  output String {payload_codec},
  n_observations Int64,
  n_generations Int64,
  n_tool_calls Int64,
  n_retrievals Int64,
  n_errors Int64,
  n_retries Int64,
  input_tokens Int64,
  output_tokens Int64,
  total_tokens Int64,
  cache_read_tokens Int64,
  cache_write_tokens Int64,
  reasoning_tokens Int64,
  usage_estimated UInt8,
  cost_input Float64,
  cost_output Float64,
  cost_total Float64,
  cost_source UInt8,
  cost_price_id String,
  cost_cache_savings Float64,
  cost_note String,
  models Array(String),
  has_root UInt8
) ENGINE = ReplacingMergeTree(version)
PARTITION BY (retention_payload_days, retention_summary_days, day)
ORDER BY (project, trace_id);

CREATE TABLE IF NOT EXISTS rollups__layout5 (
  project String,
  kind UInt8,
  minute_s Int64,
  dims Array(String),
  trace_id String,
  version UInt64,
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
) ENGINE = ReplacingMergeTree(version)
PARTITION BY (retention_payload_days, retention_summary_days, day)
ORDER BY (project, kind, minute_s, dims, trace_id);

CREATE TABLE IF NOT EXISTS rollup_cells__layout5 (
  project String,
  trace_id String,
  version UInt64,
  day Date,
  retention_payload_days UInt16 DEFAULT 0,
  retention_summary_days UInt16 DEFAULT 0,
  cells String
) ENGINE = ReplacingMergeTree(version)
PARTITION BY (retention_payload_days, retention_summary_days, day)
ORDER BY (project, trace_id);

CREATE TABLE IF NOT EXISTS observation_fragments__layout5 (
  project String,
  observation_id String,
  event_id String,
  version UInt64,
  day Date,
  retention_payload_days UInt16 DEFAULT 0,
  retention_summary_days UInt16 DEFAULT 0,
  kind UInt8,
  event_ns Int64,
  fields UInt64,
  payload String {payload_codec}
) ENGINE = ReplacingMergeTree(version)
PARTITION BY (retention_payload_days, retention_summary_days, day)
ORDER BY (project, observation_id, event_id);

CREATE TABLE IF NOT EXISTS workflow_runs__layout5 (
  project String,
  trace_id String,
  version UInt64,
  day Date,
  retention_payload_days UInt16 DEFAULT 0,
  retention_summary_days UInt16 DEFAULT 0,
  name String,
  environment String,
  release String,
  hour Int64,
  rollup String
) ENGINE = ReplacingMergeTree(version)
PARTITION BY (retention_payload_days, retention_summary_days, day)
ORDER BY (project, trace_id);

CREATE TABLE IF NOT EXISTS workflow_cells__layout5 (
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
  retention_payload_days UInt16 DEFAULT 0,
  retention_summary_days UInt16 DEFAULT 0,
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
PARTITION BY (retention_payload_days, retention_summary_days, day)
ORDER BY (project, name, hour, environment, release, item, edge_kind, path, to_path);
