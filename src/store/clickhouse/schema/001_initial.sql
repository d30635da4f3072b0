-- Layout version 1 of the ClickHouse store (store/clickhouse/schema.h applies it).
--
-- Every table is a ReplacingMergeTree keyed by what a write upserts; `version` is the writing
-- node's clock (ns) when it built the row, so a background merge keeps the newest row of a key.
-- Reads never rely on merges having happened: they collapse the rows of a key with
-- argMax(column, version) (store/clickhouse/clickhouse_store.cc). A retried insert writes rows
-- equal to, or newer than, the ones already there, so it never doubles anything.
--
-- {payload_codec} becomes CODEC(ZSTD(1)) on servers that have column codecs (19.1 and later) and
-- nothing on older ones (Debian 12's 18.16), where the table's default LZ4 applies; observation
-- payloads are zstd-compressed by the writer above a size threshold either way.
-- Statements are separated by a line that ends with ';'.

-- One row per observation: the whole observation as its payload (the SQLite store's payload
-- encoding, store/sqlite/payload.h: model::ToJson, zstd above a threshold), plus the columns reads
-- filter and sort on. `summary` is the observation's JSON without its bulky fields (rows.h
-- SummaryOf): what a summary page of a trace shows and, with the root's payload, all that
-- model::SummarizeTrace reads. Ordered for the "all spans of one trace" hot path.
CREATE TABLE IF NOT EXISTS observations (
  project String,
  trace_id String,
  id String,
  version UInt64,
  day Date,
  start_ns Int64,
  parent_id String,
  summary String {payload_codec},
  payload String {payload_codec}
) ENGINE = ReplacingMergeTree(version)
PARTITION BY day
ORDER BY (project, trace_id, id);

-- One row per trace: model::SummarizeTrace over all the trace's stored observations, written by
-- the node that last stored one of them. `day` is the day of the trace's start.
CREATE TABLE IF NOT EXISTS traces (
  project String,
  trace_id String,
  version UInt64,
  day Date,
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
PARTITION BY day
ORDER BY (project, trace_id);

-- One row per session: model::SummarizeSession over the traces whose summary names it.
-- trace_count = 0 marks a session whose last trace moved away (it is not listed).
CREATE TABLE IF NOT EXISTS sessions (
  project String,
  session_id String,
  version UInt64,
  day Date,
  trace_count Int64,
  first_ns Int64,
  last_ns Int64,
  user_id String,
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
  error_count Int64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (project, session_id);

-- One row per score (upsert on project and score id). `value` is the JSON of model::Score::value.
CREATE TABLE IF NOT EXISTS scores (
  project String,
  id String,
  version UInt64,
  day Date,
  trace_id String,
  observation_id String,
  name String,
  value String,
  comment String,
  source String,
  time_ns Int64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY day
ORDER BY (project, id);

-- Every fragment of observations written in pieces (model/observation_fragment.h), keyed by
-- (project, observation id, client event id). The FIRST write of a key wins, as a repeat is
-- ignored: `version` is UINT64_MAX minus the writer's clock, so merges keep the earliest row and
-- reads take argMax(..., version) like everywhere else.
CREATE TABLE IF NOT EXISTS observation_fragments (
  project String,
  observation_id String,
  event_id String,
  version UInt64,
  day Date,
  kind UInt8,
  event_ns Int64,
  fields UInt64,
  payload String {payload_codec}
) ENGINE = ReplacingMergeTree(version)
PARTITION BY day
ORDER BY (project, observation_id, event_id);
