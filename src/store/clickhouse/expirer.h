// Store::Expire on ClickHouse (docs/scale-out.md "Retention").
//
// Every table is partitioned by day and shared by all projects. Where a day's partition of a
// table holds rows of the expiring project only (checked with a query over the small `project`
// column), the expiry acts on the partition as a whole, which costs file operations, not a rewrite
// of the data: DROP PARTITION for what goes entirely, CLEAR COLUMN … IN PARTITION for payload
// columns. Elsewhere it issues one mutation per table restricted to the project and those days
// (ALTER TABLE … UPDATE for payload columns, ALTER TABLE … DELETE for rows), which rewrites the
// parts of those partitions; it waits for the mutations as the eraser does (eraser.h). Before
// acting on a table it checks whether any row of the project there still has something to remove,
// so a repeated run issues nothing.
#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/clickhouse/queries.h"
#include "store/clickhouse/writer.h"
#include "store/store.h"

namespace trackly::store::clickhouse {

// Worker thread only (run as a Writer job, so it is ordered with this node's writes). `request`
// is valid (ValidateExpireRequest). First the summary tier: the traces of the project whose
// (latest) start is before summary_before_day are removed as EraseTraces removes them, the
// partitions before that day holding only the project's rows dropped whole, and the workflow
// rollups of the hours before that day likewise (workflow cells, and the runs counted there), and
// the metrics rollup rows left before that day (those of traces tail sampling dropped, which no
// summary finds: eraser.h DropSampledOutTraces).
// Then the payload tier, for rows before payload_before_day: observations' payload and
// trace_payload columns cleared, traces' input, output and metadata cleared, fragments removed. A row's day is its
// partition's (an observation's start, a trace's start, a fragment's event time). Another node
// that inserts a row of another project into such a partition between the check and the drop or
// clear loses it (docs/scale-out.md "Retention"). DeadlineExceeded when ClickHouse has not
// finished the mutations within `mutation_timeout` (they keep running; running Expire again is
// harmless).
absl::StatusOr<ExpireStats> ExpireProject(const Database& db, Writer& writer, const ExpireRequest& request,
                                          absl::Duration mutation_timeout);

}  // namespace trackly::store::clickhouse
