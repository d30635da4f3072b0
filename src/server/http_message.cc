#include "server/http_message.h"

#include <boost/beast/http/field.hpp>

namespace trackly::server {

namespace {

std::string_view Std(boost::beast::string_view text) { return {text.data(), text.size()}; }

}  // namespace

std::string_view HeaderValue(const HttpRequest& request, http::field field) {
  auto it = request.find(field);
  return it == request.end() ? std::string_view() : Std(it->value());
}

std::string_view HeaderValue(const HttpRequest& request, std::string_view name) {
  auto it = request.find(boost::beast::string_view(name.data(), name.size()));
  return it == request.end() ? std::string_view() : Std(it->value());
}

HttpResponse BodyResponse(http::status status, std::string_view content_type, std::string body) {
  HttpResponse response{status, 11};
  response.set(http::field::content_type,
               boost::beast::string_view(content_type.data(), content_type.size()));
  response.body() = std::move(body);
  return response;
}

HttpResponse JsonResponse(http::status status, const model::Json& body) {
  return BodyResponse(status, "application/json", model::DumpJson(body));
}

void AddSecurityHeaders(HttpResponse& response) {
  // By name: Beast 1.74 has no enum value for most of these headers.
  auto set_if_absent = [&](const char* name, const char* value) {
    if (response.find(name) == response.end()) response.set(name, value);
  };
  set_if_absent("X-Content-Type-Options", "nosniff");
  set_if_absent("X-Frame-Options", "DENY");
  set_if_absent("Cache-Control", "no-store");
  set_if_absent("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  set_if_absent("Referrer-Policy", "no-referrer");
}

}  // namespace trackly::server
