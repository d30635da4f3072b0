#include "store/clickhouse/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/span_body.hpp>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"

namespace trackly::store::clickhouse {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// Percent-encodes everything but RFC 3986 unreserved characters, for URL query values.
std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string Target(std::string_view insert_sql, const QuerySettings& settings) {
  // Without wait_end_of_query ClickHouse streams a result and can only report a late error by
  // appending it to a 200 body; buffered, the error gets its own status code.
  std::string target = "/?wait_end_of_query=1";
  if (!insert_sql.empty()) absl::StrAppend(&target, "&query=", UrlEncode(insert_sql));
  for (const auto& [name, value] : settings) absl::StrAppend(&target, "&", UrlEncode(name), "=", UrlEncode(value));
  return target;
}

}  // namespace

// The socket and the io_context that drives it. Beast's timeouts only apply to asynchronous
// operations, so each step starts one and runs the context until it completes.
struct HttpClient::Connection {
  boost::asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;

  void Run() {
    io.restart();
    io.run();
  }
};

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {}

HttpClient::~HttpClient() = default;

absl::Status HttpClient::Ping() {
  TRACKLY_ASSIGN_OR_RETURN(std::string answer, Send("/ping", nullptr));
  if (absl::StripAsciiWhitespace(answer) != "Ok.") {
    return absl::UnavailableError(absl::StrCat("ClickHouse at ", options_.host, ":", options_.port,
                                               " answered /ping with \"", answer, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> HttpClient::Query(std::string_view sql, const QuerySettings& settings) {
  return Send(Target("", settings), &sql);
}

absl::StatusOr<std::string> HttpClient::Insert(std::string_view insert_sql, std::string_view data,
                                               const QuerySettings& settings) {
  return Send(Target(insert_sql, settings), &data);
}

std::unique_ptr<HttpClient::Connection> HttpClient::TakeIdle() {
  absl::MutexLock lock(&mu_);
  if (idle_.empty()) return nullptr;
  std::unique_ptr<Connection> connection = std::move(idle_.back());
  idle_.pop_back();
  return connection;
}

void HttpClient::ReturnIdle(std::unique_ptr<Connection> connection) {
  absl::MutexLock lock(&mu_);
  if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(connection));
}

absl::StatusOr<std::string> HttpClient::Send(const std::string& target, const std::string_view* body) {
  std::unique_ptr<Connection> connection = TakeIdle();
  const bool reused = connection != nullptr;
  if (!reused) connection = std::make_unique<Connection>();
  bool timed_out = false;
  absl::StatusOr<std::string> response = SendOn(*connection, target, body, &timed_out);
  if (!response.ok() && reused && absl::IsUnavailable(response.status()) && !timed_out) {
    // The server may have closed the idle keep-alive connection; try once on a fresh one. Not
    // after a timeout: the server may still be running the request, and an insert into a
    // SummingMergeTree (workflow.h) sent twice would count twice.
    connection = std::make_unique<Connection>();
    response = SendOn(*connection, target, body, &timed_out);
  }
  if (connection->stream.socket().is_open()) ReturnIdle(std::move(connection));
  return response;
}

absl::StatusOr<std::string> HttpClient::SendOn(Connection& c, const std::string& target,
                                               const std::string_view* body, bool* timed_out) {
  const auto timeout = std::chrono::milliseconds(options_.timeout_ms);
  const std::string where = absl::StrCat("ClickHouse at ", options_.host, ":", options_.port);
  beast::error_code error;
  if (!c.stream.socket().is_open()) {
    tcp::resolver resolver(c.io);
    tcp::resolver::results_type endpoints = resolver.resolve(options_.host, absl::StrCat(options_.port), error);
    if (error) return absl::UnavailableError(absl::StrCat(where, ": cannot resolve host: ", error.message()));
    c.stream.expires_after(timeout);
    c.stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { error = e; });
    c.Run();
    if (error) return absl::UnavailableError(absl::StrCat(where, ": cannot connect: ", error.message()));
    c.buffer.clear();
  }
  // The body is sent from the caller's buffer: an insert's rows are tens of megabytes, and a copy
  // of them was a visible part of the writer's time and of the node's peak memory.
  http::request<http::span_body<const char>> request{body != nullptr ? http::verb::post : http::verb::get, target,
                                                     11};
  request.set(http::field::host, options_.host);
  request.set(http::field::connection, "keep-alive");
  request.set("X-ClickHouse-User", options_.user);
  if (!options_.password.empty()) request.set("X-ClickHouse-Key", options_.password);
  if (body != nullptr) request.body() = beast::span<const char>(body->data(), body->size());
  request.prepare_payload();

  c.stream.expires_after(timeout);
  http::async_write(c.stream, request, [&](beast::error_code e, size_t) { error = e; });
  c.Run();
  if (error) {
    *timed_out = error == beast::error::timeout;
    c.stream.socket().close();
    return absl::UnavailableError(absl::StrCat(where, ": sending the request failed: ", error.message()));
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);  // a result is as large as the query asked for
  http::async_read(c.stream, c.buffer, parser, [&](beast::error_code e, size_t) { error = e; });
  c.Run();
  if (error) {
    *timed_out = error == beast::error::timeout;
    c.stream.socket().close();
    return absl::UnavailableError(absl::StrCat(where, ": reading the response failed: ", error.message()));
  }
  http::response<http::string_body> response = parser.release();
  if (!response.keep_alive()) c.stream.socket().close();
  const unsigned code = response.result_int();
  if (code == 200) return std::move(response.body());
  std::string text(absl::StripAsciiWhitespace(response.body()));
  std::string message = absl::StrCat("ClickHouse HTTP ", code, ": ", text);
  if (code == 503) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

}  // namespace trackly::store::clickhouse
