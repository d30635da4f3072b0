// Maps model types onto the rows of the tables in schema.cc: the SQL that writes or reads a row
// and the conversion of its columns. Each table's column order is defined once, in rows.cc.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "model/observation.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/payload_partitions.h"

namespace trackly::store::sqlite {

// An observation ready for the writer thread: times floored to microseconds, payload and hint
// JSON already serialized. Encoding happens on the caller's thread (Store::Write), so the single
// writer thread spends its time in SQLite only.
struct EncodedObservation {
  // Reduced to what model::SummarizeTrace reads (KeepOnlySummaryInputs): `payload` has the rest.
  model::Observation observation;
  std::string payload;
  // JSON text of the TraceHints fields that are not plain strings; empty when the field is empty.
  std::string hint_tags;
  std::string hint_metadata;
  std::string hint_input;
  std::string hint_output;
  // Where `payload` is stored (payload_partitions.h); the writer sets it to a partition.
  int64_t payload_part = 0;
};

EncodedObservation EncodeObservation(model::Observation observation, size_t compress_min_bytes);

// Upserts one observation row: parameters bound by BindObservation.
const std::string& UpsertObservationSql();
void BindObservation(Statement& stmt, std::string_view project, const EncodedObservation& encoded);

// SELECT lists of an observations row, each read with ReadObservationRow. Column 0 is the
// observation id; StoredBytesColumn() the stored size of its payload (wherever it is).
//   SummaryObservationColumns: what model::SummarizeTrace and the metrics rollups
//     (model/rollup.h) need: the summary columns and, for the root only, the payload (the root's
//     input/output feed the trace); read with RowRead::kSummaryWithRoot.
//   PageSummaryObservationColumns: the summary columns only (a Store::ListTraceObservations
//     summary page; no payload is read); RowRead::kSummary.
//   FullObservationColumns: every field; RowRead::kFull.
const std::string& SummaryObservationColumns();
const std::string& PageSummaryObservationColumns();
const std::string& FullObservationColumns();
int StoredBytesColumn();

enum class RowRead { kSummary, kSummaryWithRoot, kFull };
// The observation of a row selected with the matching column list above: the whole decoded
// payload where `what` wants it (wherever it is stored: payload_partitions.h), otherwise only
// the fields SummarizeTrace and the rollups read (the rest stay default). An observation whose
// payload has expired gets its summary fields and payload_expired, whatever `what` says (except
// in kSummaryWithRoot, which the writer reads and does not report expiry from).
absl::StatusOr<model::Observation> ReadObservationRow(PayloadReader& payloads, const Statement& row,
                                                      std::string_view trace_id, RowRead what);

// JSON text of a trace's structured columns, serialized once per write and compared with the
// stored text to tell whether tags, models or the searchable text changed.
struct TraceText {
  std::string tags;
  std::string metadata;
  std::string input;
  std::string output;
  std::string models;
};
TraceText TraceTextOf(const model::Trace& trace);

// Insert a new trace summary row / update an existing one (found by project and trace_id); both
// take the parameters bound by BindTrace.
const std::string& InsertTraceSql();
const std::string& UpdateTraceSql();
void BindTrace(Statement& stmt, std::string_view project, const model::Trace& trace, const TraceText& text);

// SELECT list of a whole trace row.
const std::string& TraceColumns();
absl::StatusOr<model::Trace> ReadTrace(const Statement& row, int first_column);

// SELECT list of what model::SummarizeSession reads of a trace row (id, times, status, user,
// usage, cost and counts), and the Trace read from it (from `first_column` on) with every other
// field left default: recomputing a session then parses no JSON column. The traces_by_session index (schema.cc) holds every one of
// these columns, so the scan never visits the table: keep the two in step.
const std::string& SessionInputColumns();
absl::StatusOr<model::Trace> ReadSessionInput(const Statement& row, int first_column);

// Upserts the summary row of a session.
const std::string& UpsertSessionSql();
void BindSession(Statement& stmt, std::string_view project, const model::Session& session);
const std::string& SessionColumns();
model::Session ReadSession(const Statement& row, int first_column);

}  // namespace trackly::store::sqlite
