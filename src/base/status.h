// Errors are values: every fallible function in Trackly returns absl::Status or absl::StatusOr<T>.
// Codes we use and what they mean at the edges (mapped to HTTP in server/http_status.cc only):
//   InvalidArgument    bad input from a client; never retried (400)
//   NotFound           the thing is not in the caller's project (404)
//   Unauthenticated    missing or unknown credential (401)
//   PermissionDenied   credential lacks the scope (403)
//   ResourceExhausted  a size cap was exceeded (413) — see server/http_status.cc for the 429 case
//   Unavailable        overloaded or a dependency is down; retry later (503 + Retry-After)
//   Internal           our bug or an unexpected backend failure (500)
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <string_view>

// Debian builds Abseil with its own absl::string_view (not std::string_view), so absl::StrCat
// and friends do not take a std::string_view: convert with Sv().
namespace trackly {
inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }
}  // namespace trackly

#define TRACKLY_CONCAT_INNER_(a, b) a##b
#define TRACKLY_CONCAT_(a, b) TRACKLY_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define TRACKLY_RETURN_IF_ERROR(expr)              \
  do {                                             \
    if (absl::Status _st = (expr); !_st.ok()) {    \
      return _st;                                  \
    }                                              \
  } while (0)

// `lhs = value of expr` where expr is an absl::StatusOr<T>; returns its status if not OK.
#define TRACKLY_ASSIGN_OR_RETURN(lhs, expr) \
  TRACKLY_ASSIGN_OR_RETURN_IMPL_(TRACKLY_CONCAT_(_status_or_, __LINE__), lhs, expr)
#define TRACKLY_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return std::move(tmp).status();       \
  lhs = std::move(tmp).value()
