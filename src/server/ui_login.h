// Browser sign-in (docs/ui.md "Signing in"): a one-time login link, or a user's name and
// password, becomes a session cookie.
//
// `trackly serve` and `trackly ui-token` store a login token and print <url>/#login=<token>. The
// token sits in the URL fragment, so it never reaches a server log or a Referer header. The UI
// posts it to /api/v1/ui/login, which consumes it (one use, kLoginTokenTtlNs to use it) and
// answers with the session cookie (HttpOnly, SameSite=Strict) and a CSRF token. A request
// authenticated by the cookie that changes anything must echo the CSRF token in kCsrfHeader;
// SameSite=Strict already keeps the cookie off cross-site requests, the header is the second lock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "store/catalog.h"

namespace trackly::server {

inline constexpr int64_t kLoginTokenTtlNs = 15LL * 60 * 1'000'000'000;        // 15 minutes
inline constexpr int64_t kUiSessionTtlNs = 7LL * 24 * 3600 * 1'000'000'000;   // 7 days
inline constexpr std::string_view kSessionCookieName = "trackly_session";
inline constexpr std::string_view kCsrfHeader = "x-trackly-csrf";

// Stores a fresh login token for `project` and returns the link that uses it:
// `base_url` + "/#login=" + token. NotFound when the project does not exist.
absl::StatusOr<std::string> CreateLoginLink(store::Catalog& catalog, std::string_view project,
                                            std::string_view base_url, int64_t now_ns);
// The same for a user: the session it opens acts as `user` (store::UiCredential). NotFound when
// the user does not exist.
absl::StatusOr<std::string> CreateUserLoginLink(store::Catalog& catalog, std::string_view user,
                                                std::string_view base_url, int64_t now_ns);

struct UiSessionGrant {
  std::string user;     // empty for a session of one project
  std::string project;  // where the UI opens; for a user, the first project they have a role in
  std::string session_secret;  // the cookie's value
  std::string csrf_token;
  int64_t expires_ns = 0;
};

// Consumes a login token and stores a new session. Unauthenticated for a token that is unknown,
// already used or expired (one message for all three).
absl::StatusOr<UiSessionGrant> ExchangeLoginToken(store::Catalog& catalog, std::string_view token,
                                                  int64_t now_ns);

// Checks a user's password (server/password.h) and stores a new session of that user.
// Unauthenticated for an unknown user or a wrong password (one message for both, and as slow).
absl::StatusOr<UiSessionGrant> SignInWithPassword(store::Catalog& catalog, std::string_view user,
                                                  std::string_view password, int64_t now_ns);

// The session cookie's value in a Cookie request header; empty when absent.
std::string_view FindSessionCookie(std::string_view cookie_header);

// Set-Cookie header values that set the session cookie for `max_age_s` seconds, and that clear it.
std::string SessionSetCookie(std::string_view session_secret, int64_t max_age_s);
std::string ClearSessionSetCookie();

}  // namespace trackly::server
