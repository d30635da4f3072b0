#include "server/ui_login.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status.h"
#include "server/secret.h"

namespace trackly::server {
namespace {

constexpr size_t kSecretChars = 43;  // 256 bits of base62
constexpr std::string_view kLoginFailed = "login link unknown, already used or expired; ask for a new one "
                                          "(trackly ui-token --project NAME)";

}  // namespace

absl::StatusOr<std::string> CreateLoginLink(store::Catalog& catalog, std::string_view project,
                                            std::string_view base_url, int64_t now_ns) {
  TRACKLY_ASSIGN_OR_RETURN(std::string token, RandomBase62(kSecretChars));
  TRACKLY_RETURN_IF_ERROR(catalog.InsertUiCredential(
      store::UiCredential{.secret_hash = Sha256Hex(token),
                          .kind = store::UiCredentialKind::kLoginToken,
                          .project = std::string(project),
                          .expires_ns = now_ns + kLoginTokenTtlNs},
      now_ns));
  return absl::StrCat(Sv(base_url), "/#login=", token);
}

absl::StatusOr<UiSessionGrant> ExchangeLoginToken(store::Catalog& catalog, std::string_view token,
                                                  int64_t now_ns) {
  absl::StatusOr<store::UiCredential> login = catalog.FindUiCredential(
      Sha256Hex(token), store::UiCredentialKind::kLoginToken, now_ns, /*consume=*/true);
  if (absl::IsNotFound(login.status())) return absl::UnauthenticatedError(Sv(kLoginFailed));
  TRACKLY_RETURN_IF_ERROR(login.status());
  UiSessionGrant grant{.project = login->project, .expires_ns = now_ns + kUiSessionTtlNs};
  TRACKLY_ASSIGN_OR_RETURN(grant.session_secret, RandomBase62(kSecretChars));
  TRACKLY_ASSIGN_OR_RETURN(grant.csrf_token, RandomBase62(kSecretChars));
  TRACKLY_RETURN_IF_ERROR(catalog.InsertUiCredential(
      store::UiCredential{.secret_hash = Sha256Hex(grant.session_secret),
                          .kind = store::UiCredentialKind::kSession,
                          .project = grant.project,
                          .expires_ns = grant.expires_ns,
                          .csrf_token = grant.csrf_token},
      now_ns));
  return grant;
}

std::string_view FindSessionCookie(std::string_view cookie_header) {
  // RFC 6265 §5.4: "name=value" pairs separated by "; ".
  for (absl::string_view pair : absl::StrSplit(Sv(cookie_header), ';')) {
    pair = absl::StripLeadingAsciiWhitespace(pair);
    if (absl::ConsumePrefix(&pair, Sv(kSessionCookieName)) && absl::ConsumePrefix(&pair, "=")) {
      return {pair.data(), pair.size()};
    }
  }
  return {};
}

// No `Secure` attribute: trackly itself serves plain HTTP on loopback, where a Secure cookie
// would never be sent back. Behind a TLS proxy the browser still keeps it HttpOnly + Strict.
std::string SessionSetCookie(std::string_view session_secret, int64_t max_age_s) {
  return absl::StrCat(Sv(kSessionCookieName), "=", Sv(session_secret), "; Path=/; Max-Age=", max_age_s,
                      "; HttpOnly; SameSite=Strict");
}

std::string ClearSessionSetCookie() {
  return absl::StrCat(Sv(kSessionCookieName), "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
}

}  // namespace trackly::server
