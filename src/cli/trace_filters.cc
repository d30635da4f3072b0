#include "cli/trace_filters.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status.h"
#include "model/time_format.h"

namespace trackly::cli {
namespace {


// absl::ParseDuration knows h/m/s/ms/us/ns but not days, which are natural for --since.
bool ParseRelative(std::string_view text, absl::Duration* out) {
  if (text.size() > 1 && text.back() == 'd') {
    double days = 0;
    if (!absl::SimpleAtod(Sv(text.substr(0, text.size() - 1)), &days) || days < 0) return false;
    *out = absl::Hours(24) * days;
    return true;
  }
  return absl::ParseDuration(Sv(text), out) && *out >= absl::ZeroDuration();
}

}  // namespace

absl::StatusOr<int64_t> ParseTimeBound(std::string_view text, std::string_view flag, int64_t now_ns) {
  absl::Duration ago;
  if (ParseRelative(text, &ago)) return now_ns - absl::ToInt64Nanoseconds(ago);
  absl::StatusOr<int64_t> absolute = model::ParseTimestamp(text);
  if (absolute.ok()) return *absolute;
  return absl::InvalidArgumentError(absl::StrCat(
      Sv(flag), ": '", Sv(text), "' is neither a duration (30m, 1h, 2d) nor a timestamp (RFC 3339)"));
}

absl::StatusOr<store::TraceQuery> BuildTraceQuery(const TraceFilterFlags& flags, int64_t now_ns) {
  store::TraceQuery query;
  if (flags.project.empty()) return absl::InvalidArgumentError("--project must not be empty");
  query.project = flags.project;
  if (flags.limit < 1 || flags.limit > store::kMaxListLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("--limit must be between 1 and ", store::kMaxListLimit, ", got ", flags.limit));
  }
  query.limit = flags.limit;
  query.name = flags.name;
  query.user_id = flags.user;
  query.session_id = flags.session;
  query.environment = flags.environment;
  query.release = flags.release;
  query.tag = flags.tag;
  query.model = flags.model;
  if (!flags.status.empty()) {
    model::Status status;
    if (!model::ParseStatus(flags.status, &status)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--status: unknown status '", flags.status,
          "' (expected ok, error, timeout, cancelled, skipped or unset)"));
    }
    query.status = status;
  }
  if (!(flags.min_latency_ms >= 0)) return absl::InvalidArgumentError("--min-latency-ms must be >= 0");
  if (!(flags.min_cost >= 0)) return absl::InvalidArgumentError("--min-cost must be >= 0");
  query.min_latency_ms = flags.min_latency_ms;
  query.min_cost = flags.min_cost;
  if (flags.score.empty() && (flags.score_min || flags.score_max || !flags.score_value.empty())) {
    return absl::InvalidArgumentError("--score-min, --score-max and --score-value need --score (the score's name)");
  }
  query.score_name = flags.score;
  query.score_min = flags.score_min;
  query.score_max = flags.score_max;
  query.score_value = flags.score_value;
  if (!flags.since.empty()) {
    TRACKLY_ASSIGN_OR_RETURN(query.from_ns, ParseTimeBound(flags.since, "--since", now_ns));
  }
  if (!flags.until.empty()) {
    TRACKLY_ASSIGN_OR_RETURN(query.to_ns, ParseTimeBound(flags.until, "--until", now_ns));
  }
  if (query.from_ns != 0 && query.to_ns != 0 && query.from_ns >= query.to_ns) {
    return absl::InvalidArgumentError("--since must be before --until");
  }
  return query;
}

}  // namespace trackly::cli
