#include "store/clickhouse/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace trackly::store::clickhouse {
namespace {

// What a fake server does after answering the first request on a connection.
enum class After {
  kCloseConnection,   // as ClickHouse does when a keep-alive connection has been idle too long
  kNeverAnswerAgain,  // as a server still busy with a slow insert
};

// Not thread-safe (owned by one test). A loopback HTTP server on port 0 that answers the first
// request of each connection with 200 "Ok." (keep-alive) and then does what `after` says, counting
// every request it receives (by their header terminators; the bodies sent here contain none).
class FakeServer {
 public:
  explicit FakeServer(After after) : after_(after) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(addr);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listen_fd_, 8), 0);
    EXPECT_EQ(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &size), 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~FakeServer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }

  uint16_t port() const { return port_; }
  int requests() const { return requests_; }

 private:
  struct Client {
    int fd = -1;
    std::string received;
    int answered = 0;
  };

  void Run() {
    std::vector<Client> clients;
    while (!stop_) {
      std::vector<pollfd> fds = {{.fd = listen_fd_, .events = POLLIN, .revents = 0}};
      for (const Client& c : clients) fds.push_back({.fd = c.fd, .events = POLLIN, .revents = 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;  // 20 ms: to notice stop_
      if (fds[0].revents & POLLIN) clients.push_back(Client{.fd = ::accept(listen_fd_, nullptr, nullptr)});
      for (size_t i = 1; i < fds.size(); ++i) {
        Client& c = clients[i - 1];
        if (c.fd < 0 || (fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
        char buffer[4096];
        const ssize_t n = ::read(c.fd, buffer, sizeof(buffer));
        if (n <= 0) {
          ::close(c.fd);
          c.fd = -1;
          continue;
        }
        c.received.append(buffer, static_cast<size_t>(n));
        for (size_t end; (end = c.received.find("\r\n\r\n")) != std::string::npos;) {
          c.received.erase(0, end + 4);
          ++requests_;
          if (c.answered++ > 0) continue;  // kNeverAnswerAgain: silence
          const std::string response =
              "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nOk.";
          EXPECT_EQ(::write(c.fd, response.data(), response.size()), static_cast<ssize_t>(response.size()));
          if (after_ == After::kCloseConnection) {
            ::close(c.fd);
            c.fd = -1;
            break;
          }
        }
      }
    }
    for (const Client& c : clients) {
      if (c.fd >= 0) ::close(c.fd);
    }
  }

  const After after_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// A request that fails on a pooled connection is sent again on a fresh one only when the
// connection had been closed; one that timed out may still be running on the server (an insert
// into a SummingMergeTree would count twice), so it is not.
TEST(HttpClientTest, ResendsOnlyWhenThePooledConnectionWasClosedNotAfterATimeout) {
  struct Case {
    After after;
    bool second_ok;
    int requests;  // seen by the server in all
  };
  for (const Case& c : {Case{After::kCloseConnection, true, 2}, Case{After::kNeverAnswerAgain, false, 2}}) {
    FakeServer server(c.after);
    HttpClient client(HttpClientOptions{.host = "127.0.0.1", .port = server.port(), .timeout_ms = 300});
    absl::StatusOr<std::string> first = client.Query("SELECT 1");
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_EQ(*first, "Ok.");
    absl::StatusOr<std::string> second = client.Query("SELECT 2");
    EXPECT_EQ(second.ok(), c.second_ok) << second.status();
    if (!c.second_ok) {
      EXPECT_TRUE(absl::IsUnavailable(second.status())) << second.status();
    }
    EXPECT_EQ(server.requests(), c.requests) << static_cast<int>(c.after);
  }
}

}  // namespace
}  // namespace trackly::store::clickhouse
