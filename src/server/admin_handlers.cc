#include "server/admin_handlers.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/time_format.h"
#include "query/query_params.h"
#include "server/api_key.h"
#include "server/authenticator.h"
#include "server/http_status.h"
#include "server/roles.h"
#include "server/secret.h"
#include "server/ui_login.h"

namespace trackly::server {
namespace {

constexpr uint32_t kDefaultKeyScopes = store::kScopeIngest | store::kScopeRead;

// A member a request body may have, and its JSON type.
struct BodyField {
  BodyField(const char* name, bool boolean = false) : name(name), boolean(boolean) {}  // NOLINT: implicit
  std::string_view name;
  bool boolean;  // true: a JSON boolean; false: a string
};

// The body as a JSON object whose members are all in `allowed`, of their types; InvalidArgument
// naming the first problem. An empty body is an empty object.
absl::StatusOr<model::Json> ObjectBody(const RequestContext& context, std::initializer_list<BodyField> allowed) {
  const std::string& body = context.request.body();
  if (body.empty()) return model::Json::object();
  model::Json json = model::Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return absl::InvalidArgumentError("body: must be a JSON object");
  for (const auto& [key, value] : json.items()) {
    auto field = std::find_if(allowed.begin(), allowed.end(), [&](const BodyField& f) { return f.name == key; });
    if (field == allowed.end()) return absl::InvalidArgumentError(absl::StrCat(key, ": unknown field"));
    if (field->boolean && !value.is_boolean()) return absl::InvalidArgumentError(absl::StrCat(key, ": must be true or false"));
    if (!field->boolean && !value.is_string()) return absl::InvalidArgumentError(absl::StrCat(key, ": must be a string"));
  }
  return json;
}

std::string StringMember(const model::Json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? std::string() : it->get<std::string>();
}

model::Json KeyJson(const store::ApiKeyRecord& key) {
  model::Json json{{"id", key.id},
                   {"name", key.name},
                   {"scopes", FormatScopes(key.scopes)},
                   {"created_at", model::FormatRfc3339Micros(key.created_ns)},
                   {"revoked_at", nullptr}};
  if (key.revoked_ns != 0) json["revoked_at"] = model::FormatRfc3339Micros(key.revoked_ns);
  return json;
}

model::Json MembershipJson(const store::Membership& membership) {
  return model::Json{{"user", membership.user},
                     {"project", membership.project},
                     {"role", RoleName(membership.role)},
                     {"raw_io", membership.raw_io},
                     {"created_at", model::FormatRfc3339Micros(membership.created_ns)}};
}

// True when the caller may make, change or remove an owner: an owner, or a session of the whole
// project (a login link of the project, or auth off) — never an API key.
bool ActsAsOwner(const RequestContext& context) {
  if (context.role) return *context.role == store::Role::kOwner;
  return context.key_id.empty() && context.user.empty();
}

// OK unless `project` would be left without an owner by taking `user`'s owner role away.
absl::Status KeepsAnOwner(store::Catalog& catalog, std::string_view project, std::string_view user) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<store::Membership> members, catalog.ListMemberships("", project));
  for (const store::Membership& m : members) {
    if (m.role == store::Role::kOwner && m.user != user) return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("user \"", Sv(user), "\" is the last owner of project \"", Sv(project), "\"; make another owner first"));
}

// Checks that the caller may change `user`'s membership in its project from what it is now to
// `new_role` (none = removal).
absl::Status CheckMembershipChange(store::Catalog& catalog, const RequestContext& context, std::string_view user,
                                   std::optional<store::Role> new_role) {
  TRACKLY_ASSIGN_OR_RETURN(std::vector<store::Membership> current, catalog.ListMemberships(user, context.project));
  bool was_owner = !current.empty() && current.front().role == store::Role::kOwner;
  bool makes_owner = new_role == store::Role::kOwner;
  if ((was_owner || makes_owner) && !ActsAsOwner(context)) {
    return absl::PermissionDeniedError("only an owner may make, change or remove an owner");
  }
  if (was_owner && !makes_owner) return KeepsAnOwner(catalog, context.project, user);
  return absl::OkStatus();
}

}  // namespace

