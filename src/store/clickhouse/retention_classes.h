// Retention classes of the ClickHouse store (docs/scale-out.md "Retention"). Every row of a table
// that expiry acts on day by day (observations, traces, rollups, rollup_cells,
// observation_fragments, workflow_runs, workflow_cells: schema/005_retention_classes.sql; and the
// tables of later layouts, as session_traces: 008_session_traces.sql) carries
// the retention its project followed when the row was written, in the columns
// (retention_payload_days, retention_summary_days), which lead the partition key
// `(retention_payload_days, retention_summary_days, day)`. Projects that keep their data equally
// long so share partitions, and a partition's day expires for all of them on the same day: expiry
// drops or clears it whole instead of rewriting it (expirer.h).
//
// A row's class is where it was put, nothing more: expiry never trusts it. It asks which projects
// have rows in a partition and what each one's retention is now (RetentionClasses::ExpiryDay), so
// a project whose retention changed, a node that was told late, or rows of unknown class are all
// expired correctly, by a mutation where a partition cannot go whole.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "store/clickhouse/row_binary.h"

namespace trackly::store::clickhouse {

// The retention a row was written under, in days; 0 = that tier is kept forever.
struct RetentionClass {
  uint16_t payload_days = 0;
  uint16_t summary_days = 0;
  auto operator<=>(const RetentionClass&) const = default;
};

// The class of the rows the layout 5 migration copied from older tables (retention_migration.h).
// Their retention is unknown, and no node writes this class, so each day of them is a partition of
// its own that the migration can replace whole when it copies that day again. Retention days are
// at most store::kMaxRetentionDays (36,500), so no project's class collides with it.
inline constexpr RetentionClass kMigratedRowsClass{.payload_days = 65535, .summary_days = 65535};

// The two class columns in the order every insert lists them, right after `day`.
inline constexpr char kRetentionClassColumns[] = "retention_payload_days, retention_summary_days";

// Appends a row's class columns.
void AppendRetentionClass(RowBinaryWriter& out, RetentionClass retention);

// A partition for ALTER TABLE … PARTITION: (payload_days, summary_days, toDate('YYYY-MM-DD')) of
// `day` (days since 1970-01-01).
std::string PartitionLiteral(RetentionClass retention, int64_t day);

// The two tiers of a retention (store.h ExpireRequest).
enum class RetentionTier { kPayload, kSummary };

// Thread-safe. What the store has been told of each project's retention (Store::NoteRetention).
class RetentionClasses {
 public:
  // `project` follows this retention from now on (days as store::ValidateRetention allows).
  void Note(std::string_view project, int32_t payload_days, int32_t summary_days);
  // The class to write `project`'s rows with: its noted retention, (0, 0) when never noted.
  RetentionClass ClassOf(std::string_view project) const;
  // The first day of `tier` that has not expired for `project` at `now_ns` (every day before it
  // has): DayOf(now_ns) minus its days, at least 0, as server/retention_expirer.h computes an
  // ExpireRequest; 0 (nothing has expired) when the project was never noted or keeps the tier
  // forever.
  int64_t ExpiryDay(std::string_view project, RetentionTier tier, int64_t now_ns) const;

 private:
  struct Days {
    int32_t payload = 0;
    int32_t summary = 0;
  };

  mutable absl::Mutex mu_;
  std::map<std::string, Days, std::less<>> days_ ABSL_GUARDED_BY(mu_);
};

}  // namespace trackly::store::clickhouse
