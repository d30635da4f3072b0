// What every Catalog backend (store/catalog.h) checks and derives the same way: rules documents in
// normal form, names, audit and alert events, and the rows a sampling tally is counted in. Kept here so the backends cannot
// drift apart in what they accept or how they word a rejection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/catalog.h"

namespace trackly::store {

// A rules document of a put (redaction, process or alert rules) checked by its parser and in
// normal form, so it reads back equal whichever backend stores it.
struct NormalizedRules {
  std::string rules_json;
  bool empty = false;  // no rules: the put removes the project's document
};
// InvalidArgument naming the bad rule, as normalize::ParseRedactionRulesText,
// analysis::ParseProcessRulesText and store::ParseAlertRulesText say.
absl::StatusOr<NormalizedRules> NormalizedRedactionRules(std::string_view text);
absl::StatusOr<NormalizedRules> NormalizedProcessRules(std::string_view text);
absl::StatusOr<NormalizedRules> NormalizedAlertRules(std::string_view text);
// A sampling policy checked by analysis::ParseSamplingPolicyText, in normal form.
absl::StatusOr<std::string> NormalizedSamplingPolicy(std::string_view text);

// InvalidArgument naming the rule for a project name that is not 1..64 ASCII letters, digits,
// '-', '_' or '.', starting with a letter or digit.
absl::Status CheckProjectName(std::string_view name);
// InvalidArgument naming the rule for a user name that breaks UserRecord's rule.
absl::Status CheckUserName(std::string_view name);
// NotFound: "project \"<name>\" not found".
absl::Status ProjectNotFound(std::string_view name);
// NotFound: "user \"<name>\" not found".
absl::Status UserNotFound(std::string_view name);
// InvalidArgument, naming the field, for an event without time_ns, actor or action, or whose
// details_json is not a JSON object (Catalog::AppendAudit).
absl::Status CheckAuditEvent(const AuditEvent& event);
// InvalidArgument, naming the field, for an event without alert name or time_ns
// (Catalog::AppendAlertEvent).
absl::Status CheckAlertEvent(const AlertEvent& event);

// The next_cursor of an audit page that ends with `last` (Catalog::ListAudit's keyset cursor).
std::string AuditCursorAfter(const AuditEvent& last);
// The (time_ns, id) a ListAudit cursor continues after; InvalidArgument for anything
// AuditCursorAfter did not make.
absl::Status DecodeAuditCursor(std::string_view cursor, int64_t* time_ns, int64_t* id);

// One counted row of a day's sampling tally: traces kept for `reason`, or dropped (kept false,
// reason "").
struct SamplingCountRow {
  bool kept = false;
  std::string reason;
  int64_t traces = 0;
};
// The rows `tally` adds (Catalog::AddSamplingCounts), none with zero traces: one per reason, the
// kept traces without a reason of their own under "", and the dropped ones. InvalidArgument for a
// negative count.
absl::StatusOr<std::vector<SamplingCountRow>> SamplingCountRowsOf(const SamplingTally& tally);
// Adds a row read back for `day` to `days`, which is ordered by day: rows must come in day order.
void AddSamplingCountRow(int64_t day, const SamplingCountRow& row, std::vector<SamplingDayCounts>& days);

}  // namespace trackly::store