Handler UiLoginHandler(store::Catalog& catalog, const Clock& clock, AuditLog& audit) {
  return [&catalog, &clock, &audit](RequestContext context, Responder respond) {
    absl::StatusOr<model::Json> body = ObjectBody(context, {"token", "user", "password"});
    if (!body.ok()) return respond(ErrorResponse(body.status()));
    std::string token = StringMember(*body, "token");
    std::string user = StringMember(*body, "user");
    absl::StatusOr<UiSessionGrant> grant;
    if (!token.empty()) {
      grant = ExchangeLoginToken(catalog, token, clock.NowNanos());
    } else if (!user.empty()) {
      grant = SignInWithPassword(catalog, user, StringMember(*body, "password"), clock.NowNanos());
    } else {
      grant = absl::InvalidArgumentError("token: required (or user and password)");
    }
    const model::Json method{{"method", token.empty() ? "password" : "link"}};
    if (absl::IsUnauthenticated(grant.status())) {
      // Queued: failures are what a guesser can make many of, and must not cost a disk write each.
      audit.RecordLater(MakeEvent("", token.empty() ? UserActor(user) : std::string(kAnonymousActor),
                                  audit_action::kSignInFailure, "", method));
    }
    if (!grant.ok()) return respond(ErrorResponse(grant.status()));
    // A user signs in to the instance; a project's login link to that project.
    const bool of_user = !grant->user.empty();
    absl::Status recorded = audit.Record(MakeEvent(of_user ? "" : grant->project,
                                                   of_user ? UserActor(grant->user) : LinkActor(grant->project),
                                                   audit_action::kSignIn, "", method));
    if (!recorded.ok()) {
      // No session without its record: end the one just made.
      catalog.DeleteUiCredential(Sha256Hex(grant->session_secret)).IgnoreError();
      return respond(ErrorResponse(absl::Status(
          recorded.code(), absl::StrCat("cannot sign in: the audit log cannot be written: ", recorded.message()))));
    }
    model::Json answer{{"project", grant->project}, {"csrf_token", grant->csrf_token}};
    if (!grant->user.empty()) answer["user"] = grant->user;
    HttpResponse response = JsonResponse(http::status::ok, answer);
    response.set(http::field::set_cookie, SessionSetCookie(grant->session_secret, kUiSessionTtlNs / 1'000'000'000));
    respond(std::move(response));
  };
}

Handler UiSessionHandler() {
  return [](RequestContext context, Responder respond) {
    model::Json body{{"project", context.project},
                     {"auth", context.csrf_token.empty() ? "key" : "session"},
                     {"raw_io", context.raw_io}};
    if (!context.csrf_token.empty()) body["csrf_token"] = context.csrf_token;
    if (!context.user.empty()) body["user"] = context.user;
    if (context.role) body["role"] = RoleName(*context.role);
    respond(JsonResponse(http::status::ok, body));
  };
}

Handler UiLogoutHandler(store::Catalog& catalog) {
  return [&catalog](RequestContext context, Responder respond) {
    std::string_view session = FindSessionCookie(HeaderValue(context.request, http::field::cookie));
    if (!session.empty()) {
      if (absl::Status deleted = catalog.DeleteUiCredential(Sha256Hex(session)); !deleted.ok()) {
        return respond(ErrorResponse(deleted));
      }
    }
    HttpResponse response = JsonResponse(http::status::ok, model::Json{{"logged_out", true}});
    response.set(http::field::set_cookie, ClearSessionSetCookie());
    respond(std::move(response));
  };
}

Handler ListKeysHandler(store::Catalog& catalog) {
  return [&catalog](RequestContext context, Responder respond) {
    absl::StatusOr<std::vector<store::ApiKeyRecord>> keys = catalog.ListKeys(context.project);
    if (!keys.ok()) return respond(ErrorResponse(keys.status()));
    model::Json data = model::Json::array();
    for (const store::ApiKeyRecord& key : *keys) data.push_back(KeyJson(key));
    respond(JsonResponse(http::status::ok, model::Json{{"data", std::move(data)}}));
  };
}

Handler CreateKeyHandler(store::Catalog& catalog, const Clock& clock, AuditLog& audit) {
  return [&catalog, &clock, &audit](RequestContext context, Responder respond) {
    absl::StatusOr<model::Json> body = ObjectBody(context, {"name", "scopes"});
    if (!body.ok()) return respond(ErrorResponse(body.status()));
    uint32_t scopes = kDefaultKeyScopes;
    if (std::string text = StringMember(*body, "scopes"); !text.empty()) {
      absl::StatusOr<uint32_t> parsed = ParseScopes(text);
      if (!parsed.ok()) return respond(ErrorResponse(absl::InvalidArgumentError(
                              absl::StrCat("scopes: ", parsed.status().message()))));
      scopes = *parsed;
    }
    absl::StatusOr<GeneratedKey> key = GenerateApiKey(context.project, scopes, clock.NowNanos());
    if (!key.ok()) return respond(ErrorResponse(key.status()));
    key->record.name = StringMember(*body, "name");
    if (absl::Status inserted = catalog.InsertKey(key->record); !inserted.ok()) {
      return respond(ErrorResponse(inserted));
    }
    model::Json json = KeyJson(key->record);
    json["key"] = key->key;
    json["public_key"] = key->public_key;
    json["secret_key"] = key->secret_key;
    model::Json details{{"scopes", FormatScopes(key->record.scopes)}, {"name", key->record.name}};
    respond(RecordedOr(audit, RequestEvent(context, audit_action::kKeyCreate, key->record.id, details),
                       JsonResponse(http::status::created, json)));
  };
}

Handler RevokeKeyHandler(store::Catalog& catalog, const Clock& clock, AuditLog& audit) {
  return [&catalog, &clock, &audit](RequestContext context, Responder respond) {
    const std::string& id = context.path_params.at(0);
    absl::StatusOr<store::ApiKeyRecord> key = catalog.FindKey(id);
    // Another project's key is reported exactly like a missing one.
    if (!key.ok() || key->project != context.project) {
      if (key.ok() || absl::IsNotFound(key.status())) {
        return respond(ErrorResponse(absl::NotFoundError(absl::StrCat("key \"", id, "\" not found"))));
      }
      return respond(ErrorResponse(key.status()));
    }
    if (absl::Status revoked = catalog.RevokeKey(id, clock.NowNanos()); !revoked.ok()) {
      return respond(ErrorResponse(revoked));
    }
    absl::StatusOr<store::ApiKeyRecord> after = catalog.FindKey(id);
    if (!after.ok()) return respond(ErrorResponse(after.status()));
    respond(RecordedOr(audit, RequestEvent(context, audit_action::kKeyRevoke, id), JsonResponse(http::status::ok, KeyJson(*after))));
  };
}

Handler ListProjectsHandler(store::Catalog& catalog) {
  return [&catalog](RequestContext context, Responder respond) {
    model::Json data = model::Json::array();
    if (context.user.empty()) {
      // A key or a project's session sees its own project only.
      absl::StatusOr<store::Project> project = catalog.GetProject(context.project);
      if (!project.ok()) return respond(ErrorResponse(project.status()));
      data.push_back({{"name", project->name},
                      {"created_at", model::FormatRfc3339Micros(project->created_ns)},
                      {"role", nullptr}});
    } else {
      absl::StatusOr<std::vector<store::Membership>> roles = catalog.ListMemberships(context.user, "");
      if (!roles.ok()) return respond(ErrorResponse(roles.status()));
      for (const store::Membership& m : *roles) {
        absl::StatusOr<store::Project> project = catalog.GetProject(m.project);
        if (!project.ok()) continue;  // deleted meanwhile
        data.push_back({{"name", project->name},
                        {"created_at", model::FormatRfc3339Micros(project->created_ns)},
                        {"role", RoleName(m.role)}});
      }
    }
    respond(JsonResponse(http::status::ok, model::Json{{"data", std::move(data)}}));
  };
}

Handler CreateProjectHandler(store::Catalog& catalog, const Clock& clock, AuditLog& audit) {
  return [&catalog, &clock, &audit](RequestContext context, Responder respond) {
    if (context.user.empty()) {
      return respond(ErrorResponse(absl::PermissionDeniedError(
          "creating a project needs a signed-in user (or `trackly projects create NAME` on the server)")));
    }
    absl::StatusOr<model::Json> body = ObjectBody(context, {"name"});
    if (!body.ok()) return respond(ErrorResponse(body.status()));
    std::string name = StringMember(*body, "name");
    if (name.empty()) return respond(ErrorResponse(absl::InvalidArgumentError("name: required")));
    absl::StatusOr<store::Project> project = catalog.CreateProjectOwnedBy(name, context.user, clock.NowNanos());
    if (!project.ok()) return respond(ErrorResponse(project.status()));
    // The event belongs to the new project, whatever project the request named.
    respond(RecordedOr(audit,
                       MakeEvent(project->name, AuditActor(context), audit_action::kProjectCreate, project->name,
                                 {{"owner", context.user}}),
                       JsonResponse(http::status::created,
                                    model::Json{{"name", project->name},
                                                {"created_at", model::FormatRfc3339Micros(project->created_ns)},
                                                {"role", RoleName(store::Role::kOwner)}})));
  };
}

Handler ListMembersHandler(store::Catalog& catalog) {
  return [&catalog](RequestContext context, Responder respond) {
    absl::StatusOr<std::vector<store::Membership>> members = catalog.ListMemberships("", context.project);
    if (!members.ok()) return respond(ErrorResponse(members.status()));
    model::Json data = model::Json::array();
    for (const store::Membership& m : *members) data.push_back(MembershipJson(m));
    respond(JsonResponse(http::status::ok, model::Json{{"data", std::move(data)}}));
  };
}

Handler PutMemberHandler(store::Catalog& catalog, const Clock& clock, AuditLog& audit) {
  return [&catalog, &clock, &audit](RequestContext context, Responder respond) {
    const std::string& user = context.path_params.at(0);
    absl::StatusOr<model::Json> body = ObjectBody(context, {"role", {"raw_io", true}});
    if (!body.ok()) return respond(ErrorResponse(body.status()));
    absl::StatusOr<store::Role> role = ParseRole(StringMember(*body, "role"));
    if (!role.ok()) return respond(ErrorResponse(role.status()));
    if (absl::Status allowed = CheckMembershipChange(catalog, context, user, *role); !allowed.ok()) {
      return respond(ErrorResponse(allowed));
    }
    store::Membership membership{.user = user,
                                 .project = context.project,
                                 .role = *role,
                                 .raw_io = body->value("raw_io", true),
                                 .created_ns = clock.NowNanos()};
    if (absl::Status put = catalog.PutMembership(membership); !put.ok()) return respond(ErrorResponse(put));
    absl::StatusOr<std::vector<store::Membership>> stored = catalog.ListMemberships(user, context.project);
    if (!stored.ok() || stored->empty()) {
      return respond(ErrorResponse(stored.ok() ? absl::InternalError("membership vanished") : stored.status()));
    }
    const store::Membership& now = stored->front();
    respond(RecordedOr(audit,
                       RequestEvent(context, audit_action::kMemberPut, user,
                                    {{"role", RoleName(now.role)}, {"raw_io", now.raw_io}}),
                       JsonResponse(http::status::ok, MembershipJson(now))));
  };
}

Handler RemoveMemberHandler(store::Catalog& catalog, AuditLog& audit) {
  return [&catalog, &audit](RequestContext context, Responder respond) {
    const std::string& user = context.path_params.at(0);
    if (absl::Status allowed = CheckMembershipChange(catalog, context, user, std::nullopt); !allowed.ok()) {
      return respond(ErrorResponse(allowed));
    }
    if (absl::Status removed = catalog.RemoveMembership(user, context.project); !removed.ok()) {
      return respond(ErrorResponse(removed));
    }
    respond(RecordedOr(audit, RequestEvent(context, audit_action::kMemberRemove, user),
                       JsonResponse(http::status::ok, model::Json{{"user", user}, {"removed", true}})));
  };
}

Handler ListAuditHandler(store::Catalog& catalog, AuditLog& audit) {
  return [&catalog, &audit](RequestContext context, Responder respond) {
    absl::StatusOr<store::AuditQuery> query = query::ParseAuditQuery(context.query, context.project);
    if (!query.ok()) return respond(ErrorResponse(query.status()));
    if (absl::Status flushed = audit.Flush(); !flushed.ok()) return respond(ErrorResponse(flushed));
    absl::StatusOr<store::AuditPage> page = catalog.ListAudit(*query);
    if (!page.ok()) return respond(ErrorResponse(page.status()));
    model::Json data = model::Json::array();
    for (const store::AuditEvent& event : page->events) data.push_back(AuditEventJson(event));
    respond(JsonResponse(http::status::ok,
                         model::Json{{"data", std::move(data)},
                                     {"next_cursor", page->next_cursor.empty() ? model::Json(nullptr)
                                                                               : model::Json(page->next_cursor)}}));
  };
}

namespace {

model::Json EraseStatsJson(const store::EraseStats& stats) {
  return model::Json{{"traces", stats.traces}, {"observations", stats.observations}, {"scores", stats.scores}};
}

// Erases, records `action` on `target` with the counts, and answers; `not_found` (non-empty) is
// the 404 message when nothing was erased.
void EraseAndRespond(store::Store& store, AuditLog& audit, const RequestContext& context,
                     const store::EraseRequest& request, std::string_view action, std::string_view target,
                     std::string_view not_found, const Responder& respond) {
  absl::StatusOr<store::EraseStats> stats = store.Erase(request);
  if (!stats.ok()) return respond(ErrorResponse(stats.status()));
  if (!not_found.empty() && stats->traces == 0 && stats->scores == 0) {
    return respond(ErrorResponse(absl::NotFoundError(std::string(not_found))));
  }
  model::Json counts = EraseStatsJson(*stats);
  respond(RecordedOr(audit, RequestEvent(context, action, target, counts),
                     JsonResponse(http::status::ok, model::Json{{"erased", counts}})));
}

}  // namespace

Handler EraseTraceHandler(store::Store& store, AuditLog& audit) {
  return [&store, &audit](RequestContext context, Responder respond) {
    if (!context.query.empty()) {
      return respond(ErrorResponse(absl::InvalidArgumentError(absl::StrCat("unknown parameter '", context.query[0].first, "'"))));
    }
    const std::string& id = context.path_params.at(0);
    EraseAndRespond(store, audit, context, store::EraseRequest{.project = context.project, .trace_id = id},
                    audit_action::kTraceDelete, id, absl::StrCat("trace \"", id, "\" not found"), respond);
  };
}

Handler EraseSessionHandler(store::Store& store, AuditLog& audit) {
  return [&store, &audit](RequestContext context, Responder respond) {
    if (!context.query.empty()) {
      return respond(ErrorResponse(absl::InvalidArgumentError(absl::StrCat("unknown parameter '", context.query[0].first, "'"))));
    }
    const std::string& id = context.path_params.at(0);
    EraseAndRespond(store, audit, context, store::EraseRequest{.project = context.project, .session_id = id},
                    audit_action::kSessionDelete, id, absl::StrCat("session \"", id, "\" not found"), respond);
  };
}

Handler EraseHandler(store::Store& store, AuditLog& audit) {
  return [&store, &audit](RequestContext context, Responder respond) {
    absl::StatusOr<model::Json> body = ObjectBody(context, {"trace_id", "session_id", "user_id"});
    if (!body.ok()) return respond(ErrorResponse(body.status()));
    store::EraseRequest request{.project = context.project,
                                .trace_id = StringMember(*body, "trace_id"),
                                .session_id = StringMember(*body, "session_id"),
                                .user_id = StringMember(*body, "user_id")};
    const std::string_view action = !request.user_id.empty()      ? audit_action::kUserDataDelete
                                    : !request.session_id.empty() ? audit_action::kSessionDelete
                                                                  : audit_action::kTraceDelete;
    const std::string target = request.user_id + request.session_id + request.trace_id;  // at most one is set
    EraseAndRespond(store, audit, context, request, action, target, "", respond);
  };
}

}  // namespace trackly::server
