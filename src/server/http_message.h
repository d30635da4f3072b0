// The HTTP message types handlers see, and how a handler answers.
#pragma once

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <string>
#include <string_view>

#include "model/json.h"

namespace trackly::server {

namespace http = boost::beast::http;

using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// Delivers a handler's response to the connection. Call it exactly once, from any thread; the
// connection writes the response on its own executor. The connection sets version and
// keep-alive, Content-Length and the security headers.
using Responder = std::function<void(HttpResponse)>;

// The value of a request header, empty when absent. Valid while `request` is unchanged.
std::string_view HeaderValue(const HttpRequest& request, http::field field);
std::string_view HeaderValue(const HttpRequest& request, std::string_view name);

// A response with `body` of type `content_type`.
HttpResponse BodyResponse(http::status status, std::string_view content_type, std::string body);

// A JSON response (application/json).
HttpResponse JsonResponse(http::status status, const model::Json& body);

// Headers every response carries: no MIME sniffing, no framing, no caching of API answers, no
// referrer, and a CSP that allows nothing (a UI handler may set its own CSP first; existing
// headers are kept). CORS headers are not set here: the request dispatcher adds them for the
// configured origins only (server/cors_policy.h), so by default cross-origin reads are refused.
void AddSecurityHeaders(HttpResponse& response);

}  // namespace trackly::server
