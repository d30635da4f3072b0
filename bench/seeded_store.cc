#include "bench/seeded_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/status.h"
#include "store/clickhouse/http_client.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/sql.h"

namespace trackly::bench {
namespace {

using Clock = std::chrono::steady_clock;
using store::clickhouse::HttpClient;
using store::clickhouse::Quote;
using store::clickhouse::QuoteIdentifier;
using store::clickhouse::RowBinaryReader;

constexpr int64_t kProgressEverySpans = 1'000'000;
// ClickHouse seeding: each Write carries about this many spans (whole traces), and this many
// Writes are outstanding so that the store's worker always has the next batch queued.
// 4 × 10,000 stays well under ClickHouseStoreOptions::max_queue_observations.
constexpr int64_t kClickHouseSpansPerWrite = 10'000;
constexpr int64_t kClickHouseWritesInFlight = 4;
// OPTIMIZE … FINAL may answer OK without merging (e.g. while a background merge holds the
// parts), so a partition is asked again until it is one part, at most this many times.
constexpr int kOptimizeRounds = 50;
constexpr int kOptimizeTimeoutMs = 3'600'000;
constexpr char kMarkerTable[] = "bench_seeded";

// Bounds the Writes outstanding and keeps the first failure. Thread-safe.
class WriteWindow {
 public:
  explicit WriteWindow(int64_t size) : size_(size) {}

  // Waits until fewer than `size` Writes are outstanding and counts one more; false (counting
  // nothing) once a Write has failed.
  bool Acquire() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &WriteWindow::HasRoom));
    if (!failed_.ok()) return false;
    ++outstanding_;
    return true;
  }
  // A Write's callback.
  void Release(absl::Status status) {
    absl::MutexLock lock(&mu_);
    --outstanding_;
    if (failed_.ok()) failed_ = std::move(status);
  }
  // Waits for every outstanding Write; returns the first failure.
  absl::Status Finish() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &WriteWindow::Idle));
    return failed_;
  }

 private:
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return outstanding_ < size_ || !failed_.ok(); }
  bool Idle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return outstanding_ == 0; }

  const int64_t size_;
  absl::Mutex mu_;
  int64_t outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
};

// Writes every trace of `make_trace`, `traces_per_write` to a Write, with up to `in_flight`
// Writes outstanding (a sliding window, so the store never waits for the generator).
absl::Status Seed(store::Store& store, const SeedOptions& seed, int64_t traces_per_write, int64_t in_flight,
                  const TraceMaker& make_trace) {
  std::mt19937_64 rng(42);
  const Clock::time_point start = Clock::now();
  auto rate = [&](int64_t spans) {
    return static_cast<double>(spans) / std::max(std::chrono::duration<double>(Clock::now() - start).count(), 1e-9);
  };
  WriteWindow window(in_flight);
  int64_t next_progress = 0;
  for (int64_t first = 0; first < seed.traces; first += traces_per_write) {
    store::WriteBatch batch = make_trace(first, rng);
    for (int64_t i = first + 1; i < std::min(seed.traces, first + traces_per_write); ++i) {
      store::WriteBatch more = make_trace(i, rng);
      std::move(more.observations.begin(), more.observations.end(), std::back_inserter(batch.observations));
    }
    if (!window.Acquire()) break;
    store.Write(std::move(batch), [&window](absl::Status status) { window.Release(std::move(status)); });
    const int64_t spans = first * seed.spans_per_trace;
    if (spans >= next_progress) {
      std::fprintf(stderr, "seeded %lld spans (%.0f spans/s)\n", static_cast<long long>(spans), rate(spans));
      next_progress = spans + kProgressEverySpans;
    }
  }
  if (absl::Status status = window.Finish(); !status.ok()) {
    return absl::Status(status.code(), absl::StrCat("seeding failed: ", status.message()));
  }
  const int64_t spans = seed.traces * seed.spans_per_trace;
  std::printf("seeded_spans=%lld seed_spans_per_s=%.0f\n", static_cast<long long>(spans), rate(spans));
  return absl::OkStatus();
}

