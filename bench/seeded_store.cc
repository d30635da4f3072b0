#include "bench/seeded_store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "absl/synchronization/blocking_counter.h"

namespace trackly::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kProgressEverySpans = 1'000'000;

bool Seed(store::Store& store, const SeedOptions& seed, const TraceMaker& make_trace) {
  std::mt19937_64 rng(42);
  const Clock::time_point start = Clock::now();
  auto rate = [&](int64_t spans) {
    return static_cast<double>(spans) / std::max(std::chrono::duration<double>(Clock::now() - start).count(), 1e-9);
  };
  int64_t next_progress = 0;
  for (int64_t first = 0; first < seed.traces; first += seed.in_flight) {
    const int64_t n = std::min(seed.in_flight, seed.traces - first);
    absl::BlockingCounter pending(static_cast<int>(n));
    std::atomic<bool> failed{false};
    for (int64_t i = first; i < first + n; ++i) {
      store.Write(make_trace(i, rng), [&](absl::Status st) {
        if (!st.ok()) failed = true;
        pending.DecrementCount();
      });
    }
    pending.Wait();
    if (failed) {
      std::fprintf(stderr, "seeding failed at trace %lld\n", static_cast<long long>(first));
      return false;
    }
    const int64_t spans = first * seed.spans_per_trace;
    if (spans >= next_progress) {
      std::fprintf(stderr, "seeded %lld spans (%.0f spans/s)\n", static_cast<long long>(spans), rate(spans));
      next_progress = spans + kProgressEverySpans;
    }
  }
  const int64_t spans = seed.traces * seed.spans_per_trace;
  std::printf("seeded_spans=%lld seed_spans_per_s=%.0f\n", static_cast<long long>(spans), rate(spans));
  return true;
}

}  // namespace

std::unique_ptr<store::SqliteStore> OpenSeededStore(const std::string& dir, store::SqliteStoreOptions options,
                                                    const SeedOptions& seed, const TraceMaker& make_trace) {
  const std::filesystem::path marker = std::filesystem::path(dir) / ".seeded";
  std::filesystem::create_directories(dir);
  const bool seeded = std::filesystem::exists(marker);
  options.dir = dir;
  absl::StatusOr<std::unique_ptr<store::SqliteStore>> opened = store::SqliteStore::Open(options);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", std::string(opened.status().message()).c_str());
    return nullptr;
  }
  if (!seeded) {
    if (!Seed(**opened, seed, make_trace)) return nullptr;
    std::FILE* file = std::fopen(marker.c_str(), "w");
    if (file != nullptr) std::fclose(file);
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

}  // namespace trackly::bench
