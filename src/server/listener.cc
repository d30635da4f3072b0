#include "server/listener.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status.h"

namespace trackly::server {
namespace {

namespace net = boost::asio;
using net::ip::tcp;

// Pause before accepting again after an accept error such as "too many open files", so the
// loop does not spin while the condition lasts.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

}  // namespace

Listener::Listener(net::io_context& io_context, const ConnectionLimits& limits,
                   const RequestHandler& handler, ConnectionTracker& tracker)
    : io_context_(io_context),
      strand_(net::make_strand(io_context)),
      acceptor_(strand_),
      retry_timer_(strand_),
      limits_(limits),
      handler_(handler),
      tracker_(tracker) {}

absl::StatusOr<std::shared_ptr<Listener>> Listener::Open(net::io_context& io_context,
                                                         const tcp::endpoint& endpoint,
                                                         const ConnectionLimits& limits,
                                                         const RequestHandler& handler,
                                                         ConnectionTracker& tracker) {
  std::shared_ptr<Listener> listener(new Listener(io_context, limits, handler, tracker));
  boost::system::error_code error;
  tcp::acceptor& acceptor = listener->acceptor_;
  auto fail = [&](std::string_view what) {
    return absl::UnavailableError(absl::StrCat("cannot ", Sv(what), " ", endpoint.address().to_string(),
                                               ":", endpoint.port(), ": ", error.message()));
  };
  if (acceptor.open(endpoint.protocol(), error)) return fail("open a socket for");
  if (acceptor.set_option(net::socket_base::reuse_address(true), error)) {
    return fail("set SO_REUSEADDR on");
  }
  if (acceptor.bind(endpoint, error)) return fail("bind");
  if (acceptor.listen(net::socket_base::max_listen_connections, error)) return fail("listen on");
  listener->local_endpoint_ = acceptor.local_endpoint(error);
  if (error) return fail("read the address of");
  return listener;
}

void Listener::Start() {
  net::dispatch(strand_, [self = shared_from_this()] { self->Accept(); });
}

void Listener::Stop() {
  net::post(strand_, [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_timer_.cancel();
  });
}

void Listener::Accept() {
  // Each connection gets its own strand, so its handlers never run concurrently.
  acceptor_.async_accept(net::make_strand(io_context_),
                         [self = shared_from_this()](boost::system::error_code error,
                                                     tcp::socket socket) {
                           self->OnAccept(error, std::move(socket));
                         });
}

void Listener::OnAccept(boost::system::error_code error, tcp::socket socket) {
  if (!acceptor_.is_open()) return;  // stopped
  if (error) {
    LogWarn("accept failed: ", error.message());
    retry_timer_.expires_after(kAcceptRetryDelay);
    retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code error) {
      if (!error) self->Accept();
    });
    return;
  }
  auto session = std::make_shared<HttpSession>(std::move(socket), limits_, handler_, tracker_);
  if (tracker_.Add(session)) {
    session->Start();
  } else {
    LogDebug("connection refused: connection limit reached or shutting down");
  }
  Accept();
}

}  // namespace trackly::server