void PrintError(const absl::Status& status) { std::fprintf(stderr, "%s\n", std::string(status.message()).c_str()); }

}  // namespace

std::unique_ptr<store::SqliteStore> OpenSeededStore(const std::string& dir, store::SqliteStoreOptions options,
                                                    const SeedOptions& seed, const TraceMaker& make_trace) {
  if (dir.empty()) {
    std::fprintf(stderr, "--dir: required with --store sqlite\n");
    return nullptr;
  }
  const std::filesystem::path marker = std::filesystem::path(dir) / ".seeded";
  std::filesystem::create_directories(dir);
  const bool seeded = std::filesystem::exists(marker);
  options.dir = dir;
  absl::StatusOr<std::unique_ptr<store::SqliteStore>> opened = store::SqliteStore::Open(options);
  if (!opened.ok()) {
    PrintError(opened.status());
    return nullptr;
  }
  if (!seeded) {
    if (absl::Status status = Seed(**opened, seed, /*traces_per_write=*/1, seed.in_flight, make_trace); !status.ok()) {
      PrintError(status);
      return nullptr;
    }
    std::ofstream{marker};
  }
  return std::move(*opened);
}

namespace {

// The rows of `sql` (without FORMAT) in RowBinary.
absl::StatusOr<std::string> Select(HttpClient& client, const std::string& database, std::string_view sql) {
  return client.Query(absl::StrCat(Sv(sql), " FORMAT RowBinary"), {{"database", database}});
}

absl::Status Execute(HttpClient& client, const std::string& database, std::string_view sql) {
  return client.Query(sql, {{"database", database}}).status();
}

// What the database holds: its tables, and the marker's row if it has one.
struct SeedMarker {
  uint64_t tables = 0;
  bool present = false;
  int64_t spans = 0;
  bool complete = false;
};

absl::StatusOr<SeedMarker> ReadMarker(HttpClient& client, const std::string& database) {
  SeedMarker marker;
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows, Select(client, "system",
                               absl::StrCat("SELECT count(), countIf(name = ", Quote(kMarkerTable),
                                            ") FROM system.tables WHERE database = ", Quote(database))));
  RowBinaryReader tables(rows, "listing the tables");
  marker.tables = tables.UInt64();
  marker.present = tables.UInt64() > 0;
  TRACKLY_RETURN_IF_ERROR(tables.status());
  if (!marker.present) return marker;
  TRACKLY_ASSIGN_OR_RETURN(rows, Select(client, database,
                                        absl::StrCat("SELECT max(spans), max(complete) FROM ", kMarkerTable)));
  RowBinaryReader row(rows, "reading the seed marker");
  marker.spans = row.Int64();
  marker.complete = row.UInt8() != 0;
  TRACKLY_RETURN_IF_ERROR(row.status());
  return marker;
}

