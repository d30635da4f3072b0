#include "server/http_server.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "base/log.h"

namespace trackly::server {
namespace {

namespace net = boost::asio;

}  // namespace

HttpServer::HttpServer(const HttpServerOptions& options, RequestHandler handler)
    : limits_(options.limits),
      handler_(std::move(handler)),
      tracker_(options.max_connections) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              RequestHandler handler) {
  boost::system::error_code error;
  net::ip::address address = options.host == "localhost"
                                 ? net::ip::address(net::ip::address_v4::loopback())
                                 : net::ip::make_address(options.host, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen host '", options.host, "' is not an IP address"));
  }
  std::unique_ptr<HttpServer> server(new HttpServer(options, std::move(handler)));
  absl::StatusOr<std::shared_ptr<Listener>> listener =
      Listener::Open(server->io_context_, net::ip::tcp::endpoint(address, options.port),
                     server->limits_, server->handler_, server->tracker_);
  if (!listener.ok()) return listener.status();
  server->listener_ = *std::move(listener);
  server->endpoint_ = server->listener_->local_endpoint();
  server->listener_->Start();
  server->StartThreads(options.io_threads);
  return server;
}

void HttpServer::StartThreads(int count) {
  absl::MutexLock lock(&threads_mu_);
  for (int i = 0; i < count; ++i) {
    threads_.emplace_back([io_context = &io_context_] {
      // A handler that throws is a bug; log it and keep serving rather than take the process
      // down with every connection on it.
      for (;;) {
        try {
          io_context->run();
          return;
        } catch (const std::exception& e) {
          LogError("uncaught exception on an I/O thread: ", e.what());
        }
      }
    });
  }
}

HttpServer::~HttpServer() {
  BeginShutdown();
  Wait();
}

void HttpServer::BeginShutdown() {
  if (listener_ != nullptr) listener_->Stop();
  tracker_.ShutdownAll();
}

void HttpServer::Wait() {
  // run() returns in every thread once no accept, connection or answer is pending.
  absl::MutexLock lock(&threads_mu_);
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

}  // namespace trackly::server
