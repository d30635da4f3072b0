-- Layout version 6: `observations` and `traces` get index granules of 1024 rows (ClickHouse's
-- default is 8192). Trace detail reads the rows of one trace, and a trace list's second step the
-- summary rows of one page (store/clickhouse/queries.h ReadTracePage); ClickHouse reads whole
-- granules, so with 8192-row granules one trace of 100 spans cost ~14,000 observation rows
-- (payloads included) and one summary ~10,000 trace rows (docs/benchmarks.md "Query figures").
-- The cost is 8 times as many marks (16 bytes per column per granule: ~2 MB for the 12 columns of
-- 10M observations) and primary index entries.
--
-- index_granularity cannot change in place (not on 18.16), so each table is made anew as
-- <table>__layout6, with the columns, engine, partition key and ORDER BY of layout 5, and the code
-- step of this migration (store/clickhouse/retention_migration.h RebuildWithSmallGranules) swaps
-- it in with RENAME TABLE, copies the old rows into it partition by partition, then drops the old
-- table.

CREATE TABLE IF NOT EXISTS observations__layout6 (
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
ORDER BY (project, trace_id, id)
SETTINGS index_granularity = 1024;

CREATE TABLE IF NOT EXISTS traces__layout6 (
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
ORDER BY (project, trace_id)
SETTINGS index_granularity = 1024;
