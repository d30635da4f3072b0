// Handlers of the UI sign-in and project settings API (docs/api.md "UI sign-in", "API keys"):
// exchanging a login link for a session cookie, and a project's API keys.
#pragma once

#include "base/clock.h"
#include "server/router.h"
#include "store/catalog.h"

namespace trackly::server {

// POST /api/v1/ui/login, body {"token"} (public) → {"project", "csrf_token"} and the session
// cookie (server/ui_login.h); 401 for an unknown, used or expired token.
Handler UiLoginHandler(store::Catalog& catalog, const Clock& clock);
// GET /api/v1/ui/session → {"project", "auth": "session"|"key", "csrf_token"?}: who the caller
// is; the UI calls it on start to learn its project and, after a reload, its CSRF token.
Handler UiSessionHandler();
// POST /api/v1/ui/logout → {"logged_out": true}; ends the cookie's session and clears the cookie.
Handler UiLogoutHandler(store::Catalog& catalog);

// GET /api/v1/keys → {"data":[key]}: the project's keys (never secrets), revoked ones included.
Handler ListKeysHandler(store::Catalog& catalog);
// POST /api/v1/keys, body {"name"?, "scopes"?: "ingest,read"} → 201 with the key and its secret
// forms ("key", "public_key", "secret_key"), shown this once.
Handler CreateKeyHandler(store::Catalog& catalog, const Clock& clock);
// DELETE /api/v1/keys/{id} → the revoked key; 404 for a key of another project.
Handler RevokeKeyHandler(store::Catalog& catalog, const Clock& clock);

}  // namespace trackly::server