// Merges every partition of every MergeTree table of `database` into one part.
absl::Status OptimizeFinal(HttpClient& client, const std::string& database) {
  const Clock::time_point start = Clock::now();
  TRACKLY_ASSIGN_OR_RETURN(
      std::string names, Select(client, database,
                                absl::StrCat("SELECT name FROM system.tables WHERE database = ", Quote(database),
                                             " AND engine LIKE '%MergeTree' ORDER BY name")));
  RowBinaryReader tables(names, "listing the tables");
  while (!tables.AtEnd()) {
    const std::string table = tables.String();
    TRACKLY_RETURN_IF_ERROR(tables.status());
    for (int round = 0;; ++round) {
      // Every partition the first time (a partition of one freshly inserted part may still hold
      // rows to collapse), then those still in several parts.
      TRACKLY_ASSIGN_OR_RETURN(
          std::string rows,
          Select(client, database,
                 absl::StrCat("SELECT partition_id FROM system.parts WHERE database = ", Quote(database),
                              " AND table = ", Quote(table), " AND active GROUP BY partition_id",
                              round == 0 ? "" : " HAVING count() > 1")));
      RowBinaryReader partitions(rows, "listing the partitions");
      if (partitions.AtEnd()) break;
      if (round == kOptimizeRounds) {
        return absl::DeadlineExceededError(
            absl::StrCat(table, ": still partitions of several parts after ", kOptimizeRounds, " OPTIMIZE rounds"));
      }
      while (!partitions.AtEnd()) {
        const std::string partition = partitions.String();
        TRACKLY_RETURN_IF_ERROR(partitions.status());
        TRACKLY_RETURN_IF_ERROR(Execute(client, database,
                                        absl::StrCat("OPTIMIZE TABLE ", QuoteIdentifier(table), " PARTITION ID ",
                                                     Quote(partition), " FINAL")));
      }
    }
  }
  std::printf("optimize_final_s=%.1f\n", std::chrono::duration<double>(Clock::now() - start).count());
  return absl::OkStatus();
}

// One line per table: its active parts, rows and bytes on disk (the conditions of the figures).
absl::Status PrintParts(HttpClient& client, const std::string& database) {
  TRACKLY_ASSIGN_OR_RETURN(
      std::string rows,
      Select(client, database,
             absl::StrCat("SELECT table, count(), sum(rows), sum(bytes_on_disk) FROM system.parts WHERE database = ",
                          Quote(database), " AND active GROUP BY table ORDER BY table")));
  RowBinaryReader in(rows, "reading system.parts");
  while (!in.AtEnd()) {
    const std::string table = in.String();
    const uint64_t parts = in.UInt64();
    const uint64_t table_rows = in.UInt64();
    const uint64_t bytes = in.UInt64();
    TRACKLY_RETURN_IF_ERROR(in.status());
    std::printf("clickhouse_table=%s parts=%llu rows=%llu mib=%.1f\n", table.c_str(),
                static_cast<unsigned long long>(parts), static_cast<unsigned long long>(table_rows),
                static_cast<double>(bytes) / (1 << 20));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<store::Store>> OpenSeededClickHouse(const StoreFlags& flags, const SeedOptions& seed,
                                                                   const TraceMaker& make_trace) {
  const int64_t spans = seed.traces * seed.spans_per_trace;
  store::ClickHouseStoreOptions options = flags.clickhouse;
  if (options.database.empty()) options.database = absl::StrCat(seed.name, "_", spans);
  const std::string& database = options.database;
  std::printf("clickhouse_database=%s\n", database.c_str());
  store::clickhouse::HttpClientOptions admin_options = options.server;
  admin_options.timeout_ms = kOptimizeTimeoutMs;
  HttpClient client(admin_options);

  TRACKLY_ASSIGN_OR_RETURN(SeedMarker marker, ReadMarker(client, database));
  bool seeded = false;
  if (marker.present && marker.complete) {
    if (marker.spans != spans) {
      return absl::FailedPreconditionError(absl::StrCat("database ", database, " was seeded with ", marker.spans,
                                                        " spans, not ", spans, "; name another --clickhouse-database"));
    }
    seeded = true;
  } else if (marker.present) {
    std::fprintf(stderr, "database %s: an interrupted seed; dropping it and seeding again\n", database.c_str());
    TRACKLY_RETURN_IF_ERROR(Execute(client, "system", absl::StrCat("DROP DATABASE ", QuoteIdentifier(database))));
  } else if (marker.tables > 0) {
    return absl::FailedPreconditionError(absl::StrCat("database ", database, " has tables but no ", kMarkerTable,
                                                      " marker, so it is not a benchmark's; name another "
                                                      "--clickhouse-database"));
  }
  if (!seeded) {
    TRACKLY_RETURN_IF_ERROR(
        Execute(client, "system", absl::StrCat("CREATE DATABASE IF NOT EXISTS ", QuoteIdentifier(database))));
    TRACKLY_RETURN_IF_ERROR(Execute(
        client, database, absl::StrCat("CREATE TABLE ", kMarkerTable, " (spans Int64, complete UInt8) ENGINE = TinyLog")));
    TRACKLY_RETURN_IF_ERROR(
        Execute(client, database, absl::StrCat("INSERT INTO ", kMarkerTable, " VALUES (", spans, ", 0)")));
  }
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<store::ClickHouseStore> store, store::ClickHouseStore::Open(options));
  if (!seeded) {
    const int64_t traces_per_write = std::max<int64_t>(1, kClickHouseSpansPerWrite / std::max<int64_t>(1, seed.spans_per_trace));
    TRACKLY_RETURN_IF_ERROR(Seed(*store, seed, traces_per_write, kClickHouseWritesInFlight, make_trace));
    TRACKLY_RETURN_IF_ERROR(
        Execute(client, database, absl::StrCat("INSERT INTO ", kMarkerTable, " VALUES (", spans, ", 1)")));
  }
  if (flags.optimize) TRACKLY_RETURN_IF_ERROR(OptimizeFinal(client, database));
  TRACKLY_RETURN_IF_ERROR(PrintParts(client, database));
  return std::unique_ptr<store::Store>(std::move(store));
}

}  // namespace

