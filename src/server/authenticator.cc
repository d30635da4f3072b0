#include "server/authenticator.h"

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status.h"
#include "server/api_key.h"
#include "server/secret.h"
#include "server/ui_login.h"

namespace trackly::server {

bool PresentsCredential(const HttpRequest& request) {
  return !HeaderValue(request, http::field::authorization).empty() ||
         !HeaderValue(request, "x-api-key").empty() ||
         !FindSessionCookie(HeaderValue(request, http::field::cookie)).empty();
}

Authenticator::Authenticator(store::Catalog& catalog, const Clock& clock,
                             std::string no_auth_project)
    : catalog_(catalog), clock_(clock), no_auth_project_(std::move(no_auth_project)) {}

absl::StatusOr<store::ApiKeyRecord> Authenticator::Lookup(const std::string& key_id) {
  const int64_t now_ns = clock_.NowNanos();
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(key_id);
    if (it != cache_.end() && now_ns - it->second.fetched_ns < kKeyCacheTtlNs) {
      return it->second.record;
    }
  }
  // The catalog is read outside the lock so one slow lookup does not stall every request.
  absl::StatusOr<store::ApiKeyRecord> record = catalog_.FindKey(key_id);
  if (!record.ok() && record.status().code() != absl::StatusCode::kNotFound) {
    LogWarn("API key lookup failed: ", record.status().ToString());
    return absl::UnavailableError("cannot check the API key right now");
  }
  absl::MutexLock lock(&mu_);
  if (cache_.size() >= kMaxCacheEntries) cache_.clear();
  cache_[key_id] = CacheEntry{record, now_ns};
  return record;
}

absl::StatusOr<Principal> Authenticator::Authenticate(std::string_view authorization,
                                                      std::string_view x_api_key,
                                                      uint32_t required_scope) {
  if (!no_auth_project_.empty()) return Principal{no_auth_project_, ""};
  TRACKLY_ASSIGN_OR_RETURN(Credential credential, ParseCredential(authorization, x_api_key));
  absl::StatusOr<store::ApiKeyRecord> record = Lookup(credential.key_id);
  if (!record.ok()) {
    if (record.status().code() == absl::StatusCode::kNotFound) {
      return absl::UnauthenticatedError("unknown API key");
    }
    return record.status();
  }
  // The same answer for an unknown id and a wrong secret, so ids cannot be probed.
  if (!VerifySecret(*record, credential.secret)) return absl::UnauthenticatedError("unknown API key");
  if (record->revoked_ns != 0) return absl::UnauthenticatedError("API key revoked");
  if ((record->scopes & required_scope) != required_scope) {
    return absl::PermissionDeniedError(
        absl::StrCat("API key lacks the '", FormatScopes(required_scope), "' scope"));
  }
  return Principal{record->project, record->id};
}

absl::StatusOr<Principal> Authenticator::AuthenticateRequest(const HttpRequest& request,
                                                             uint32_t required_scope) {
  std::string_view authorization = HeaderValue(request, http::field::authorization);
  std::string_view x_api_key = HeaderValue(request, "x-api-key");
  std::string_view session = FindSessionCookie(HeaderValue(request, http::field::cookie));
  if (!no_auth_project_.empty() || !authorization.empty() || !x_api_key.empty() || session.empty()) {
    return Authenticate(authorization, x_api_key, required_scope);
  }
  // Sessions are not cached: logging out must end one at once, and UI traffic is light.
  absl::StatusOr<store::UiCredential> credential = catalog_.FindUiCredential(
      Sha256Hex(session), store::UiCredentialKind::kSession, clock_.NowNanos(), /*consume=*/false);
  if (absl::IsNotFound(credential.status())) {
    return absl::UnauthenticatedError("UI session unknown or expired; sign in again");
  }
  if (!credential.ok()) {
    LogWarn("UI session lookup failed: ", credential.status().ToString());
    return absl::UnavailableError("cannot check the UI session right now");
  }
  bool safe_method = request.method() == http::verb::get || request.method() == http::verb::head;
  if (!safe_method && !ConstantTimeEquals(HeaderValue(request, kCsrfHeader), credential->csrf_token)) {
    return absl::PermissionDeniedError(
        absl::StrCat("missing or wrong CSRF token (the ", Sv(kCsrfHeader), " header)"));
  }
  return Principal{.project = credential->project, .csrf_token = credential->csrf_token};
}

}  // namespace trackly::server
