// The request target of an HTTP request ("/api/v1/traces?limit=10&user_id=u%201"): its path and
// its decoded query parameters. Boost 1.74 has no Boost.URL, hence this small parser.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "query/query_params.h"

namespace trackly::server {

struct RequestTarget {
  std::string path;           // as sent (still percent-encoded); segments decode on routing
  query::QueryParams params;  // in order; names and values percent-decoded, '+' = space
};

// Origin-form targets only ("/path?query"); the fragment never reaches a server. InvalidArgument
// for another form or a bad percent escape.
absl::StatusOr<RequestTarget> ParseRequestTarget(std::string_view target);

// "%2F" → "/"; with `plus_is_space`, "+" → " " (query strings). InvalidArgument for a truncated or
// non-hex escape or a decoded NUL byte.
absl::StatusOr<std::string> PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace trackly::server
