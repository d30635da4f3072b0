#include "store/clickhouse/test_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace trackly::store::clickhouse {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr auto kStopGrace = std::chrono::seconds(20);
constexpr auto kPollInterval = std::chrono::milliseconds(20);
constexpr int kStartAttempts = 5;

// A port nobody listens on right now: bound, read back, released.
absl::StatusOr<uint16_t> FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t size = sizeof(addr);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) == 0;
  ::close(fd);
  if (!ok) return absl::InternalError("cannot bind a loopback port");
  return ntohs(addr.sin_port);
}

std::string ReadTail(const std::filesystem::path& path, size_t max_bytes) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > max_bytes ? all.substr(all.size() - max_bytes) : all;
}

void WriteFile(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

// Settings kept small: tests hold little data, and the machine is shared.
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
</yandex>
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

// Sends SIGTERM, waits for the exit, and SIGKILLs after the grace period.
void Stop(pid_t pid) {
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + kStopGrace;
  while (::waitpid(pid, nullptr, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "[ clickhouse ] server %d ignored SIGTERM; killing it\n", static_cast<int>(pid));
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

std::unique_ptr<TestServer>& EnvironmentServer() {
  static auto* server = new std::unique_ptr<TestServer>;
  return *server;
}

absl::Status& EnvironmentStatus() {
  static auto* status = new absl::Status(absl::FailedPreconditionError("TestServerEnvironment is not registered"));
  return *status;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestServer>> TestServer::Start() {
  if (::access(kClickHouseServerBinary, X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(kClickHouseServerBinary,
                                                      " is not installed (scripts/install-deps.sh installs it)"));
  }
  static std::atomic<int> counter{0};
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("trackly-clickhouse-", ::getpid(), "-", counter++);
  absl::Status last_error;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "data");
    absl::StatusOr<uint16_t> http_port = FreePort();
    absl::StatusOr<uint16_t> tcp_port = FreePort();
    if (!http_port.ok()) return http_port.status();
    if (!tcp_port.ok()) return tcp_port.status();
    if (*http_port == *tcp_port) continue;
    WriteFile(dir / "config.xml", absl::StrReplaceAll(kConfig, {{"DIR", dir.string()},
                                                                {"HTTP_PORT", absl::StrCat(*http_port)},
                                                                {"TCP_PORT", absl::StrCat(*tcp_port)}}));
    WriteFile(dir / "users.xml", kUsers);
    const std::string config_arg = absl::StrCat("--config-file=", (dir / "config.xml").string());
    const std::string out = (dir / "stdout.log").string();
    char* argv[] = {const_cast<char*>(kClickHouseServerBinary), const_cast<char*>(config_arg.c_str()), nullptr};
    pid_t pid = ::fork();
    if (pid < 0) return absl::InternalError(absl::StrCat("cannot start ", kClickHouseServerBinary, ": fork failed"));
    if (pid == 0) {
      // The child: only async-signal-safe calls until exec. The server gets SIGTERM when the test
      // binary dies without tearing it down (a crash, an abort), so no server outlives its test.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
      }
      ::execv(kClickHouseServerBinary, argv);
      ::_exit(127);
    }

    std::unique_ptr<TestServer> server(new TestServer(dir.string(), pid, *http_port));
    HttpClientOptions options = server->client_options();
    options.timeout_ms = 1000;
    HttpClient client(options);
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    bool exited = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (client.Ping().ok()) return server;
      if (::waitpid(pid, nullptr, WNOHANG) == pid) {
        exited = true;
        break;
      }
      std::this_thread::sleep_for(kPollInterval);
    }
    last_error = absl::InternalError(
        absl::StrCat("clickhouse-server on ports ", *http_port, "/", *tcp_port,
                     exited ? " exited" : " did not answer /ping in time", "; its error log ends with:\n",
                     ReadTail(dir / "server.err.log", 2000), ReadTail(out, 1000)));
    // Said at once, so a slow or retried start shows in the test log.
    std::fprintf(stderr, "[ clickhouse ] start attempt %d failed: %s\n", attempt + 1,
                 std::string(last_error.message()).c_str());
    if (exited) {
      server->pid_ = 0;  // already reaped
    }
    // The destructor stops it (if still running) and removes the directory; then new ports.
  }
  return last_error;
}

TestServer::~TestServer() {
  if (pid_ > 0) Stop(pid_);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

HttpClientOptions TestServer::client_options() const {
  return HttpClientOptions{.host = "127.0.0.1", .port = http_port_, .user = "default", .password = ""};
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

std::string NewDatabaseName() {
  static std::atomic<int> counter{0};
  return absl::StrCat("test_", counter++);
}

}  // namespace trackly::store::clickhouse
