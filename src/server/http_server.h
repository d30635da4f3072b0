// The HTTP transport: an io_context run by N threads, a Listener and the open connections.
// Knows nothing about endpoints; every request goes to one RequestHandler.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/connection_tracker.h"
#include "server/http_session.h"
#include "server/listener.h"

namespace trackly::server {

struct HttpServerOptions {
  std::string host = "127.0.0.1";  // IP literal or "localhost"
  uint16_t port = 0;               // 0 = any free port
  int io_threads = 2;
  int max_connections = 4096;
  ConnectionLimits limits;
};

// Thread-safe.
class HttpServer {
 public:
  // Binds, then serves with options.io_threads threads. Unavailable when the address cannot be
  // bound. `handler` is called on the I/O threads; it must outlive the server.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           RequestHandler handler);
  // BeginShutdown() and Wait().
  ~HttpServer();

  // The bound address (the real port when 0 was asked for).
  boost::asio::ip::tcp::endpoint endpoint() const { return endpoint_; }

  // Stops accepting and closes idle connections; requests in flight are answered (with
  // "Connection: close") before their connections close. Returns at once; idempotent.
  void BeginShutdown();
  // Blocks until every connection is closed and the I/O threads have exited.
  void Wait();

 private:
  HttpServer(const HttpServerOptions& options, RequestHandler handler);
  void StartThreads(int count);

  // Declared before io_context_: handlers it still holds at destruction may reference them.
  const ConnectionLimits limits_;
  const RequestHandler handler_;
  ConnectionTracker tracker_;
  boost::asio::io_context io_context_;
  std::shared_ptr<Listener> listener_;
  boost::asio::ip::tcp::endpoint endpoint_;
  absl::Mutex threads_mu_;  // Wait() may be called from several threads
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(threads_mu_);
};

}  // namespace trackly::server
