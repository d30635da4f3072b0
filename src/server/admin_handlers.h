// Handlers of the UI sign-in and project settings API (docs/api.md "UI sign-in", "API keys",
// "Projects and members"): signing in, a project's API keys, the caller's projects and a
// project's members and their roles, and the project's audit log. Every change they make is
// recorded in the audit log (server/audit_log.h) before they answer success.
#pragma once

#include "base/clock.h"
#include "server/audit_log.h"
#include "server/router.h"
#include "store/catalog.h"
#include "store/store.h"

namespace trackly::server {

// POST /api/v1/ui/login, body {"token"} or {"user", "password"} (public) → {"project", "user"?,
// "csrf_token"} and the session cookie (server/ui_login.h); 401 for an unknown, used or expired
// token or a wrong user or password. Records signin.success (durably, before answering) and
// signin.failure (queued; actor the user name tried, never the password or token).
Handler UiLoginHandler(store::Catalog& catalog, const Clock& clock, AuditLog& audit);
// GET /api/v1/ui/session → {"project", "auth": "session"|"key", "raw_io", "csrf_token"?,
// "user"?, "role"?}: who the caller is; the UI calls it on start to learn its project and, after
// a reload, its CSRF token. A kAnyCredential route.
Handler UiSessionHandler();
// POST /api/v1/ui/logout → {"logged_out": true}; ends the cookie's session and clears the cookie.
Handler UiLogoutHandler(store::Catalog& catalog);

// GET /api/v1/keys → {"data":[key]}: the project's keys (never secrets), revoked ones included.
Handler ListKeysHandler(store::Catalog& catalog);
// POST /api/v1/keys, body {"name"?, "scopes"?: "ingest,read"} → 201 with the key and its secret
// forms ("key", "public_key", "secret_key"), shown this once.
Handler CreateKeyHandler(store::Catalog& catalog, const Clock& clock, AuditLog& audit);
// DELETE /api/v1/keys/{id} → the revoked key; 404 for a key of another project.
Handler RevokeKeyHandler(store::Catalog& catalog, const Clock& clock, AuditLog& audit);


// GET /api/v1/projects → {"data":[{"name", "created_at", "role"}]}: the projects a signed-in user
// has a role in; for a key or a project's session, that project (role null). kAnyCredential.
Handler ListProjectsHandler(store::Catalog& catalog);
// POST /api/v1/projects, body {"name"} → 201 {"name", "created_at", "role": "owner"}: a new
// project owned by the signed-in user; 403 for any other caller, 409 for a taken name.
Handler CreateProjectHandler(store::Catalog& catalog, const Clock& clock, AuditLog& audit);
// GET /api/v1/members → {"data":[membership]}: who has which role in the caller's project.
Handler ListMembersHandler(store::Catalog& catalog);
// PUT /api/v1/members/{user}, body {"role", "raw_io"?} → the membership: gives an existing user a
// role in the caller's project or changes it. Only an owner (or the project's own session) may
// make, change or remove an owner, and a project always keeps one owner (409 otherwise).
Handler PutMemberHandler(store::Catalog& catalog, const Clock& clock, AuditLog& audit);
// DELETE /api/v1/members/{user} → {"user", "removed": true}; 404 when the user has no role here.
Handler RemoveMemberHandler(store::Catalog& catalog, AuditLog& audit);
// GET /api/v1/audit → {"data":[event], "next_cursor"}: the caller's project's audit log, newest
// first (query::ParseAuditQuery). Writes the queued view events first, so they are listed too.
Handler ListAuditHandler(store::Catalog& catalog, AuditLog& audit);

// Erasure (store::Store::Erase; docs/api.md "Erasure"). Each answers {"erased": {"traces",
// "observations", "scores"}} once the data is gone, and records trace.delete, session.delete or
// user_data.delete (with the counts) in the audit log before answering. They block the I/O
// thread for the erasure (a rare admin action; seconds on a large store).
// DELETE /api/v1/traces/{id}: the trace and the scores on it; 404 when the project has neither.
Handler EraseTraceHandler(store::Store& store, AuditLog& audit);
// DELETE /api/v1/sessions/{id}: every trace of the session; 404 when it has none.
Handler EraseSessionHandler(store::Store& store, AuditLog& audit);
// POST /api/v1/erase, body {"user_id"} (or {"trace_id"} or {"session_id"}): every trace of that
// end user (the user_id traces carry); 200 with zero counts when there is none.
Handler EraseHandler(store::Store& store, AuditLog& audit);

}  // namespace trackly::server
