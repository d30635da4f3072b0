// One keep-alive HTTP/1.1 connection (plain http://) used for blocking exchanges, shared by the
// CLI's clients of a running server: the OTLP exporter of `trackly demo` and the API client of
// `trackly tail`.
#pragma once

#include <boost/beast/http.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace trackly::cli {

// Not thread-safe.
class KeepAliveHttpConnection {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  // `host` and `port` as in the URL; nothing connects until the first Exchange.
  KeepAliveHttpConnection(std::string host, std::string port);
  ~KeepAliveHttpConnection();

  // Sends `request` and reads its response, connecting first when there is no open connection
  // (resolve and connect within `connect_timeout`; the write and then the read each within
  // `timeout`). A failure on a reused connection is tried once more on a fresh one: the server
  // may have closed it while idle, before reading anything. Unavailable naming the host (and
  // `request`'s target) when it cannot be reached or does not answer. A response without
  // keep-alive, or a failure, closes the connection.
  absl::StatusOr<Response> Exchange(const Request& request, absl::Duration connect_timeout, absl::Duration timeout);

 private:
  struct Connection;
  absl::StatusOr<Response> ExchangeOnce(const Request& request, absl::Duration connect_timeout,
                                        absl::Duration timeout);

  const std::string host_;
  const std::string port_;
  std::unique_ptr<Connection> connection_;  // null until the first exchange, and after a failure
};

}  // namespace trackly::cli
