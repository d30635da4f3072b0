#include "store/catalog_checks.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "analysis/process_rules.h"
#include "analysis/sampling.h"
#include "base/status.h"
#include "model/json.h"
#include "normalize/redaction/rules.h"
#include "store/alert_rules.h"
#include "store/list_paging.h"

namespace trackly::store {
namespace {

constexpr size_t kMaxProjectNameLength = 64;
constexpr size_t kMaxUserNameLength = 128;

}  // namespace

absl::StatusOr<NormalizedRules> NormalizedRedactionRules(std::string_view text) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<normalize::RedactionRule> rules, normalize::ParseRedactionRulesText(text));
  return NormalizedRules{.rules_json = model::DumpJson(normalize::RedactionRulesToJson(rules)), .empty = rules.empty()};
}

absl::StatusOr<NormalizedRules> NormalizedProcessRules(std::string_view text) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<analysis::ProcessRule> rules, analysis::ParseProcessRulesText(text));
  return NormalizedRules{.rules_json = model::DumpJson(analysis::ProcessRulesToJson(rules)), .empty = rules.empty()};
}

absl::StatusOr<NormalizedRules> NormalizedAlertRules(std::string_view text) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<AlertRule> rules, ParseAlertRulesText(text));
  return NormalizedRules{.rules_json = model::DumpJson(AlertRulesToJson(rules)), .empty = rules.empty()};
}

absl::StatusOr<std::string> NormalizedSamplingPolicy(std::string_view text) {
  TRACKLY_ASSIGN_OR_RETURN(analysis::SamplingPolicy policy, analysis::ParseSamplingPolicyText(text));
  return model::DumpJson(analysis::SamplingPolicyToJson(policy));
}

absl::Status CheckProjectName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxProjectNameLength && absl::ascii_isalnum(name[0]);
  for (char c : name) ok = ok && (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.');
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("project name \"", Sv(name), "\": use 1..", kMaxProjectNameLength,
                   " letters, digits, '-', '_' or '.', starting with a letter or digit"));
}

absl::Status CheckUserName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxUserNameLength && absl::ascii_isalnum(name[0]);
  for (char c : name) ok = ok && (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '@');
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("user name \"", Sv(name), "\": use 1..", kMaxUserNameLength,
                   " letters, digits, '-', '_', '.' or '@', starting with a letter or digit"));
}

absl::Status ProjectNotFound(std::string_view name) {
  return absl::NotFoundError(absl::StrCat("project \"", Sv(name), "\" not found"));
}

absl::Status UserNotFound(std::string_view name) {
  return absl::NotFoundError(absl::StrCat("user \"", Sv(name), "\" not found"));
}

absl::Status CheckAuditEvent(const AuditEvent& event) {
  if (event.time_ns <= 0) return absl::InvalidArgumentError("audit event time_ns: must be > 0");
  if (event.actor.empty()) return absl::InvalidArgumentError("audit event actor: required");
  if (event.action.empty()) return absl::InvalidArgumentError("audit event action: required");
  model::Json details = model::Json::parse(event.details_json, nullptr, /*allow_exceptions=*/false);
  if (details.is_discarded() || !details.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("audit event details_json: must be a JSON object, got \"", event.details_json, "\""));
  }
  return absl::OkStatus();
}

absl::Status CheckAlertEvent(const AlertEvent& event) {
  if (event.alert.empty()) return absl::InvalidArgumentError("alert event alert: required");
  if (event.time_ns <= 0) return absl::InvalidArgumentError("alert event time_ns: must be > 0");
  return absl::OkStatus();
}

std::string AuditCursorAfter(const AuditEvent& last) { return EncodeCursor(last.time_ns, absl::StrCat(last.id)); }

absl::Status DecodeAuditCursor(std::string_view cursor, int64_t* time_ns, int64_t* id) {
  std::string after_id;
  TRACKLY_RETURN_IF_ERROR(DecodeCursor(cursor, time_ns, &after_id));
  if (!absl::SimpleAtoi(after_id, id)) {
    return absl::InvalidArgumentError("cursor: malformed (pass next_cursor of a previous page unchanged)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SamplingCountRow>> SamplingCountRowsOf(const SamplingTally& tally) {
  if (tally.kept < 0 || tally.dropped < 0) return absl::InvalidArgumentError("sampling counts: must not be negative");
  for (const auto& [reason, traces] : tally.kept_by_reason) {
    if (traces < 0) return absl::InvalidArgumentError("sampling counts: must not be negative");
  }
  std::vector<SamplingCountRow> rows;
  // The kept traces without a reason of their own (a caller that only counts) go under "".
  int64_t unexplained = tally.kept;
  for (const auto& [reason, traces] : tally.kept_by_reason) {
    unexplained -= traces;
    if (traces > 0) rows.push_back(SamplingCountRow{.kept = true, .reason = reason, .traces = traces});
  }
  if (unexplained > 0) rows.push_back(SamplingCountRow{.kept = true, .traces = unexplained});
  if (tally.dropped > 0) rows.push_back(SamplingCountRow{.kept = false, .traces = tally.dropped});
  return rows;
}

void AddSamplingCountRow(int64_t day, const SamplingCountRow& row, std::vector<SamplingDayCounts>& days) {
  if (days.empty() || days.back().day != day) days.push_back(SamplingDayCounts{.day = day});
  SamplingTally& tally = days.back().tally;
  if (!row.kept) {
    tally.dropped += row.traces;
    return;
  }
  tally.kept += row.traces;
  if (!row.reason.empty()) tally.kept_by_reason[row.reason] += row.traces;
}

}  // namespace trackly::store
