#include "store/clickhouse/test_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "base/status.h"
#include "store/clickhouse/row_binary.h"

namespace trackly::store::clickhouse {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr auto kZooKeeperStartTimeout = std::chrono::seconds(30);
constexpr auto kStopGrace = std::chrono::seconds(20);
constexpr auto kPollInterval = std::chrono::milliseconds(20);
constexpr auto kZooKeeperPollInterval = std::chrono::milliseconds(100);
constexpr int kStartAttempts = 5;
// DDL ON CLUSTER waits for every host; the server gives up (naming the missing hosts) before the
// client does.
constexpr int kClusterDdlTimeoutMs = 60000;
// Dropping a test's database ON CLUSTER removes its replicas' ZooKeeper nodes too.
constexpr int kClusterDropTimeoutMs = 120'000;
constexpr char kClusterDdlTaskTimeoutSeconds[] = "50";

// `n` different ports nobody listens on right now: bound together (so they differ), read back,
// released.
absl::StatusOr<std::vector<uint16_t>> FreePorts(int n) {
  std::vector<int> fds;
  std::vector<uint16_t> ports;
  bool ok = true;
  for (int i = 0; i < n && ok; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
      ok = false;
      break;
    }
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t size = sizeof(addr);
    ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
         ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) == 0;
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) ::close(fd);
  if (!ok) return absl::InternalError("cannot bind a loopback port");
  return ports;
}

std::string ReadTail(const std::filesystem::path& path, size_t max_bytes) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > max_bytes ? all.substr(all.size() - max_bytes) : all;
}

// The end of a clickhouse-server error log without its stack frames ("12. /usr/sbin/...(...)+0x57"),
// which would otherwise fill the tail and push out the messages.
std::string ErrorLogTail(const std::filesystem::path& path, size_t max_bytes) {
  std::string messages;
  for (absl::string_view line : absl::StrSplit(ReadTail(path, std::string::npos), '\n', absl::SkipEmpty())) {
    size_t digits = 0;
    while (digits < line.size() && absl::ascii_isdigit(line[digits])) ++digits;
    if (digits > 0 && absl::StartsWith(line.substr(digits), ". ")) continue;
    absl::StrAppend(&messages, line, "\n");
  }
  return messages.size() > max_bytes ? messages.substr(messages.size() - max_bytes) : messages;
}

void WriteFile(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

// A directory path under the temporary directory not used before by this process:
// "trackly-<kind>-<pid>-<n>".
std::filesystem::path NewTempDir(const std::string& kind) {
  static std::atomic<int> counter{0};
  return std::filesystem::temp_directory_path() / absl::StrCat("trackly-", kind, "-", ::getpid(), "-", counter++);
}

// Settings kept small: tests hold little data, and the machine is shared. EXTRA_CONFIG is where
// TestServer::Launch puts its caller's elements.
constexpr char kConfig[] = R"(<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>DIR/server.log</log><errorlog>DIR/server.err.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>HTTP_PORT</http_port>
  <tcp_port>TCP_PORT</tcp_port>
  <path>DIR/data/</path>
  <tmp_path>DIR/data/tmp/</tmp_path>
  <user_files_path>DIR/data/user_files/</user_files_path>
  <format_schema_path>DIR/data/format_schemas/</format_schema_path>
  <users_config>DIR/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mlock_executable>false</mlock_executable>
EXTRA_CONFIG</yandex>
)";

constexpr char kUsers[] = R"(<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default></default></quotas>
</yandex>
)";

// A standalone ZooKeeper with a short tick (sessions expire in seconds) that answers "srvr".
constexpr char kZooConfig[] = R"(tickTime=500
dataDir=DIR/data
clientPort=PORT
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=srvr
)";

