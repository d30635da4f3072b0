// Test-only: a clickhouse-server of the test binary's own, on loopback. It gets a generated
// config.xml and users.xml, a fresh temporary data directory and free HTTP and native ports
// (found by binding port 0; if the server then cannot bind one, it is started again on new
// ports). Start() returns once GET /ping answers; the destructor stops the server by its process
// id (SIGTERM, then SIGKILL after a grace period) and removes the directory.
//
// One server serves a whole test binary (TestServerEnvironment, a gtest Environment); tests
// isolate themselves with a database each (NewDatabaseName()).
//
// TestCluster is the same for a two-server ClickHouse cluster with a ZooKeeper of its own, for
// tests of replicated tables, Distributed tables and DDL ON CLUSTER (TestClusterEnvironment).
// Every process started here gets SIGTERM when the test binary dies without stopping it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "store/clickhouse/http_client.h"

namespace trackly::store::clickhouse {

// Where Debian's clickhouse-server package installs the server (scripts/install-deps.sh).
inline constexpr char kClickHouseServerBinary[] = "/usr/sbin/clickhouse-server";
// Where Debian's zookeeper package installs ZooKeeper, and the java that runs it.
inline constexpr char kZooKeeperJar[] = "/usr/share/java/zookeeper.jar";
inline constexpr char kJavaBinary[] = "/usr/bin/java";

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
  friend class TestCluster;

  TestServer(std::string dir, pid_t pid, uint16_t http_port, uint16_t tcp_port)
      : dir_(std::move(dir)), pid_(pid), http_port_(http_port), tcp_port_(tcp_port) {}

  // Starts a clickhouse-server in `dir` (created if missing; removed by the destructor) on the
  // given ports, with `extra_config` (XML elements) added inside config.xml's <yandex>. Does not
  // wait for it to come up (WaitUntilUp). Internal when it cannot be started at all.
  static absl::StatusOr<std::unique_ptr<TestServer>> Launch(const std::string& dir, uint16_t http_port,
                                                            uint16_t tcp_port, const std::string& extra_config);
  // OK once GET /ping answers; Internal (with LogTail()) when the server exits or has not answered
  // within a minute. An exited server is reaped here, so the destructor leaves its pid alone.
  absl::Status WaitUntilUp();
  // OK once the server's distributed DDL worker has its ZooKeeper session: on 18.16 a DDL ON
  // CLUSTER that arrives before it crashes the server (a null session in
  // zkutil::ZooKeeper::createImpl, seen in 2 of 3 cluster starts that sent one at once). Seen
  // from outside as the worker's queue path in ZooKeeper, then a short pause.
  absl::Status WaitForDdlWorker();
  // The end of the server's error log (stack frames dropped) and of its stdout/stderr, for error
  // messages.
  std::string LogTail() const;

  std::string dir_;
  pid_t pid_;  // 0 once reaped
  uint16_t http_port_;
  uint16_t tcp_port_;
};

// The shape of a TestCluster: `shards` shards of `replicas` replicas, a server per replica.
struct TestClusterShape {
  int shards = 2;
  int replicas = 1;
};

// Test-only: a ClickHouse cluster named kName of clickhouse-servers on loopback, of a
// TestClusterShape (internal_replication true; server i is replica r<i % replicas + 1> of shard
// <i / replicas + 1>, zero-padded to two digits, in its macros; distributed DDL at
// /clickhouse/task_queue/ddl), with a ZooKeeper of its own (Debian's zookeeper package, run with
// java). So a replicated table's ZooKeeper path can name '{shard}' and its replica '{replica}',
// and `Distributed(trackly, db, table, key)` spreads rows over the shards. All ports are free
// loopback ports, chosen together (each server's config names the others' native ports); if a
// process cannot bind one, the whole cluster is started again on new ports.
//
// Start() returns once ZooKeeper serves, every server answers /ping and a DDL statement ON
// CLUSTER has completed on all. The destructor stops the servers and then ZooKeeper by their
// process ids and removes the directory. Not thread-safe; owns the processes.
class TestCluster {
 public:
  static constexpr char kName[] = "trackly";

  // FailedPrecondition when clickhouse-server, java or zookeeper is not installed; Internal (with
  // the ends of the logs) when the cluster does not come up or DDL ON CLUSTER fails.
  static absl::StatusOr<std::unique_ptr<TestCluster>> Start(TestClusterShape shape = {});
  // OK when what Start needs is installed, else Start's FailedPrecondition; for tests to skip
  // before the cluster starts.
  static absl::Status CheckInstalled();
  ~TestCluster();

  // The number of servers (shards × replicas).
  int size() const { return static_cast<int>(servers_.size()); }
  // How to reach server `server` (0 <= server < size(); user "default", no password).
  HttpClientOptions client_options(int server) const;
  // Drops `database` on every server (DROP DATABASE … ON CLUSTER).
  absl::Status DropDatabase(const std::string& database) const;

 private:
  explicit TestCluster(std::string dir) : dir_(std::move(dir)) {}

  std::string dir_;
  pid_t zookeeper_pid_ = 0;  // 0 when not started or already reaped
  std::vector<std::unique_ptr<TestServer>> servers_;
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

// A gtest Environment owning the binary's one TestCluster, registered like TestServerEnvironment:
//   ::testing::AddGlobalTestEnvironment(new TestClusterEnvironment);
// It starts the cluster in SetUp, so a binary that registers it pays for the start (seconds) even
// when no cluster test is selected.
class TestClusterEnvironment : public ::testing::Environment {
 public:
  explicit TestClusterEnvironment(TestClusterShape shape = {}) : shape_(shape) {}
  void SetUp() override;
  void TearDown() override;

  // The running cluster, or the reason there is none (FailedPrecondition: something is not
  // installed, so tests skip; anything else: it failed to start, so tests fail).
  static absl::StatusOr<const TestCluster*> Cluster();

 private:
  const TestClusterShape shape_;
};

// A database name not used before by this process: "test_<n>".
std::string NewDatabaseName();

// The first UInt64 of the answer of `sql` (a SELECT without FORMAT) in `database` on `server`. A
// failed query or an answer without one fails the test (and gives 0).
uint64_t CountIn(const HttpClientOptions& server, const std::string& database, const std::string& sql);

}  // namespace trackly::store::clickhouse
