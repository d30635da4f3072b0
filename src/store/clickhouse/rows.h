// Maps model types onto the rows of the tables in schema/001_initial.sql, in RowBinary
// (row_binary.h): the column list of each table after its key, how a value becomes a row for an
// insert, and how a read row becomes a value. Each table's column order is defined once, here.
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
#include "store/clickhouse/row_binary.h"

namespace trackly::store::clickhouse {

// The `day` (partition) column of a row whose time is `unix_ns`, as a SQL Date literal, e.g.
// toDate('2026-11-22'): conditions on it let ClickHouse skip whole partitions.
std::string DayLiteral(int64_t unix_ns);

// INSERT statements of whole rows, for HttpClient::Insert.
const std::string& InsertTraceSql();
const std::string& InsertSessionSql();
const std::string& InsertScoreSql();
const std::string& InsertObservationSql();
const std::string& InsertFragmentSql();

void AppendTraceRow(RowBinaryWriter& out, std::string_view project, uint64_t version, const model::Trace& trace);
const std::string& CollapsedTraceColumns();  // trace_id, name_, start_ns_, …
const std::string& LatestTraceColumns();
absl::StatusOr<model::Trace> ReadTrace(RowBinaryReader& in);

// A session whose trace_count is 0 is a tombstone (its last trace moved to another session).
void AppendSessionRow(RowBinaryWriter& out, std::string_view project, uint64_t version, const model::Session& session);
const std::string& CollapsedSessionColumns();  // session_id, trace_count_, …
const std::string& LatestSessionColumns();
model::Session ReadSession(RowBinaryReader& in);

void AppendScoreRow(RowBinaryWriter& out, std::string_view project, uint64_t version, const model::Score& score);
const std::string& CollapsedScoreColumns();  // id, trace_id_, …
const std::string& LatestScoreColumns();
absl::StatusOr<model::Score> ReadScore(RowBinaryReader& in);

// `observation` without the fields a summary page of a trace leaves out (store.h
// ObservationQuery::summary_only: input, output, metadata, attributes, events, model_parameters,
// status_message, service_name, tool.call_id, cost.price_id) but WITH its trace_hints, which
// model::SummarizeTrace reads of every observation (a page clears them).
model::Observation SummaryOf(model::Observation observation);

// `payload` is the observation's stored payload (store/sqlite/payload.h encoding); the row's
// summary column is SummaryOf(observation) in the same encoding, never compressed.
void AppendObservationRow(RowBinaryWriter& out, std::string_view project, uint64_t version,
                          const model::Observation& observation, std::string_view payload);

}  // namespace trackly::store::clickhouse
