#include "server/admin_handlers.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/time_format.h"
#include "server/api_key.h"
#include "server/http_status.h"
#include "server/secret.h"
#include "server/ui_login.h"

namespace trackly::server {
namespace {

constexpr uint32_t kDefaultKeyScopes = store::kScopeIngest | store::kScopeRead;

// The body as a JSON object whose members are all in `allowed`; InvalidArgument naming the first
// problem. An empty body is an empty object.
absl::StatusOr<model::Json> ObjectBody(const RequestContext& context, std::initializer_list<std::string_view> allowed) {
  const std::string& body = context.request.body();
  if (body.empty()) return model::Json::object();
  model::Json json = model::Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return absl::InvalidArgumentError("body: must be a JSON object");
  for (const auto& [key, value] : json.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": unknown field"));
    }
    if (!value.is_string()) return absl::InvalidArgumentError(absl::StrCat(key, ": must be a string"));
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

}  // namespace

Handler UiLoginHandler(store::Catalog& catalog, const Clock& clock) {
  return [&catalog, &clock](RequestContext context, Responder respond) {
    absl::StatusOr<model::Json> body = ObjectBody(context, {"token"});
    if (!body.ok()) return respond(ErrorResponse(body.status()));
    std::string token = StringMember(*body, "token");
    if (token.empty()) return respond(ErrorResponse(absl::InvalidArgumentError("token: required")));
    absl::StatusOr<UiSessionGrant> grant = ExchangeLoginToken(catalog, token, clock.NowNanos());
    if (!grant.ok()) return respond(ErrorResponse(grant.status()));
    HttpResponse response =
        JsonResponse(http::status::ok, model::Json{{"project", grant->project}, {"csrf_token", grant->csrf_token}});
    response.set(http::field::set_cookie, SessionSetCookie(grant->session_secret, kUiSessionTtlNs / 1'000'000'000));
    respond(std::move(response));
  };
}

Handler UiSessionHandler() {
  return [](RequestContext context, Responder respond) {
    model::Json body{{"project", context.project}, {"auth", context.csrf_token.empty() ? "key" : "session"}};
    if (!context.csrf_token.empty()) body["csrf_token"] = context.csrf_token;
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

Handler CreateKeyHandler(store::Catalog& catalog, const Clock& clock) {
  return [&catalog, &clock](RequestContext context, Responder respond) {
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
    respond(JsonResponse(http::status::created, json));
  };
}

Handler RevokeKeyHandler(store::Catalog& catalog, const Clock& clock) {
  return [&catalog, &clock](RequestContext context, Responder respond) {
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
    respond(after.ok() ? JsonResponse(http::status::ok, KeyJson(*after)) : ErrorResponse(after.status()));
  };
}

}  // namespace trackly::server
