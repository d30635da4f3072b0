// Time is injected: code that needs "now" takes a Clock&, tests pass a FakeClock.
#pragma once

#include <atomic>
#include <cstdint>

namespace trackly {

// Thread-safe. Wall-clock time in nanoseconds since the Unix epoch.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowNanos() const = 0;
};

// Thread-safe. The real clock (CLOCK_REALTIME).
class SystemClock final : public Clock {
 public:
  int64_t NowNanos() const override;
  // A process-wide instance; it holds no state.
  static const SystemClock& Get();
};

// Thread-safe. A clock that only moves when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ns = 0) : now_ns_(now_ns) {}
  int64_t NowNanos() const override { return now_ns_.load(); }
  void Set(int64_t now_ns) { now_ns_.store(now_ns); }
  void Advance(int64_t delta_ns) { now_ns_.fetch_add(delta_ns); }

 private:
  std::atomic<int64_t> now_ns_;
};

}  // namespace trackly
