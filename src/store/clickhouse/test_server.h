// Test-only: a clickhouse-server of the test binary's own, on loopback. It gets a generated
// config.xml and users.xml, a fresh temporary data directory and free HTTP and native ports
// (found by binding port 0; if the server then cannot bind one, it is started again on new
// ports). Start() returns once GET /ping answers; the destructor stops the server by its process
// id (SIGTERM, then SIGKILL after a grace period) and removes the directory.
//
// One server serves a whole test binary (TestServerEnvironment, a gtest Environment); tests
// isolate themselves with a database each (NewDatabaseName()).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "store/clickhouse/http_client.h"

namespace trackly::store::clickhouse {

// Where Debian's clickhouse-server package installs the server (scripts/install-deps.sh).
inline constexpr char kClickHouseServerBinary[] = "/usr/sbin/clickhouse-server";

// Not thread-safe; owns the server process.
class TestServer {
 public:
  // FailedPrecondition when the binary is missing; Internal (with the end of the server's error
  // log) when it does not come up.
  static absl::StatusOr<std::unique_ptr<TestServer>> Start();
  ~TestServer();

  // How to reach it (user "default", no password).
  HttpClientOptions client_options() const;

 private:
  TestServer(std::string dir, pid_t pid, uint16_t http_port) : dir_(std::move(dir)), pid_(pid), http_port_(http_port) {}

  std::string dir_;
  pid_t pid_;
  uint16_t http_port_;
};

// A gtest Environment owning the binary's one TestServer. Register it from the test file:
//   ::testing::AddGlobalTestEnvironment(new TestServerEnvironment);
// (gtest_main has no other hook).
class TestServerEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

  // The running server, or the reason there is none (FailedPrecondition: binary missing, so
  // tests skip; anything else: it failed to start, so tests fail).
  static absl::StatusOr<const TestServer*> Server();
};

// A database name not used before by this process: "test_<n>".
std::string NewDatabaseName();

}  // namespace trackly::store::clickhouse
