// What the store benchmarks (query_bench, metrics_bench) share: an embedded store seeded once per
// directory, and timing a query many times.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include "store/sqlite/sqlite_store.h"

namespace trackly::bench {

// Builds trace number i (0 ≤ i < traces) as one write batch; `rng` is seeded the same every run.
using TraceMaker = std::function<store::WriteBatch(int64_t i, std::mt19937_64& rng)>;

struct SeedOptions {
  int64_t traces = 0;
  int64_t spans_per_trace = 0;  // for the progress and rate lines
  int64_t in_flight = 64;       // writes outstanding at once, to keep the writer's group commit busy
};

// Opens the embedded store in `dir` with `options` (dir is set here). On first use of the
// directory it writes every trace of `make_trace`, printing progress to stderr and
// "seeded_spans=N seed_spans_per_s=R" to stdout, then leaves a `.seeded` marker so later runs
// reuse the data. Prints why and returns nullptr when opening or seeding fails.
std::unique_ptr<store::SqliteStore> OpenSeededStore(const std::string& dir, store::SqliteStoreOptions options,
                                                    const SeedOptions& seed, const TraceMaker& make_trace);

struct Percentiles {
  double p50, p90, p99;
};

// Runs run(i) for i in [0, iterations) and returns the percentiles of their wall times in ms.
Percentiles TimeRuns(int iterations, const std::function<void(int)>& run);

}  // namespace trackly::bench
