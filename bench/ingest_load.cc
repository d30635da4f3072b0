// Ingest load generator: N keep-alive connections POST batches of realistic agent spans (OTLP
// protobuf or JSON, or the Langfuse or LangSmith batch APIs; bench/agent_batch.h) to a running trackly, for a fixed time, at full speed or at a target rate; prints throughput, request
// latency percentiles (measured from each request's scheduled send time, so a slow server cannot
// hide its queueing), ingest-to-visible latency, and the server's peak RSS and CPU per span when
// given its pid.
//
//   build/bench/ingest_load --url http://127.0.0.1:4318 --key KEY --format protobuf|json|langfuse|langsmith
//       --connections 8 --spans-per-batch 100 --duration-s 10 [--rate 50000] [--server-pid PID]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "bench/agent_batch.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

namespace trackly::bench {
namespace {

struct Options {
  std::string host = "127.0.0.1";
  std::string port = "4318";
  std::string key;
  WireFormat format = WireFormat::kProtobuf;
  int connections = 8;
  int spans_per_batch = 100;
  double duration_s = 10;
  double rate_spans_per_s = 0;  // 0 = as fast as the server acknowledges
  int server_pid = 0;
};

struct Results {
  std::vector<double> latencies_ms;
  std::map<int, int64_t> status_counts;
  int64_t acked_spans = 0;
  int64_t transport_errors = 0;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t index = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  std::nth_element(v.begin(), v.begin() + static_cast<long>(index), v.end());
  return v[index];
}

// Reads a "VmHWM:  123 kB"-style field of /proc/PID/status, in MiB; 0 if unavailable.
double ProcStatusMiB(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;
  }
  return 0;
}

// CPU seconds (user + system, every thread) process `pid` has used so far; 0 if unavailable.
double ProcCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t name_end = stat.rfind(')');  // the command name may hold spaces
  if (name_end == std::string::npos) return 0;
  std::istringstream fields(stat.substr(name_end + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime (proc(5))
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// One keep-alive connection sending requests back to back (or on a schedule when rate-limited).
class Sender : public std::enable_shared_from_this<Sender> {
 public:
  Sender(asio::io_context& io, const Options& options, int index, Clock::time_point end, Results& results)
      : stream_(io), timer_(io), options_(options), batch_(options.format, options.spans_per_batch, 1000 + index),
        end_(end), results_(results) {
    if (options_.rate_spans_per_s > 0) {
      double requests_per_s = options_.rate_spans_per_s / options_.spans_per_batch / options_.connections;
      interval_ = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / requests_per_s));
    }
  }

  void Start(const asio::ip::tcp::resolver::results_type& endpoints) {
    stream_.async_connect(endpoints, [self = shared_from_this()](beast::error_code ec, auto) {
      if (ec) return self->Fail();
      self->next_send_ = Clock::now();
      self->Send();
    });
  }

 private:
  void Send() {
    Clock::time_point now = Clock::now();
    if (now >= end_) return;
    if (interval_.count() > 0 && next_send_ > now) {
      timer_.expires_at(next_send_);
      timer_.async_wait([self = shared_from_this()](beast::error_code) { self->SendNow(); });
      return;
    }
    SendNow();
  }

  void SendNow() {
    scheduled_ = interval_.count() > 0 ? next_send_ : Clock::now();
    next_send_ += interval_;
    std::string trace_id;
    request_ = {};
    request_.method(http::verb::post);
    request_.target(batch_.target());
    request_.version(11);
    request_.set(http::field::host, options_.host);
    request_.set(http::field::content_type, batch_.content_type());
    request_.set(http::field::authorization, "Bearer " + options_.key);
    request_.keep_alive(true);
    request_.body() = batch_.Next(&trace_id);
    request_.prepare_payload();
    http::async_write(stream_, request_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Fail();
      self->response_ = {};
      http::async_read(self->stream_, self->buffer_, self->response_,
                       [self](beast::error_code ec, size_t) { self->OnResponse(ec); });
    });
  }

  void OnResponse(beast::error_code ec) {
    if (ec) return Fail();
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - scheduled_).count();
    int status = response_.result_int();
    results_.latencies_ms.push_back(ms);
    ++results_.status_counts[status];
    if (status == batch_.accepted_status()) results_.acked_spans += batch_.spans();
    if (!response_.keep_alive()) return Fail();
    Send();
  }

  void Fail() { ++results_.transport_errors; }

  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  const Options& options_;
  AgentBatchTemplate batch_;
  Clock::time_point end_;
  Results& results_;
  Clock::duration interval_{0};
  Clock::time_point next_send_;
  Clock::time_point scheduled_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  beast::flat_buffer buffer_;
};

