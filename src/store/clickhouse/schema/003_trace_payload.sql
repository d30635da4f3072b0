-- Layout version 3: the trace-level text an observation carries (its trace hints' input, output
-- and metadata) moves out of `summary` into a column of its own, so that `summary` holds no
-- payload at all and retention (store/clickhouse/expirer.h) can remove every payload of a day by
-- clearing the `payload` and `trace_payload` columns. `trace_payload` is the JSON object
-- {"input":…,"metadata":…,"output":…} of the hints that are set, '' when none is (and once expired).
-- Rows written before this layout keep those hints inside `summary` (docs/scale-out.md "Retention").
ALTER TABLE observations ADD COLUMN trace_payload String {payload_codec} AFTER payload;
