// Retention benchmark on the embedded store (docs/security.md "Retention"): seeds a fresh store
// with N spans spread evenly over D days, then times Store::Expire of the payloads of the older
// half of the days (their partitions dropped, their traces' trace-level text cleared), a repeat
// of it (the idle case a periodic pass hits), and the summary expiry of the oldest quarter
// (traces removed as an erasure removes them); with the store's size on disk around each.
//
//   build/bench/expiry_bench --dir /tmp/trackly-expiry-bench --spans 1000000 --days 10
// The directory is emptied first: expiry changes the data, so a seeded store is not reused.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include <CLI/CLI.hpp>

#include "absl/strings/str_format.h"
#include "bench/seeded_store.h"

namespace trackly::bench {
namespace {

constexpr int kSpansPerTrace = 100;
constexpr int64_t kDayNs = int64_t{86'400} * 1'000'000'000;
constexpr int64_t kBaseNs = (1'790'000'000'000'000'000 / kDayNs) * kDayNs;  // a midnight in late 2026

// Bytes of every file in `dir` (store.db, its WAL, the catalog).
int64_t DirBytes(const std::string& dir) {
  int64_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) total += static_cast<int64_t>(entry.file_size());
  }
  return total;
}

double MiB(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

int Main(int argc, char** argv) {
  std::string dir;
  int64_t spans = 1'000'000;
  int days = 10;
  CLI::App app{"trackly retention (expiry) benchmark"};
  app.add_option("--dir", dir, "store directory (emptied first)")->required();
  app.add_option("--spans", spans, "spans to seed (100 per trace)")->capture_default_str();
  app.add_option("--days", days, "days the traces are spread over (>= 4)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (days < 4) {
    std::fprintf(stderr, "--days must be at least 4\n");
    return 2;
  }
  const int64_t traces = spans / kSpansPerTrace;
  const int64_t spacing_ns = days * kDayNs / traces;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  // One 100-span trace; trace i starts i * spacing after kBaseNs. 300-byte inputs and outputs
  // on every span, and the root carries the trace's input and output.
  auto make_trace = [spacing_ns](int64_t i, std::mt19937_64& rng) {
    store::WriteBatch batch;
    batch.project = "bench";
    const std::string trace_id = absl::StrFormat("%032x", i + 1);
    const int64_t start = kBaseNs + i * spacing_ns;
    const std::string text(300, 'x');
    for (int s = 0; s < kSpansPerTrace; ++s) {
      model::Observation o;
      o.trace_id = trace_id;
      o.id = absl::StrFormat("%016x", s + 1);
      o.parent_id = s == 0 ? "" : absl::StrFormat("%016x", 1);
      o.start_time_ns = start + s * 1'000'000;
      o.end_time_ns = o.start_time_ns + 900'000;
      o.input = text;
      o.output = text;
      if (s == 0) {
        o.name = "research_agent";
        o.type = model::ObservationType::kAgent;
        o.trace_hints.trace_input = absl::StrFormat("question %d about topic %d", i, rng() % 1000);
        o.trace_hints.trace_output = "answer";
      } else {
        o.name = "chat gpt-4o";
        o.type = model::ObservationType::kGeneration;
        o.model = "gpt-4o";
        o.usage.input_tokens = 500 + static_cast<int64_t>(rng() % 2000);
        o.usage.output_tokens = 100;
        o.usage.total_tokens = o.usage.input_tokens + 100;
      }
      batch.observations.push_back(std::move(o));
    }
    return batch;
  };
  std::unique_ptr<store::SqliteStore> opened = OpenSeededStore(
      dir, {}, {.traces = traces, .spans_per_trace = kSpansPerTrace, .in_flight = 64}, make_trace);
  if (opened == nullptr) return 1;
  store::SqliteStore& store = *opened;
  const int64_t first_day = store::DayOf(kBaseNs);
  std::printf("spans=%lld days=%d store_mib=%.1f\n", static_cast<long long>(spans), days, MiB(DirBytes(dir)));

  auto timed = [&](const char* label, const store::ExpireRequest& request) {
    const auto begin = std::chrono::steady_clock::now();
    absl::StatusOr<store::ExpireStats> stats = store.Expire(request);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
    if (!stats.ok()) {
      std::printf("%s failed: %s\n", label, stats.status().ToString().c_str());
      return false;
    }
    std::printf("%s_ms=%.0f partitions_dropped=%lld traces_cleared=%lld traces_removed=%lld store_mib=%.1f\n", label,
                ms, static_cast<long long>(stats->partitions_dropped), static_cast<long long>(stats->traces_cleared),
                static_cast<long long>(stats->traces_removed), MiB(DirBytes(dir)));
    return true;
  };
  const store::ExpireRequest payloads{.project = "bench", .payload_before_day = first_day + days / 2};
  if (!timed("expire_payloads_half", payloads)) return 1;
  if (!timed("expire_payloads_again", payloads)) return 1;
  if (!timed("expire_summaries_quarter",
             {.project = "bench", .payload_before_day = first_day + days / 2, .summary_before_day = first_day + days / 4})) {
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace trackly::bench

int main(int argc, char** argv) { return trackly::bench::Main(argc, argv); }