// Measures ingest-to-visible: POST one small trace, then GET it until the API returns it.
std::vector<double> ProbeVisibility(const Options& options, Clock::time_point end) {
  std::vector<double> samples;
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::error_code ec;
  stream.connect(resolver.resolve(options.host, options.port), ec);
  if (ec) return samples;
  AgentBatchTemplate probe(WireFormat::kJson, 3, 7);
  beast::flat_buffer buffer;
  auto round_trip = [&](http::verb verb, const std::string& target, std::string body) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, options.host);
    req.set(http::field::authorization, "Bearer " + options.key);
    if (verb == http::verb::post) req.set(http::field::content_type, probe.content_type());
    req.body() = std::move(body);
    req.prepare_payload();
    http::write(stream, req, ec);
    http::response<http::string_body> res;
    if (!ec) http::read(stream, buffer, res, ec);
    return ec ? 0 : res.result_int();
  };
  while (Clock::now() + std::chrono::milliseconds(300) < end) {
    std::string trace_id;
    Clock::time_point start = Clock::now();
    if (round_trip(http::verb::post, "/v1/traces", probe.Next(&trace_id)) != 200) break;
    int status = 0;
    for (int i = 0; i < 1000 && status != 200; ++i) status = round_trip(http::verb::get, "/api/v1/traces/" + trace_id, "");
    if (status != 200) break;
    samples.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // pacing between probes, not a wait for a condition
  }
  return samples;
}

int Main(int argc, char** argv) {
  Options options;
  std::string url = "http://127.0.0.1:4318";
  std::string format = "protobuf";
  CLI::App app{"trackly ingest load generator"};
  app.add_option("--url", url, "server base URL")->capture_default_str();
  app.add_option("--key", options.key, "API key with the ingest and read scopes")->required();
  app.add_option("--format", format, "protobuf, json, langfuse or langsmith")
      ->check(CLI::IsMember({"protobuf", "json", "langfuse", "langsmith"}))
      ->capture_default_str();
  app.add_option("--connections", options.connections, "keep-alive connections")->capture_default_str();
  app.add_option("--spans-per-batch", options.spans_per_batch, "spans per request")->capture_default_str();
  app.add_option("--duration-s", options.duration_s, "how long to send")->capture_default_str();
  app.add_option("--rate", options.rate_spans_per_s, "target spans/s over all connections (0 = max)")->capture_default_str();
  app.add_option("--server-pid", options.server_pid, "server pid, to report its RSS");
  CLI11_PARSE(app, argc, argv);
  options.format = format == "json"       ? WireFormat::kJson
                   : format == "langfuse" ? WireFormat::kLangfuse
                   : format == "langsmith" ? WireFormat::kLangsmith
                                           : WireFormat::kProtobuf;
  std::string hostport = url.substr(url.find("://") + 3);
  options.host = hostport.substr(0, hostport.find(':'));
  options.port = hostport.substr(hostport.find(':') + 1);

  asio::io_context io;
  Results results;
  const double server_cpu_before = options.server_pid != 0 ? ProcCpuSeconds(options.server_pid) : 0;
  Clock::time_point start = Clock::now();
  Clock::time_point end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.duration_s));
  auto endpoints = asio::ip::tcp::resolver(io).resolve(options.host, options.port);
  for (int i = 0; i < options.connections; ++i) {
    std::make_shared<Sender>(io, options, i, end, results)->Start(endpoints);
  }
  std::vector<double> visible_ms;
  std::thread prober([&] { visible_ms = ProbeVisibility(options, end); });
  double peak_rss = 0;
  std::thread sampler([&] {
    while (options.server_pid != 0 && Clock::now() < end) {
      peak_rss = std::max(peak_rss, ProcStatusMiB(options.server_pid, "VmRSS"));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // sampling period
    }
  });
  io.run();
  prober.join();
  sampler.join();
  double elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();

  std::printf("format=%s connections=%d spans_per_batch=%d target_rate=%.0f duration_s=%.1f\n", format.c_str(),
              options.connections, options.spans_per_batch, options.rate_spans_per_s, elapsed_s);
  std::printf("acked_spans=%lld spans_per_s=%.0f requests=%zu transport_errors=%lld\n",
              static_cast<long long>(results.acked_spans), results.acked_spans / elapsed_s,
              results.latencies_ms.size(), static_cast<long long>(results.transport_errors));
  for (const auto& [status, count] : results.status_counts) {
    std::printf("status_%d=%lld\n", status, static_cast<long long>(count));
  }
  std::printf("latency_ms p50=%.2f p90=%.2f p99=%.2f max=%.2f\n", Percentile(results.latencies_ms, 50),
              Percentile(results.latencies_ms, 90), Percentile(results.latencies_ms, 99),
              Percentile(results.latencies_ms, 100));
  std::printf("ingest_to_visible_ms p50=%.2f max=%.2f samples=%zu\n", Percentile(visible_ms, 50),
              Percentile(visible_ms, 100), visible_ms.size());
  if (options.server_pid != 0) {
    std::printf("server_rss_mib peak_sampled=%.1f vm_hwm=%.1f\n", peak_rss, ProcStatusMiB(options.server_pid, "VmHWM"));
    // Steadier than spans/s on a shared machine: the server's CPU per acknowledged span.
    const double cpu_s = ProcCpuSeconds(options.server_pid) - server_cpu_before;
    std::printf("server_cpu_us_per_span=%.1f server_cpu_s=%.2f\n",
                results.acked_spans > 0 ? cpu_s * 1e6 / static_cast<double>(results.acked_spans) : 0.0, cpu_s);
  }
  return results.acked_spans > 0 ? 0 : 1;
}

}  // namespace
}  // namespace trackly::bench

int main(int argc, char** argv) { return trackly::bench::Main(argc, argv); }