// Starts `args` (args[0] is the executable's path) with stdout and stderr going to `output`.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& args, const std::filesystem::path& output) {
  // Everything the child needs is made before fork: it may only make async-signal-safe calls.
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const std::string out = output.string();
  pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("cannot start ", args[0], ": fork failed"));
  if (pid == 0) {
    // The child gets SIGTERM when the test binary dies without tearing it down (a crash, an
    // abort), so no server outlives its test.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Sends SIGTERM, waits for the exit, and SIGKILLs after the grace period.
void Stop(pid_t pid) {
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + kStopGrace;
  while (::waitpid(pid, nullptr, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "[ clickhouse ] process %d ignored SIGTERM; killing it\n", static_cast<int>(pid));
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

// Whether a ZooKeeper on loopback `port` serves sessions: it answers "isro" with "rw" (within a
// second). Not "ruok": ZooKeeper answers "imok" as soon as it listens, a few hundred milliseconds
// before it accepts sessions, and a clickhouse-server 18.16 whose DDL worker connects in that
// window is left without a session and segfaults on the first DDL ON CLUSTER (seen here).
bool ZooKeeperServes(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  timeval timeout{.tv_sec = 1, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::send(fd, "srvr", 4, MSG_NOSIGNAL) == 4) {
    // Its statistics, with a "Mode:" line once it serves ("… not currently serving requests"
    // before), then the server closes the connection. "ruok" and "isro" answer "imok" and "rw"
    // earlier, while a client's session can still fail (clickhouse-server 18.16 then crashes on
    // its first DDL).
    char buffer[512];
    ssize_t n;
    while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) answer.append(buffer, n);
  }
  ::close(fd);
  return absl::StrContains(answer, "Mode:");
}

// Starts a standalone ZooKeeper in `dir` on loopback `port` and waits until it serves. Sets
// `*pid` as soon as it is started (0 again once reaped), so the caller stops it in every case.
absl::Status StartZooKeeper(const std::filesystem::path& dir, uint16_t port, pid_t* pid) {
  std::filesystem::create_directories(dir / "data");
  WriteFile(dir / "zoo.cfg", absl::StrReplaceAll(kZooConfig, {{"DIR", dir.string()}, {"PORT", absl::StrCat(port)}}));
  const std::filesystem::path out = dir / "zookeeper.out";
  absl::StatusOr<pid_t> started =
      Spawn({kJavaBinary, "-Xmx128m", "-cp", kZooKeeperJar, absl::StrCat("-Dzookeeper.log.dir=", dir.string()),
             "org.apache.zookeeper.server.quorum.QuorumPeerMain", (dir / "zoo.cfg").string()},
            out);
  if (!started.ok()) return started.status();
  *pid = *started;
  const auto deadline = std::chrono::steady_clock::now() + kZooKeeperStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ZooKeeperServes(port)) return absl::OkStatus();
    if (::waitpid(*pid, nullptr, WNOHANG) == *pid) {
      *pid = 0;
      // Its logger is slf4j's no-op one, so a failure to bind leaves nothing but the exit.
      return absl::InternalError(absl::StrCat("zookeeper on port ", port, " exited; its output ends with:\n",
                                              ReadTail(out, 1000)));
    }
    std::this_thread::sleep_for(kZooKeeperPollInterval);
  }
  return absl::InternalError(absl::StrCat("zookeeper on port ", port, " did not start serving in time; ",
                                          "its output ends with:\n", ReadTail(out, 1000)));
}

// config.xml elements that make server `server` (0-based) of the cluster of `shape` whose
// servers have native ports `tcp_ports`: replica server % replicas of shard server / replicas.
std::string ClusterConfig(const TestClusterShape& shape, int server, const std::vector<uint16_t>& tcp_ports,
                          uint16_t interserver_port, uint16_t zookeeper_port) {
  std::string shards;
  for (int shard = 0; shard < shape.shards; ++shard) {
    absl::StrAppend(&shards, "    <shard><internal_replication>true</internal_replication>");
    for (int replica = 0; replica < shape.replicas; ++replica) {
      absl::StrAppend(&shards, "<replica><host>127.0.0.1</host><port>", tcp_ports[shard * shape.replicas + replica],
                      "</port></replica>");
    }
    absl::StrAppend(&shards, "</shard>\n");
  }
  const std::string name = TestCluster::kName;
  return absl::StrCat(
      "  <interserver_http_port>", interserver_port, "</interserver_http_port>\n",
      "  <interserver_http_host>127.0.0.1</interserver_http_host>\n",
      "  <remote_servers><", name, ">\n", shards, "  </", name, "></remote_servers>\n",
      "  <zookeeper><node><host>127.0.0.1</host><port>", zookeeper_port, "</port></node></zookeeper>\n",
      "  <macros><shard>", absl::Dec(server / shape.replicas + 1, absl::kZeroPad2), "</shard><replica>r",
      server % shape.replicas + 1, "</replica></macros>\n",
      "  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>\n");
}

