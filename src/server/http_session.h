// One HTTP/1.1 connection: reads requests with limits and timeouts, hands each to the request
// handler, writes the response, keeps the connection alive when the client wants it.
//
// Timeouts (beast::tcp_stream expiry): a keep-alive connection waiting for its next request is
// closed after idle_timeout; once a request's first bytes arrive, the whole request must arrive
// within read_timeout (slow clients); each response must be sent within write_timeout. While a
// handler works (e.g. waits for the store) no timer runs and no thread is held.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "server/http_message.h"

namespace trackly::server {

class ConnectionTracker;

struct ConnectionLimits {
  int64_t max_body_bytes = int64_t{64} << 20;  // larger Content-Length or body → 413
  int max_header_bytes = 16 << 10;             // larger request line + headers → 431
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
};

// Answers one request from `client` (the peer's IP address) via the Responder (see
// http_message.h). Must not block for long: it runs on an I/O thread.
using RequestHandler = std::function<void(
    HttpRequest request, const boost::asio::ip::address& client, Responder respond)>;

// Thread-safe through its strand: the socket's executor is a strand, every handler of the
// connection runs on it, and the public methods post to it. Owned by shared_ptrs held by its
// pending operations (and by a pending Responder), so it lives exactly as long as it has work.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // `handler` and `tracker` must outlive the session.
  HttpSession(boost::asio::ip::tcp::socket socket, const ConnectionLimits& limits,
              const RequestHandler& handler, ConnectionTracker& tracker);
  ~HttpSession();

  // Starts reading requests.
  void Start();
  // Closes the connection now if it is waiting for a request, else once the request in progress
  // has been answered (with "Connection: close").
  void Shutdown();

 private:
  enum class State { kIdle, kBusy };

  void WaitForRequest();
  void OnFirstBytes(boost::beast::error_code error, size_t bytes);
  void ReadHeader();
  void OnHeader(boost::beast::error_code error, size_t bytes);
  void ReadBody();
  void OnBody(boost::beast::error_code error, size_t bytes);
  void OnReadError(boost::beast::error_code error);
  void RespondAndClose(const absl::Status& status);
  void Write(HttpResponse response);
  void OnWrite(boost::beast::error_code error, size_t bytes);
  void LingeringClose();
  void Discard();
  void Close();

  boost::beast::tcp_stream stream_;
  const ConnectionLimits& limits_;
  const RequestHandler& handler_;
  ConnectionTracker& tracker_;
  boost::asio::ip::address client_;  // the peer's address (unspecified if it could not be read)
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> interim_;  // "100 Continue"
  std::optional<HttpResponse> response_;                     // being written
  std::array<char, 4096> discard_;                           // lingering close
  int64_t discarded_bytes_ = 0;
  State state_ = State::kBusy;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool shutting_down_ = false;
};

}  // namespace trackly::server
