#include "server/authenticator.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status.h"
#include "server/api_key.h"
#include "server/roles.h"
#include "server/secret.h"
#include "server/ui_login.h"

namespace trackly::server {
namespace {

constexpr uint32_t kAllScopes = store::kScopeIngest | store::kScopeRead | store::kScopeAdmin;

absl::Status NoAccess(std::string_view project) {
  return absl::PermissionDeniedError(
      absl::StrCat("project \"", Sv(project), "\" not found or you have no role in it"));
}

absl::Status CheckScope(uint32_t held, uint32_t required, std::string_view who) {
  if (required == kAnyCredential || (held & required) == required) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(Sv(who), " lacks the '", FormatScopes(required), "' scope"));
}

}  // namespace

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
  std::optional<absl::StatusOr<store::ApiKeyRecord>> last;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(key_id);
    if (it != cache_.end()) {
      if (now_ns - it->second.fetched_ns < kKeyCacheTtlNs) return it->second.record;
      last = it->second.record;
    }
  }
  // The catalog is read outside the lock so one slow lookup does not stall every request.
  absl::StatusOr<store::ApiKeyRecord> record = catalog_.FindKey(key_id);
  if (!record.ok() && record.status().code() != absl::StatusCode::kNotFound) {
    LogWarn("API key lookup failed", last ? " (the last answer stands)" : "", ": ", record.status().ToString());
    if (last) return *std::move(last);
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
  if (!no_auth_project_.empty()) return Principal{.project = no_auth_project_, .scopes = kAllScopes};
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
  TRACKLY_RETURN_IF_ERROR(CheckScope(record->scopes, required_scope, "API key"));
  return Principal{.project = record->project, .key_id = record->id, .scopes = record->scopes};
}

absl::StatusOr<Principal> Authenticator::AuthenticateRequest(const HttpRequest& request,
                                                             uint32_t required_scope) {
  std::string_view authorization = HeaderValue(request, http::field::authorization);
  std::string_view x_api_key = HeaderValue(request, "x-api-key");
  std::string_view session = FindSessionCookie(HeaderValue(request, http::field::cookie));
  std::string_view requested_project = HeaderValue(request, kProjectHeader);
  if (!no_auth_project_.empty() || !authorization.empty() || !x_api_key.empty() || session.empty()) {
    TRACKLY_ASSIGN_OR_RETURN(Principal principal, Authenticate(authorization, x_api_key, required_scope));
    // A key (or auth off) acts on one project; asking for another must not quietly answer this one.
    if (!requested_project.empty() && requested_project != principal.project) return NoAccess(requested_project);
    return principal;
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
  TRACKLY_ASSIGN_OR_RETURN(Principal principal, SessionPrincipal(*credential, requested_project, required_scope));
  principal.csrf_token = credential->csrf_token;
  return principal;
}

absl::StatusOr<Principal> Authenticator::SessionPrincipal(const store::UiCredential& credential,
                                                          std::string_view requested_project,
                                                          uint32_t required_scope) {
  const std::string project = requested_project.empty() ? credential.project : std::string(requested_project);
  if (credential.user.empty()) {
    if (project != credential.project) return NoAccess(project);
    return Principal{.project = project, .scopes = kAllScopes};
  }
  Principal principal{.user = credential.user};
  if (!project.empty()) {
    // Not cached, like the session itself: a removed role must end access at once.
    absl::StatusOr<std::vector<store::Membership>> roles = catalog_.ListMemberships(credential.user, project);
    if (!roles.ok()) {
      LogWarn("role lookup failed: ", roles.status().ToString());
      return absl::UnavailableError("cannot check your role right now");
    }
    if (!roles->empty()) {
      const store::Membership& membership = roles->front();
      principal.project = project;
      principal.role = membership.role;
      principal.scopes = RoleScopes(membership.role);
      principal.raw_io = membership.role != store::Role::kViewer || membership.raw_io;
    }
  }
  if (required_scope == kAnyCredential) return principal;
  if (!principal.role) {
    if (project.empty()) return absl::PermissionDeniedError("no project: create one or ask for a role in one");
    return NoAccess(project);
  }
  TRACKLY_RETURN_IF_ERROR(CheckScope(principal.scopes, required_scope,
                                     absl::StrCat("your role (", Sv(RoleName(*principal.role)), ")")));
  return principal;
}

}  // namespace trackly::server