std::unique_ptr<TestServer>& EnvironmentServer() {
  static auto* server = new std::unique_ptr<TestServer>;
  return *server;
}

absl::Status& EnvironmentStatus() {
  static auto* status = new absl::Status(absl::FailedPreconditionError("TestServerEnvironment is not registered"));
  return *status;
}

std::unique_ptr<TestCluster>& EnvironmentCluster() {
  static auto* cluster = new std::unique_ptr<TestCluster>;
  return *cluster;
}

absl::Status& EnvironmentClusterStatus() {
  static auto* status = new absl::Status(absl::FailedPreconditionError("TestClusterEnvironment is not registered"));
  return *status;
}

absl::Status NotInstalled(const std::string& what) {
  return absl::FailedPreconditionError(absl::StrCat(what, " is not installed (scripts/install-deps.sh installs it)"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestServer>> TestServer::Start() {
  if (::access(kClickHouseServerBinary, X_OK) != 0) return NotInstalled(kClickHouseServerBinary);
  const std::filesystem::path dir = NewTempDir("clickhouse");
  absl::Status last_error;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    absl::StatusOr<std::vector<uint16_t>> ports = FreePorts(2);
    if (!ports.ok()) return ports.status();
    std::filesystem::remove_all(dir);
    absl::StatusOr<std::unique_ptr<TestServer>> server = Launch(dir.string(), (*ports)[0], (*ports)[1], "");
    if (!server.ok()) return server.status();
    last_error = (*server)->WaitUntilUp();
    if (last_error.ok()) return server;
    // Said at once, so a slow or retried start shows in the test log.
    std::fprintf(stderr, "[ clickhouse ] start attempt %d failed: %s\n", attempt + 1,
                 std::string(last_error.message()).c_str());
    // The destructor stops it (if still running) and removes the directory; then new ports.
  }
  return last_error;
}

absl::StatusOr<std::unique_ptr<TestServer>> TestServer::Launch(const std::string& dir, uint16_t http_port,
                                                               uint16_t tcp_port, const std::string& extra_config) {
  const std::filesystem::path path(dir);
  std::filesystem::create_directories(path / "data");
  WriteFile(path / "config.xml", absl::StrReplaceAll(kConfig, {{"DIR", dir},
                                                               {"HTTP_PORT", absl::StrCat(http_port)},
                                                               {"TCP_PORT", absl::StrCat(tcp_port)},
                                                               {"EXTRA_CONFIG", extra_config}}));
  WriteFile(path / "users.xml", kUsers);
  absl::StatusOr<pid_t> pid = Spawn(
      {kClickHouseServerBinary, absl::StrCat("--config-file=", (path / "config.xml").string())}, path / "stdout.log");
  if (!pid.ok()) return pid.status();
  return std::unique_ptr<TestServer>(new TestServer(dir, *pid, http_port, tcp_port));
}

absl::Status TestServer::WaitUntilUp() {
  HttpClientOptions options = client_options();
  options.timeout_ms = 1000;
  HttpClient client(options);
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  bool exited = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (client.Ping().ok()) return absl::OkStatus();
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      exited = true;
      pid_ = 0;
      break;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return absl::InternalError(absl::StrCat("clickhouse-server on ports ", http_port_, "/", tcp_port_,
                                          exited ? " exited" : " did not answer /ping in time", "; ", LogTail()));
}

std::string TestServer::LogTail() const {
  const std::filesystem::path dir(dir_);
  return absl::StrCat("its error log (without stack frames) ends with:\n", ErrorLogTail(dir / "server.err.log", 2000),
                      ReadTail(dir / "stdout.log", 1000));
}

TestServer::~TestServer() {
  if (pid_ > 0) Stop(pid_);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

HttpClientOptions TestServer::client_options() const {
  return HttpClientOptions{.host = "127.0.0.1", .port = http_port_, .user = "default", .password = ""};
}

absl::Status TestCluster::CheckInstalled() {
  if (::access(kClickHouseServerBinary, X_OK) != 0) return NotInstalled(kClickHouseServerBinary);
  if (::access(kJavaBinary, X_OK) != 0) return NotInstalled(kJavaBinary);
  if (::access(kZooKeeperJar, R_OK) != 0) return NotInstalled("zookeeper");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<TestCluster>> TestCluster::Start(TestClusterShape shape) {
  TRACKLY_RETURN_IF_ERROR(CheckInstalled());
  const std::filesystem::path dir = NewTempDir("clickhouse-cluster");
  absl::Status last_error;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    // Every port is chosen before any config is written: each server's config names the other's
    // native port. Per server: HTTP, native, interserver; then ZooKeeper's.
    const int servers = shape.shards * shape.replicas;
    absl::StatusOr<std::vector<uint16_t>> ports = FreePorts(3 * servers + 1);
    if (!ports.ok()) return ports.status();
    std::vector<uint16_t> tcp_ports;
    for (int i = 0; i < servers; ++i) tcp_ports.push_back((*ports)[3 * i + 1]);
    const uint16_t zookeeper_port = ports->back();

    std::filesystem::remove_all(dir);
    // On any failure below, its destructor stops whatever started and removes the directory.
    std::unique_ptr<TestCluster> cluster(new TestCluster(dir.string()));
    last_error = StartZooKeeper(dir / "zookeeper", zookeeper_port, &cluster->zookeeper_pid_);
    // The servers are started only once ZooKeeper serves: they connect to it as they start.
    for (int i = 0; i < servers && last_error.ok(); ++i) {
      absl::StatusOr<std::unique_ptr<TestServer>> server =
          TestServer::Launch((dir / absl::StrCat("server", i)).string(), (*ports)[3 * i], (*ports)[3 * i + 1],
                             ClusterConfig(shape, i, tcp_ports, (*ports)[3 * i + 2], zookeeper_port));
      if (!server.ok()) return server.status();
      cluster->servers_.push_back(*std::move(server));
    }
    // Both start at once; then each is waited for.
    for (std::unique_ptr<TestServer>& server : cluster->servers_) {
      if (last_error.ok()) last_error = server->WaitUntilUp();
    }
    for (std::unique_ptr<TestServer>& server : cluster->servers_) {
      if (last_error.ok()) last_error = server->WaitForDdlWorker();
    }
    if (last_error.ok()) {
      // Up is not yet working: DDL ON CLUSTER goes through ZooKeeper to both servers' DDL workers.
      HttpClientOptions options = cluster->client_options(0);
      options.timeout_ms = kClusterDdlTimeoutMs;
      HttpClient client(options);
      const QuerySettings settings = {{"distributed_ddl_task_timeout", kClusterDdlTaskTimeoutSeconds}};
      absl::Status checked =
          client.Query(absl::StrCat("CREATE DATABASE IF NOT EXISTS cluster_check ON CLUSTER ", kName), settings)
              .status();
      if (checked.ok()) {
        checked = client.Query(absl::StrCat("DROP DATABASE IF EXISTS cluster_check ON CLUSTER ", kName), settings)
                      .status();
      }
      if (checked.ok()) return cluster;
      // Every process is up, so not a port clash: seen when a server's first ZooKeeper session
      // failed although ZooKeeper answered as serving (18.16 then crashes on its first DDL).
      // Started again like a clash.
      std::string message = absl::StrCat("DDL ON CLUSTER ", kName, " failed: ", checked.message());
      for (int i = 0; i < servers; ++i) {
        absl::StrAppend(&message, "\nserver ", i, ": ", cluster->servers_[i]->LogTail());
      }
      last_error = absl::InternalError(message);
    }
    // Said at once, so a slow or retried start shows in the test log.
    std::fprintf(stderr, "[ clickhouse ] cluster start attempt %d failed: %s\n", attempt + 1,
                 std::string(last_error.message()).c_str());
  }
  return last_error;
}

absl::Status TestServer::WaitForDdlWorker() {
  HttpClientOptions options = client_options();
  options.timeout_ms = 5000;
  HttpClient client(options);
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<std::string> found = client.Query(
        "SELECT count() FROM system.zookeeper WHERE path = '/clickhouse/task_queue' AND name = 'ddl'");
    if (found.ok() && absl::StripAsciiWhitespace(*found) == "1") {
      // The worker may still be a moment from using its session (see test_server.h).
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return absl::InternalError(absl::StrCat("clickhouse-server on port ", http_port_,
                                          " did not set up distributed DDL in time; ", LogTail()));
}

TestCluster::~TestCluster() {
  // The servers first: stopped while ZooKeeper is still there, they close their sessions cleanly.
  servers_.clear();
  if (zookeeper_pid_ > 0) Stop(zookeeper_pid_);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

HttpClientOptions TestCluster::client_options(int server) const { return servers_[server]->client_options(); }

absl::Status TestCluster::DropDatabase(const std::string& database) const {
  HttpClientOptions options = client_options(0);
  options.timeout_ms = kClusterDropTimeoutMs;
  HttpClient client(options);
  return client.Query(absl::StrCat("DROP DATABASE IF EXISTS ", database, " ON CLUSTER ", kName)).status();
}

void TestServerEnvironment::SetUp() {
  absl::StatusOr<std::unique_ptr<TestServer>> server = TestServer::Start();
  if (server.ok()) {
    EnvironmentServer() = *std::move(server);
    EnvironmentStatus() = absl::OkStatus();
  } else {
    EnvironmentStatus() = server.status();
  }
}

void TestServerEnvironment::TearDown() {
  EnvironmentServer().reset();
  EnvironmentStatus() = absl::FailedPreconditionError("the test server was stopped");
}

absl::StatusOr<const TestServer*> TestServerEnvironment::Server() {
  if (!EnvironmentStatus().ok()) return EnvironmentStatus();
  return EnvironmentServer().get();
}

void TestClusterEnvironment::SetUp() {
  absl::StatusOr<std::unique_ptr<TestCluster>> cluster = TestCluster::Start(shape_);
  if (cluster.ok()) {
    EnvironmentCluster() = *std::move(cluster);
    EnvironmentClusterStatus() = absl::OkStatus();
  } else {
    EnvironmentClusterStatus() = cluster.status();
  }
}

void TestClusterEnvironment::TearDown() {
  EnvironmentCluster().reset();
  EnvironmentClusterStatus() = absl::FailedPreconditionError("the test cluster was stopped");
}

absl::StatusOr<const TestCluster*> TestClusterEnvironment::Cluster() {
  if (!EnvironmentClusterStatus().ok()) return EnvironmentClusterStatus();
  return EnvironmentCluster().get();
}

std::string NewDatabaseName() {
  static std::atomic<int> counter{0};
  return absl::StrCat("test_", counter++);
}

uint64_t CountIn(const HttpClientOptions& server, const std::string& database, const std::string& sql) {
  HttpClient client(server);
  absl::StatusOr<std::string> rows = client.Query(absl::StrCat(sql, " FORMAT RowBinary"), {{"database", database}});
  EXPECT_TRUE(rows.ok()) << rows.status();
  RowBinaryReader in(rows.ok() ? std::string_view(*rows) : std::string_view(), sql);
  const uint64_t n = in.UInt64();
  EXPECT_TRUE(in.status().ok()) << in.status() << "\n" << sql;
  return n;
}

}  // namespace trackly::store::clickhouse
