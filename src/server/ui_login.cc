#include "server/ui_login.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status.h"
#include "server/password.h"
#include "server/secret.h"

namespace trackly::server {
namespace {

constexpr size_t kSecretChars = 43;  // 256 bits of base62
constexpr std::string_view kLoginFailed = "login link unknown, already used or expired; ask for a new one "
                                          "(trackly ui-token --project NAME)";

// Stores a login token for `target` (its user or project set) and returns its link.
absl::StatusOr<std::string> StoreLoginToken(store::Catalog& catalog, store::UiCredential target,
                                            std::string_view base_url, int64_t now_ns) {
  TRACKLY_ASSIGN_OR_RETURN(std::string token, RandomBase62(kSecretChars));
  target.secret_hash = Sha256Hex(token);
  target.kind = store::UiCredentialKind::kLoginToken;
  target.expires_ns = now_ns + kLoginTokenTtlNs;
  TRACKLY_RETURN_IF_ERROR(catalog.InsertUiCredential(target, now_ns));
  return absl::StrCat(Sv(base_url), "/#login=", token);
}

// Stores a new session of `user` (may be empty) opening on `project` (empty for a user without
// any role): for a user, the first project of theirs when `project` is empty.
absl::StatusOr<UiSessionGrant> StartSession(store::Catalog& catalog, std::string user, std::string project,
                                            int64_t now_ns) {
  if (!user.empty() && project.empty()) {
    TRACKLY_ASSIGN_OR_RETURN(std::vector<store::Membership> roles, catalog.ListMemberships(user, ""));
    if (!roles.empty()) project = roles.front().project;
  }
  UiSessionGrant grant{.user = std::move(user), .project = std::move(project), .expires_ns = now_ns + kUiSessionTtlNs};
  TRACKLY_ASSIGN_OR_RETURN(grant.session_secret, RandomBase62(kSecretChars));
  TRACKLY_ASSIGN_OR_RETURN(grant.csrf_token, RandomBase62(kSecretChars));
  TRACKLY_RETURN_IF_ERROR(catalog.InsertUiCredential(
      store::UiCredential{.secret_hash = Sha256Hex(grant.session_secret),
                          .kind = store::UiCredentialKind::kSession,
                          .user = grant.user,
                          .project = grant.project,
                          .expires_ns = grant.expires_ns,
                          .csrf_token = grant.csrf_token},
      now_ns));
  return grant;
}

}  // namespace

absl::StatusOr<std::string> CreateLoginLink(store::Catalog& catalog, std::string_view project,
                                            std::string_view base_url, int64_t now_ns) {
  return StoreLoginToken(catalog, store::UiCredential{.project = std::string(project)}, base_url, now_ns);
}

absl::StatusOr<std::string> CreateUserLoginLink(store::Catalog& catalog, std::string_view user,
                                                std::string_view base_url, int64_t now_ns) {
  return StoreLoginToken(catalog, store::UiCredential{.user = std::string(user)}, base_url, now_ns);
}

absl::StatusOr<UiSessionGrant> ExchangeLoginToken(store::Catalog& catalog, std::string_view token,
                                                  int64_t now_ns) {
  absl::StatusOr<store::UiCredential> login = catalog.FindUiCredential(
      Sha256Hex(token), store::UiCredentialKind::kLoginToken, now_ns, /*consume=*/true);
  if (absl::IsNotFound(login.status())) return absl::UnauthenticatedError(Sv(kLoginFailed));
  TRACKLY_RETURN_IF_ERROR(login.status());
  return StartSession(catalog, login->user, login->project, now_ns);
}

absl::StatusOr<UiSessionGrant> SignInWithPassword(store::Catalog& catalog, std::string_view user,
                                                  std::string_view password, int64_t now_ns) {
  absl::StatusOr<store::UserRecord> record = catalog.GetUser(user);
  if (!record.ok() && !absl::IsNotFound(record.status())) return record.status();
  // An unknown user costs the same hashing as a known one, so timing does not tell names apart.
  static const std::string* const kDecoyHash = new std::string(HashPassword("decoy-password-never-matches").value());
  bool matches = VerifyPassword(record.ok() ? record->password_hash : *kDecoyHash, password);
  if (!record.ok() || !matches) return absl::UnauthenticatedError("unknown user or wrong password");
  return StartSession(catalog, record->name, "", now_ns);
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
