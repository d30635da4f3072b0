// The loop of `trackly tail` (tail_command.cc), apart from the network and the clock so it is
// unit-tested: long-polls GET /api/v1/tail (docs/api.md) from now on, prints every span that
// arrives, says when spans were dropped (the tail fell behind), and after an error that may pass
// (the server unreachable, 429, 5xx) tries again with a growing pause. Errors that will not pass
// (a bad filter, a bad key: 4xx) end it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/api_client.h"
#include "query/query_params.h"

namespace trackly::cli {

struct TailFollowOptions {
  query::QueryParams filters;                      // the API's filter parameters (name=…, type=…)
  bool json = false;                               // JSON lines (the API's entries) instead of text
  int64_t wait_ms = 25'000;                        // each long poll's wait_ms
  int limit = 1'000;                               // entries per answer
  absl::Duration first_retry = absl::Seconds(1);   // pause after a first error, doubled after each
  absl::Duration max_retry = absl::Seconds(30);    // up to this
};

// "--filter k=v" values as API parameters; InvalidArgument naming the flag without a "=" or an
// empty name. The server checks the names and values (a 400 names the parameter).
absl::StatusOr<query::QueryParams> ParseTailFilters(const std::vector<std::string>& flags);

// The request target: "/api/v1/tail?wait_ms=…&limit=…[&after=N]&<filters>", values
// percent-encoded. Without `after`, wait_ms is 0: the first request answers at once with where
// "now" is.
std::string TailTarget(const TailFollowOptions& options, std::optional<int64_t> after);

// One GET of a target; a transport error as Unavailable. Cancelled stops FollowTail (tests).
using TailFetch = std::function<absl::StatusOr<ApiResponse>(const std::string& target)>;
using TailSleep = std::function<void(absl::Duration)>;

// Follows the tail until `fetch` returns Cancelled (then OK) or the server answers an error that
// will not pass (returned, with the server's message). Spans go to `out`, one line each (text or
// JSON); "following …" once the first answer came, errors before a retry and (with --json) drop
// notices go to `err`; `out` is flushed after every answer.
absl::Status FollowTail(const TailFollowOptions& options, const TailFetch& fetch, const TailSleep& sleep,
                        std::ostream& out, std::ostream& err);

}  // namespace trackly::cli
