// What the store benchmarks (query_bench, metrics_bench) share: the store they measure, seeded
// once and reused by later runs, and timing a query many times. The store is the embedded one in
// a directory (--store sqlite, the default) or a ClickHouse database through
// store::ClickHouseStore (--store clickhouse); either way the benchmarks read it only through the
// Store interface, as the HTTP API does.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include <CLI/CLI.hpp>

#include "store/clickhouse/clickhouse_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace trackly::bench {

// Builds trace number i (0 ≤ i < traces) as one write batch; `rng` is seeded the same every run.
using TraceMaker = std::function<store::WriteBatch(int64_t i, std::mt19937_64& rng)>;

// Which store to measure, from the command line (AddStoreFlags).
struct StoreFlags {
  std::string store = "sqlite";  // "sqlite" or "clickhouse"
  std::string dir;               // sqlite: the store directory (seeded on first use)
  // clickhouse: the server, and the database (seeded on first use; empty = "<SeedOptions::name>_<spans>").
  store::ClickHouseStoreOptions clickhouse{.database = ""};
  bool optimize = false;  // clickhouse: OPTIMIZE TABLE … FINAL every table before measuring
};

// Adds --store, --dir, --clickhouse-host, --clickhouse-port, --clickhouse-database,
// --clickhouse-cluster and --optimize (one server only).
void AddStoreFlags(CLI::App& app, StoreFlags& flags);

struct SeedOptions {
  std::string name;             // the benchmark's name, for the default ClickHouse database
  int64_t traces = 0;
  int64_t spans_per_trace = 0;  // for the progress and rate lines, and the ClickHouse marker
  int64_t in_flight = 64;       // sqlite: one-trace writes outstanding, to keep the writer's group commit busy
};

// Opens the embedded store in `dir` with `options` (dir is set here). On first use of the
// directory it writes every trace of `make_trace`, one trace to a Write with seed.in_flight
// outstanding, printing progress to stderr and "seeded_spans=N seed_spans_per_s=R" to stdout,
// then leaves a `.seeded` marker so later runs reuse the data. Prints why and returns nullptr
// when opening or seeding fails.
std::unique_ptr<store::SqliteStore> OpenSeededStore(const std::string& dir, store::SqliteStoreOptions options,
                                                    const SeedOptions& seed, const TraceMaker& make_trace);

// Opens the store `flags` names, seeded as above on its first use, and prints the load average:
//  - sqlite: the overload above, with `sqlite` as the options.
//  - clickhouse: a `bench_seeded` table in the database records the spans seeded and whether the
//    seed completed. Traces are written many to a batch, a few batches in flight (the ClickHouse
//    writer's cost is per round trip). A database whose seed was interrupted is dropped and
//    seeded again; one seeded with another span count, or holding tables but no marker, is
//    refused. With flags.optimize every table is then merged (OPTIMIZE … FINAL, repeated until
//    each partition is one part), and either way the active parts are printed.
// Prints the reason and returns nullptr when opening, seeding or merging fails.
std::unique_ptr<store::Store> OpenSeededStore(const StoreFlags& flags, store::SqliteStoreOptions sqlite,
                                              const SeedOptions& seed, const TraceMaker& make_trace);

struct Percentiles {
  double p50, p90, p99;
};

// Runs run(i) for i in [0, iterations) and returns the percentiles of their wall times in ms.
Percentiles TimeRuns(int iterations, const std::function<void(int)>& run);

// The 1, 5 and 15 minute load averages (/proc/loadavg), e.g. "2.66/2.16/2.12"; "?" when unreadable.
std::string LoadAverage();

}  // namespace trackly::bench
