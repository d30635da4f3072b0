#include "server/shutdown_signals.h"

#include <csignal>

namespace trackly::server {

ShutdownSignals::ShutdownSignals() : io_context_(1), signals_(io_context_, SIGINT, SIGTERM) {}

int ShutdownSignals::Wait() {
  int received = 0;
  signals_.async_wait([&received](const boost::system::error_code& error, int signal) {
    if (!error) received = signal;
  });
  io_context_.run();
  io_context_.restart();
  return received;
}

}  // namespace trackly::server
