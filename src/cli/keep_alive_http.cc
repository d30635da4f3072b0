#include "cli/keep_alive_http.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status.h"

namespace trackly::cli {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// Beast's timeouts apply to asynchronous operations only, so each step starts one and runs the
// context until it completes.
struct KeepAliveHttpConnection::Connection {
  boost::asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;

  void Run() {
    io.restart();
    io.run();
  }
};

KeepAliveHttpConnection::KeepAliveHttpConnection(std::string host, std::string port)
    : host_(std::move(host)), port_(std::move(port)) {}

KeepAliveHttpConnection::~KeepAliveHttpConnection() = default;

absl::StatusOr<KeepAliveHttpConnection::Response> KeepAliveHttpConnection::Exchange(const Request& request,
                                                                                    absl::Duration connect_timeout,
                                                                                    absl::Duration timeout) {
  const bool reused = connection_ != nullptr;
  absl::StatusOr<Response> response = ExchangeOnce(request, connect_timeout, timeout);
  if (!response.ok() && reused && absl::IsUnavailable(response.status())) {
    response = ExchangeOnce(request, connect_timeout, timeout);
  }
  return response;
}

absl::StatusOr<KeepAliveHttpConnection::Response> KeepAliveHttpConnection::ExchangeOnce(
    const Request& request, absl::Duration connect_timeout, absl::Duration timeout) {
  const std::string where = absl::StrCat("http://", host_, ":", port_);
  beast::error_code ec;
  if (connection_ == nullptr) {
    auto connection = std::make_unique<Connection>();
    tcp::resolver resolver(connection->io);
    tcp::resolver::results_type addresses = resolver.resolve(host_, port_, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("cannot resolve ", host_, ": ", ec.message()));
    connection->stream.expires_after(absl::ToChronoMilliseconds(connect_timeout));
    connection->stream.async_connect(addresses, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    connection->Run();
    if (ec) return absl::UnavailableError(absl::StrCat("cannot connect to ", where, ": ", ec.message()));
    connection_ = std::move(connection);
  }
  Connection& c = *connection_;
  c.stream.expires_after(absl::ToChronoMilliseconds(timeout));
  http::async_write(c.stream, request, [&](beast::error_code e, size_t) { ec = e; });
  c.Run();
  if (!ec) {
    Response response;
    c.stream.expires_after(absl::ToChronoMilliseconds(timeout));
    http::async_read(c.stream, c.buffer, response, [&](beast::error_code e, size_t) { ec = e; });
    c.Run();
    if (!ec) {
      if (!response.keep_alive()) connection_.reset();
      return response;
    }
  }
  connection_.reset();
  return absl::UnavailableError(
      absl::StrCat("no answer from ", where, std::string(request.target()), ": ", ec.message()));
}

}  // namespace trackly::cli
