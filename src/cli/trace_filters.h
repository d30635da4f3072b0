// The filter flags of `trackly traces`, turned into a store::TraceQuery (pure, so it is unit-tested).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "store/store.h"

namespace trackly::cli {

// As typed on the command line; empty / zero = not given.
struct TraceFilterFlags {
  std::string project = "default";
  int limit = 20;
  std::string name;
  std::string user;
  std::string session;
  std::string status;  // ok, error, timeout, cancelled, skipped, unset
  std::string environment;
  std::string release;
  std::string tag;
  std::string model;
  double min_latency_ms = 0;
  double min_cost = 0;
  std::string score;                // a score name; the bounds and value below need it
  std::optional<double> score_min;
  std::optional<double> score_max;
  std::string score_value;
  std::string since;  // "1h" / "30m" / "2d" (before now) or a timestamp (RFC 3339, Unix time)
  std::string until;  // same forms
};

// A time bound: a duration back from `now_ns` ("90s", "1h30m", "2d"; absl::ParseDuration units
// plus "d" for days) or an absolute timestamp (model::ParseTimestamp). InvalidArgument naming
// `flag` otherwise.
absl::StatusOr<int64_t> ParseTimeBound(std::string_view text, std::string_view flag, int64_t now_ns);

// InvalidArgument naming the flag for a bad status, a limit outside 1..1000, a negative minimum
// or an unparsable time.
absl::StatusOr<store::TraceQuery> BuildTraceQuery(const TraceFilterFlags& flags, int64_t now_ns);

}  // namespace trackly::cli
