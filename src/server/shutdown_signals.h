// Waiting for the signals that ask the server to stop (SIGINT, SIGTERM).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

namespace trackly::server {

// Not thread-safe. Catches SIGINT and SIGTERM from construction on (so a signal that arrives
// before Wait() is not lost) until destruction.
class ShutdownSignals {
 public:
  ShutdownSignals();
  // Blocks until one of the signals arrives; returns its number.
  int Wait();

 private:
  boost::asio::io_context io_context_;
  boost::asio::signal_set signals_;
};

}  // namespace trackly::server
