// Store::Expire on ClickHouse (docs/scale-out.md "Retention").
//
// The tables expiry acts on are partitioned by (retention class, day) (retention_classes.h), so
// the projects of one partition mostly keep their data equally long. For each partition before
// the request's day that holds something of the project to remove, a query over the partition's
// small, sorted `project` column lists every project with rows in it, and:
//  - when that day has expired for EVERY one of them under its CURRENT retention (the request's
//    days for the expiring project, RetentionClasses::ExpiryDay for the others) and also under
//    the partition's own class (so that whatever a node inserts there meanwhile, believing its
//    project has that class, has expired too; always true of kMigratedRowsClass, which no node
//    writes), the partition is acted on whole, at the cost of file operations, not a rewrite of
//    data: DROP PARTITION for what goes entirely, CLEAR COLUMN … IN PARTITION for payload columns;
//  - otherwise one mutation per table, restricted to the project and those partitions
//    (ALTER TABLE … UPDATE for payload columns, ALTER TABLE … DELETE for rows), which rewrites
//    their parts; it waits for the mutations as the eraser does (eraser.h).
// So a project whose retention got longer keeps its rows in a partition of its old class (its
// day has not expired, so the classmates' rows go by mutation), and one whose retention got
// shorter has its rows there removed by mutation. Before acting on a table it checks whether any
// row of the project there still has something to remove, so a repeated run issues nothing.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/clickhouse/queries.h"
#include "store/clickhouse/retention_classes.h"
#include "store/clickhouse/writer.h"
#include "store/store.h"

namespace trackly::store::clickhouse {

// Worker thread only (run as a Writer job, so it is ordered with this node's writes). `request`
// is valid (ValidateExpireRequest); `classes` says what the other projects' retention is, at
// `now_ns` (the store's clock).
// First the summary tier: the traces of the project whose (latest) start is before
// summary_before_day are removed as EraseTraces removes them, the partitions before that day
// dropped whole where the rule above allows, and the workflow rollups of the hours before that day
// likewise (workflow cells, and the runs counted there), and the metrics rollup rows left before
// that day (those of traces tail sampling dropped, which no summary finds: eraser.h
// DropSampledOutTraces). A dropped partition may hold rows of other projects whose summaries have
// expired there too: each such project's summary expiry is done in the same call, in full (its
// traces' other rows, scores and sessions, its workflow runs), because its traces cannot be found
// once their summary rows are gone; ExpireStats counts their traces and partitions too.
// Then the payload tier, for rows before payload_before_day: observations' payload and
// trace_payload columns cleared, traces' input, output and metadata cleared, fragments removed. A
// row's day is its partition's (an observation's start, a trace's start, a fragment's event
// time). Another node that inserts a row between the check of a partition's projects and its drop
// or clear loses it; such a row has the partition's class, so it has expired under the retention
// that node knows for its project (docs/scale-out.md "Retention" says when that is not the
// project's current one). DeadlineExceeded when ClickHouse has not finished the mutations
// within `mutation_timeout` (they keep running; running Expire again is harmless).
absl::StatusOr<ExpireStats> ExpireProject(const Database& db, Writer& writer, const RetentionClasses& classes,
                                          int64_t now_ns, const ExpireRequest& request,
                                          absl::Duration mutation_timeout);

}  // namespace trackly::store::clickhouse