void AddStoreFlags(CLI::App& app, StoreFlags& flags) {
  app.add_option("--store", flags.store, "the store to measure")
      ->check(CLI::IsMember({"sqlite", "clickhouse"}))
      ->capture_default_str();
  app.add_option("--dir", flags.dir, "sqlite: store directory (seeded on first use)");
  app.add_option("--clickhouse-host", flags.clickhouse.server.host, "clickhouse: HTTP host")->capture_default_str();
  app.add_option("--clickhouse-port", flags.clickhouse.server.port, "clickhouse: HTTP port")->capture_default_str();
  app.add_option("--clickhouse-database", flags.clickhouse.database,
                 "clickhouse: database (seeded on first use; default <bench>_<spans>)");
  app.add_option("--clickhouse-cluster", flags.clickhouse.cluster,
                 "clickhouse: lay the tables out on this cluster of the server (docs/scale-out.md)");
  app.add_flag("--optimize", flags.optimize, "clickhouse: OPTIMIZE TABLE … FINAL every table before measuring");
}

std::unique_ptr<store::Store> OpenSeededStore(const StoreFlags& flags, store::SqliteStoreOptions sqlite,
                                              const SeedOptions& seed, const TraceMaker& make_trace) {
  std::printf("store=%s loadavg_at_open=%s\n", flags.store.c_str(), LoadAverage().c_str());
  if (flags.store != "clickhouse") return OpenSeededStore(flags.dir, std::move(sqlite), seed, make_trace);
  absl::StatusOr<std::unique_ptr<store::Store>> opened = OpenSeededClickHouse(flags, seed, make_trace);
  if (!opened.ok()) {
    PrintError(opened.status());
    return nullptr;
  }
  return std::move(*opened);
}

Percentiles TimeRuns(int iterations, const std::function<void(int)>& run) {
  std::vector<double> ms;
  ms.reserve(static_cast<size_t>(std::max(iterations, 1)));
  for (int i = 0; i < iterations; ++i) {
    const Clock::time_point t = Clock::now();
    run(i);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
  }
  if (ms.empty()) return {0, 0, 0};
  std::sort(ms.begin(), ms.end());
  auto at = [&](double p) { return ms[static_cast<size_t>(p * static_cast<double>(ms.size() - 1))]; };
  return {at(0.5), at(0.9), at(0.99)};
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  if (!(in >> one >> five >> fifteen)) return "?";
  return absl::StrCat(one, "/", five, "/", fifteen);
}

}  // namespace trackly::bench
