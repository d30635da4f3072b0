// Who is calling: turns the credential headers of a request into the project it acts on, checking
// the key's scope. Keys live in store::Catalog; see server/api_key.h for their forms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "server/http_message.h"
#include "store/catalog.h"

namespace trackly::server {

// A route's required scope meaning "any valid credential": the route is about the caller, not a
// project (the projects a user may open), so the principal's project may be empty.
inline constexpr uint32_t kAnyCredential = 1u << 31;

// The header a signed-in user's requests name their project in (the UI sends it on every call).
// Without it a user's session acts on the project it was opened for.
inline constexpr std::string_view kProjectHeader = "x-trackly-project";

struct Principal {
  std::string project;     // empty only on kAnyCredential routes
  std::string key_id;      // empty when auth is off or for a UI session
  std::string csrf_token;  // set when the request was authenticated by a UI session cookie
  std::string user;        // set for a signed-in user's session
  std::optional<store::Role> role;  // the user's role in `project`, when it has one
  uint32_t scopes = 0;     // store::Scope bits the caller holds in `project`
  bool raw_io = true;      // false: inputs, outputs and messages are hidden from this caller
};

// True when `request` carries a credential of any form: an API key header (Authorization,
// x-api-key) or the UI session cookie, valid or not.
bool PresentsCredential(const HttpRequest& request);

// Thread-safe. Catalog lookups are cached for at most kKeyCacheTtlNs, so a revoked key stops
// working within that time; the secret is verified on every request (one SHA-256). When the
// catalog cannot be read (a catalog in ClickHouse during an outage), a key keeps the last answer
// it had, however old, so clients keep sending while the spool absorbs their spans; only a key
// this server has not looked up before is Unavailable then.
class Authenticator {
 public:
  static constexpr int64_t kKeyCacheTtlNs = 1'000'000'000;  // 1 s

  // With `no_auth_project` empty, every request must carry a key of `catalog`. Otherwise auth
  // is off and every request acts on that project without a credential: only for loopback
  // listeners (server/options.h refuses anything else).
  Authenticator(store::Catalog& catalog, const Clock& clock, std::string no_auth_project = "");

  // The caller's principal when the headers carry a valid, unrevoked key with `required_scope`
  // (store::Scope bit). Unauthenticated for a missing, malformed, unknown or revoked key or a
  // wrong secret; PermissionDenied when the key lacks the scope; Unavailable if the catalog
  // cannot be read.
  absl::StatusOr<Principal> Authenticate(std::string_view authorization,
                                         std::string_view x_api_key, uint32_t required_scope);

  // What a request presents: its API key headers (Authorization, x-api-key) when it has any, as
  // Authenticate; otherwise the UI session cookie (server/ui_login.h). A session of one project
  // holds every scope of it; a user's session acts on the project named in kProjectHeader (or
  // the one it was opened for) with the scopes of the user's role there (server/roles.h).
  // `required_scope` is a store::Scope bit or kAnyCredential. Unauthenticated for a missing
  // credential or an unknown or expired session; PermissionDenied for a session request that may
  // change something (any method but GET and HEAD) without the session's CSRF token in the
  // kCsrfHeader header, for a project the caller has no access to (one message whether or not
  // the project exists) and for a role without the scope.
  absl::StatusOr<Principal> AuthenticateRequest(const HttpRequest& request, uint32_t required_scope);

 private:
  // A catalog answer: the record, or NotFound for an unknown id.
  struct CacheEntry {
    absl::StatusOr<store::ApiKeyRecord> record;
    int64_t fetched_ns = 0;
  };
  // Bounds memory when clients send many different (unknown) key ids.
  static constexpr size_t kMaxCacheEntries = 10'000;

  absl::StatusOr<store::ApiKeyRecord> Lookup(const std::string& key_id);
  // The principal of a valid session `credential` for a request naming `requested_project`.
  absl::StatusOr<Principal> SessionPrincipal(const store::UiCredential& credential,
                                             std::string_view requested_project, uint32_t required_scope);

  store::Catalog& catalog_;
  const Clock& clock_;
  const std::string no_auth_project_;  // non-empty = auth off
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, CacheEntry> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace trackly::server
