// Accepts TCP connections and starts an HttpSession on each, on its own strand.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <memory>

#include "absl/status/statusor.h"
#include "server/connection_tracker.h"
#include "server/http_session.h"

namespace trackly::server {

// Thread-safe through its strand. Lives as long as its pending accept (shared_ptr).
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens on `endpoint` (port 0 picks a free one). Unavailable with the OS reason
  // when the address cannot be bound. `limits`, `handler` and `tracker` must outlive it.
  static absl::StatusOr<std::shared_ptr<Listener>> Open(
      boost::asio::io_context& io_context, const boost::asio::ip::tcp::endpoint& endpoint,
      const ConnectionLimits& limits, const RequestHandler& handler, ConnectionTracker& tracker);

  // The bound address (with the real port).
  boost::asio::ip::tcp::endpoint local_endpoint() const { return local_endpoint_; }

  // Starts accepting connections.
  void Start();
  // Stops accepting (the listening socket is closed); open connections are not touched.
  void Stop();

 private:
  Listener(boost::asio::io_context& io_context, const ConnectionLimits& limits,
           const RequestHandler& handler, ConnectionTracker& tracker);
  void Accept();
  void OnAccept(boost::system::error_code error, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_context_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::ip::tcp::endpoint local_endpoint_;
  const ConnectionLimits& limits_;
  const RequestHandler& handler_;
  ConnectionTracker& tracker_;
};

}  // namespace trackly::server
