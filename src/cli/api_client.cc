#include "cli/api_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"

namespace trackly::cli {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// Beast's timeouts apply to asynchronous operations only, so each step starts one and runs the
// context until it completes.
struct ApiClient::Connection {
  boost::asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;

  void Run() {
    io.restart();
    io.run();
  }
};

absl::StatusOr<std::unique_ptr<ApiClient>> ApiClient::Create(ApiClientOptions options) {
  // The URL rules of the OTLP exporter's endpoint; its path is the base path + "/v1/traces".
  TRACKLY_ASSIGN_OR_RETURN(HttpEndpoint endpoint, ParseOtlpEndpoint(options.url));
  constexpr std::string_view kOtlpSuffix = "/v1/traces";
  if (absl::EndsWith(endpoint.path, Sv(kOtlpSuffix))) endpoint.path.resize(endpoint.path.size() - kOtlpSuffix.size());
  return std::unique_ptr<ApiClient>(new ApiClient(std::move(options), std::move(endpoint)));
}

ApiClient::ApiClient(ApiClientOptions options, HttpEndpoint endpoint)
    : options_(std::move(options)), endpoint_(std::move(endpoint)) {}

ApiClient::~ApiClient() = default;

absl::StatusOr<ApiResponse> ApiClient::Get(std::string_view target, absl::Duration timeout) {
  const bool reused = connection_ != nullptr;
  absl::StatusOr<ApiResponse> response = GetOnce(target, timeout);
  if (!response.ok() && reused && absl::IsUnavailable(response.status())) {
    // The server may have closed an idle keep-alive connection; try once on a fresh one.
    response = GetOnce(target, timeout);
  }
  return response;
}

absl::StatusOr<ApiResponse> ApiClient::GetOnce(std::string_view target, absl::Duration timeout) {
  const std::string where = absl::StrCat("http://", endpoint_.host, ":", endpoint_.port);
  beast::error_code ec;
  if (connection_ == nullptr) {
    auto connection = std::make_unique<Connection>();
    tcp::resolver resolver(connection->io);
    tcp::resolver::results_type addresses = resolver.resolve(endpoint_.host, endpoint_.port, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("cannot resolve ", endpoint_.host, ": ", ec.message()));
    connection->stream.expires_after(absl::ToChronoMilliseconds(options_.connect_timeout));
    connection->stream.async_connect(addresses, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    connection->Run();
    if (ec) return absl::UnavailableError(absl::StrCat("cannot connect to ", where, ": ", ec.message()));
    connection_ = std::move(connection);
  }
  const std::string path = absl::StrCat(endpoint_.path, Sv(target));
  http::request<http::empty_body> request{http::verb::get, path, 11};
  request.set(http::field::host, absl::StrCat(endpoint_.host, ":", endpoint_.port));
  request.set(http::field::user_agent, "trackly-cli");
  if (!options_.api_key.empty()) request.set(http::field::authorization, absl::StrCat("Bearer ", options_.api_key));
  request.keep_alive(true);

  Connection& c = *connection_;
  c.stream.expires_after(absl::ToChronoMilliseconds(timeout));
  http::async_write(c.stream, request, [&](beast::error_code e, size_t) { ec = e; });
  c.Run();
  if (!ec) {
    http::response<http::string_body> response;
    http::async_read(c.stream, c.buffer, response, [&](beast::error_code e, size_t) { ec = e; });
    c.Run();
    if (!ec) {
      if (!response.keep_alive()) connection_.reset();
      return ApiResponse{.http_status = static_cast<int>(response.result_int()), .body = std::move(response.body())};
    }
  }
  connection_.reset();
  return absl::UnavailableError(absl::StrCat("no answer from ", where, path, ": ", ec.message()));
}

}  // namespace trackly::cli
