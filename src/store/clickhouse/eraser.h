// Store::Erase on ClickHouse (docs/security.md "Erasure").
//
// Every row of the erased traces is removed with ALTER TABLE … DELETE mutations (observations,
// their fragments, traces, session_traces, scores, rollups, rollup cells, workflow runs, and every
// row of the sessions they were in; their contributions to the workflow cells are first taken back,
// workflow.h), and the eraser waits until ClickHouse reports them done (system.mutations), because a
// mutation rewrites the data parts without the rows: only then are they gone from disk and from
// every read. Mutations rewrite whole parts, so an erasure costs time proportional to the parts
// holding the traces; erasure is rare and never on the ingest path. Then the sessions that keep
// traces get a fresh summary. Row deletes here are deliberate: retention drops partitions where it
// can (expirer.h), but an erasure request names a few traces across any number of days.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/clickhouse/queries.h"
#include "store/clickhouse/writer.h"
#include "store/store.h"

namespace trackly::store::clickhouse {

// Worker thread only (run as a Writer job, so it is ordered with this node's writes). `request`
// is valid (ValidateEraseRequest). DeadlineExceeded when ClickHouse has not finished the
// mutations within `mutation_timeout` (they keep running; reads may still show the traces).
absl::StatusOr<EraseStats> EraseTraces(const Database& db, Writer& writer, const EraseRequest& request,
                                       absl::Duration mutation_timeout);

// The two halves of EraseTraces, for a caller that removes some rows of the traces another way in
// between (retention drops whole partitions, expirer.h).
struct TraceRemoval {
  std::string project;
  std::vector<std::string> trace_ids;
  std::vector<std::string> session_ids;               // the sessions the traces are in
  std::vector<std::string> fragment_observation_ids;  // their observations that have fragments
  EraseStats stats;                                   // what they hold
};

// Reads what removing `trace_ids` of `project` touches; removes nothing.
absl::StatusOr<TraceRemoval> ReadTraceRemoval(const Database& db, const std::string& project,
                                              std::vector<std::string> trace_ids);

// Worker thread only. Deletes every remaining row of the traces (a mutation per table and chunk of
// ids, issued only where a row still matches) and every row of their sessions, waits for the
// mutations (DeadlineExceeded naming `what` after `mutation_timeout`), then summarizes afresh the
// sessions that keep traces.
// With `keep_rollups` (tail sampling) the traces' rollup rows stay.
absl::Status ApplyTraceRemoval(const Database& db, Writer& writer, const TraceRemoval& removal,
                               absl::Duration mutation_timeout, std::string_view what, bool keep_rollups = false);

// Store::DropSampledOut on ClickHouse, worker thread only: ApplyTraceRemoval keeping the rollups
// (and never touching the workflow tables), so one mutation per table and chunk of ids, not per
// trace; the finisher batches a pass's drops into one call. Arguments already validated.
absl::StatusOr<EraseStats> DropSampledOutTraces(const Database& db, Writer& writer, const std::string& project,
                                               std::vector<std::string> trace_ids, absl::Duration mutation_timeout);

}  // namespace trackly::store::clickhouse
