// Test-only: a blocking HTTP/1.1 client over one keep-alive connection (Boost.Beast), for the
// server's in-process tests.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "server/http_message.h"

namespace trackly::server {

// Not thread-safe.
class HttpTestClient {
 public:
  explicit HttpTestClient(const boost::asio::ip::tcp::endpoint& endpoint) : socket_(io_context_) {
    boost::system::error_code error;
    socket_.connect(endpoint, error);
    EXPECT_FALSE(error) << error.message();
  }

  // Sends `request` (Content-Length set from the body unless already set) and reads the
  // response; nullopt (and a test failure) on a transport error.
  std::optional<HttpResponse> Send(HttpRequest request) {
    request.version(11);
    if (request.find(http::field::host) == request.end()) request.set(http::field::host, "test");
    if (request.find(http::field::content_length) == request.end() &&
        request.find(http::field::transfer_encoding) == request.end()) {
      request.prepare_payload();
    }
    boost::system::error_code error;
    http::write(socket_, request, error);
    if (error && error != boost::asio::error::broken_pipe &&
        error != boost::asio::error::connection_reset) {
      ADD_FAILURE() << "write: " << error.message();
      return std::nullopt;
    }
    return Read();
  }

  // Reads one response; nullopt (and a test failure) on a transport error.
  std::optional<HttpResponse> Read() {
    HttpResponse response;
    boost::system::error_code error;
    http::read(socket_, buffer_, response, error);
    if (error) {
      ADD_FAILURE() << "read: " << error.message();
      return std::nullopt;
    }
    return response;
  }

  // Sends raw bytes (for malformed or partial requests).
  void SendRaw(std::string_view bytes) {
    boost::system::error_code error;
    boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size()), error);
    EXPECT_FALSE(error) << error.message();
  }

  // Closes the connection from this side.
  void Close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  // Blocks until the server closes the connection; true if it did so without sending anything.
  bool WaitForClose() {
    char byte;
    boost::system::error_code error;
    size_t n = socket_.read_some(boost::asio::buffer(&byte, 1), error);
    return n == 0 && (error == boost::asio::error::eof ||
                      error == boost::asio::error::connection_reset);
  }

 private:
  boost::asio::io_context io_context_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

// A request with the given method, target, headers and body.
inline HttpRequest MakeRequest(http::verb method, std::string_view target,
                               std::vector<std::pair<std::string, std::string>> headers = {},
                               std::string body = "") {
  HttpRequest request{method, boost::beast::string_view(target.data(), target.size()), 11};
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = std::move(body);
  return request;
}

}  // namespace trackly::server
