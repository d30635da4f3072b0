// A small blocking client of a running server's HTTP API, for commands that follow a server
// rather than read a data directory (`trackly tail`). Plain http:// only (no TLS), one keep-alive
// connection.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/keep_alive_http.h"
#include "cli/otlp_http_exporter.h"

namespace trackly::cli {

struct ApiClientOptions {
  std::string url = "http://127.0.0.1:4318";  // the server's base URL ("http://HOST[:PORT][/BASE]")
  std::string api_key;                          // sent as "Authorization: Bearer <key>"
  absl::Duration connect_timeout = absl::Seconds(10);
};

// What the server answered.
struct ApiResponse {
  int http_status = 0;
  std::string body;
};

// Not thread-safe.
class ApiClient {
 public:
  // InvalidArgument naming the problem for a bad url.
  static absl::StatusOr<std::unique_ptr<ApiClient>> Create(ApiClientOptions options);
  ~ApiClient();

  // GETs `target` (a path with its query string, after the url's base path) and returns the
  // answer whatever its HTTP status; Unavailable when the server cannot be reached or the answer
  // has not arrived within `timeout`. A failure on a reused keep-alive connection is retried once
  // on a fresh one (a GET changes nothing).
  absl::StatusOr<ApiResponse> Get(std::string_view target, absl::Duration timeout);

 private:
  ApiClient(ApiClientOptions options, HttpEndpoint endpoint);

  ApiClientOptions options_;
  HttpEndpoint endpoint_;  // path: the base path
  KeepAliveHttpConnection connection_;
};

}  // namespace trackly::cli
