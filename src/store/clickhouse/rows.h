// Maps model types onto the rows of the tables in schema/ (001_initial.sql, 008_session_traces.sql),
// in RowBinary (row_binary.h): the column list of each table after its key, how a value becomes a
// row for an insert, and how a read row becomes a value. Each table's column order is defined
// once, here.
//
// Reads collapse the rows of one key (a ReplacingMergeTree may hold several until it merges):
// Collapsed*Columns() is the SELECT list of `SELECT … FROM t WHERE … GROUP BY <key>`, taking every
// column from the row with the highest version and naming it `<column>_`; Latest*Columns() is the
// same list for an outer query over that subquery, and filters on latest values use the `_` names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "model/observation.h"
#include "store/clickhouse/retention_classes.h"
#include "store/clickhouse/row_binary.h"

namespace trackly::store::clickhouse {

// The `day` (partition) column of a row whose time is `unix_ns`, as a SQL Date literal, e.g.
// toDate('2026-11-22'): conditions on it let ClickHouse skip whole partitions.
std::string DayLiteral(int64_t unix_ns);

// INSERT statements of whole rows, for HttpClient::Insert. Observations, traces, session_traces
// and fragments list the retention class columns after `day` (retention_classes.h): their
// Append… take it.
const std::string& InsertTraceSql();
const std::string& InsertSessionTraceSql();
const std::string& InsertSessionSql();
const std::string& InsertScoreSql();
const std::string& InsertObservationSql();
const std::string& InsertFragmentSql();

void AppendTraceRow(RowBinaryWriter& out, std::string_view project, RetentionClass retention, uint64_t version,
                    const model::Trace& trace);
const std::string& CollapsedTraceColumns();  // trace_id, name_, start_ns_, …
// CollapsedTraceColumns with '' for the metadata, input and output (ReadTrace then gives none):
// for reads that need none of them, so ClickHouse does not read them.
const std::string& CollapsedTraceColumnsWithoutText();
const std::string& LatestTraceColumns();
absl::StatusOr<model::Trace> ReadTrace(RowBinaryReader& in);

// The session_traces row (schema/008_session_traces.sql) of the traces row AppendTraceRow writes
// with the same arguments: same version, day and class. `trace` names a session.
void AppendSessionTraceRow(RowBinaryWriter& out, std::string_view project, RetentionClass retention, uint64_t version,
                           const model::Trace& trace);

// A session whose trace_count is 0 is a tombstone (its last trace moved to another session).
void AppendSessionRow(RowBinaryWriter& out, std::string_view project, uint64_t version, const model::Session& session);
const std::string& CollapsedSessionColumns();  // session_id, trace_count_, …
const std::string& LatestSessionColumns();
model::Session ReadSession(RowBinaryReader& in);

void AppendScoreRow(RowBinaryWriter& out, std::string_view project, uint64_t version, const model::Score& score);
const std::string& CollapsedScoreColumns();  // id, trace_id_, …
const std::string& LatestScoreColumns();
absl::StatusOr<model::Score> ReadScore(RowBinaryReader& in);

// `observation` without its payload: the fields a summary page of a trace leaves out (store.h
// ObservationQuery::summary_only: input, output, metadata, attributes, events, model_parameters,
// status_message, service_name, tool.call_id, cost.price_id) and the trace input, output and
// metadata of its trace_hints (those go to the row's trace_payload column), but WITH the rest of
// its trace_hints (names, session, user, tags), which model::SummarizeTrace reads of every
// observation (a page clears them). What stays once the payload has expired.
model::Observation SummaryOf(model::Observation observation);

// The row's trace_payload column: the JSON object of the trace input, output and metadata that
// `observation`'s trace_hints set, "" when they set none.
std::string TracePayloadOf(const model::Observation& observation);

// The summary column of a row as AppendObservationRow wrote it (for SummaryInputsOfRow).
struct SummaryColumn {
  std::string text;
  bool exact = false;  // model::AppendJson's result: the text holds every value of the summary exactly
};

// `payload` is the observation's stored payload (store/sqlite/payload.h encoding); the row's
// summary column is SummaryOf(observation) in the same encoding, never compressed. An observation
// whose payload_expired is set gets an empty payload and trace_payload, as Expire leaves them.
// `summary_column`, when not null, receives the summary column as written.
void AppendObservationRow(RowBinaryWriter& out, std::string_view project, RetentionClass retention, uint64_t version,
                          const model::Observation& observation, std::string_view payload,
                          SummaryColumn* summary_column = nullptr);
// The same row, without copying `observation` to make its summary: its detail (what SummaryOf
// clears) is moved out while the summary is written, and back; it is as it was on return.
void AppendObservationRow(RowBinaryWriter& out, std::string_view project, RetentionClass retention, uint64_t version,
                          model::Observation& observation, std::string_view payload,
                          SummaryColumn* summary_column = nullptr);

// The SELECT list (for a query grouped by the observation key) of what model::SummarizeTrace
// reads of each observation: the payload of a root (unless expired) and the summary of the
// others, the payload's length and the trace_payload, for DecodeObservation.
const std::string& SummaryInputColumns();

// What SummaryInputColumns and DecodeObservation read back of the row AppendObservationRow wrote
// for `observation` (its times floored, store/sqlite/payload.h) with `payload` (and gave
// `summary_column` of), computed without reading the row, so model::SummarizeTrace of it is that
// of the stored row. A root's payload column is decoded. Another's summary column is decoded
// only when it does not hold its values exactly (invalid UTF-8, a NaN: rare); else it is
// `observation` without its detail, as SummaryOf, which is what decoding the text gives (and
// was a fifth of the writer's time): moved, not copied, so `observation` is left valid but
// unspecified. Internal when a column does not decode.
absl::StatusOr<model::Observation> SummaryInputsOfRow(model::Observation&& observation, std::string_view payload,
                                                      const SummaryColumn& summary_column);

// The SELECT list (for a query grouped by the observation key) of what DecodeObservation reads:
// the blob (the payload, or the summary when `summary_only` or when the payload has expired), the
// payload's length (0 = expired) and the trace_payload.
std::string ObservationColumns(bool summary_only);

// An observation from the columns ObservationColumns selects: with payload_expired set and no
// trace-level text when `payload_bytes` is 0; else the blob, with `trace_payload` merged into its
// trace_hints (a summary blob lacks them). Internal when a column does not decode.
absl::StatusOr<model::Observation> DecodeObservation(std::string_view blob, uint64_t payload_bytes,
                                                     std::string_view trace_payload);

}  // namespace trackly::store::clickhouse
