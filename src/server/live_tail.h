// Live tail (docs/api.md "GET /api/v1/tail", docs/insight.md "Live tail"): the spans each project
// ingested recently, in the order their writes were acknowledged, for clients that follow them as
// they arrive (`trackly tail`, the UI's Live page) by long-polling.
//
// Every acknowledged span of a project (an observation, or a fragment of one: a Langfuse create or
// update event, a LangSmith post or patch) gets the project's next sequence number, 1, 2, 3, …
// Numbers are counted for every write, cheaply; the span's summary (TailEntry) is made and kept
// only while the project is watched: for `watch` after a tail request of the project. So ingest
// pays one hash lookup per write when nobody tails, and the summaries of a watched project's spans
// otherwise. A project's kept entries always hold consecutive numbers ending at the newest, so a
// client that asks for the entries after number N learns exactly how many it missed ("dropped":
// they fell off the bounded ring, or arrived while nobody watched).
//
// Sequence numbers live in memory and start again at 1 when the server restarts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "model/observation.h"
#include "store/store.h"

namespace trackly::server {

// Characters (UTF-8 code points) kept of a span's input and output in its TailEntry.
inline constexpr size_t kTailPreviewChars = 200;

// One span as the live tail shows it: what a one-line view needs, and the first
// kTailPreviewChars of its input and output as stored (so after redaction), on one line.
struct TailEntry {
  int64_t seq = 0;  // the project's sequence number
  std::string trace_id;  // empty for an update fragment that did not repeat it
  std::string observation_id;
  std::string parent_id;  // empty = root (or not said by an update fragment)
  std::string trace_name;  // the span's trace name hint, else its own name when it is a root
  std::optional<model::ObservationType> type;  // unset for an update fragment that did not say
  std::string name;
  std::string model;
  model::Status status = model::Status::kUnset;
  model::Level level = model::Level::kDefault;
  int64_t start_time_ns = 0;  // 0 = not said
  int64_t end_time_ns = 0;    // 0 = open or not said
  model::Usage usage;
  double cost_usd = 0;
  std::string environment;
  std::string release;
  std::string user_id;
  std::string session_id;
  std::string input_preview;
  std::string output_preview;
  bool update = false;  // an update fragment: only the fields it set are filled

  bool is_error() const { return status == model::Status::kError || level == model::Level::kError; }
  // Milliseconds from start to end; nullopt while either is unknown.
  std::optional<double> latency_ms() const;
};

// The summaries of every span of `batch`, observations then fragments, in batch order; seq unset.
std::vector<TailEntry> TailEntriesOf(const store::WriteBatch& batch);

// Which entries a tail request wants; every field set must match (exact text, or at least).
struct TailFilter {
  std::optional<model::ObservationType> type;
  std::string name;
  std::string trace_name;
  std::string model;
  std::optional<bool> error;  // status=error: the span failed (status error or level ERROR); ok: not
  std::string environment;
  std::string release;
  std::string user_id;
  std::string session_id;
  double min_latency_ms = 0;  // > 0: spans with a known latency of at least this
  double min_cost = 0;        // > 0: spans costing at least this (USD)

  bool Matches(const TailEntry& entry) const;
};

inline constexpr int64_t kMaxTailWaitMs = 30'000;

// One tail request (parsed from GET /api/v1/tail, server/tail_handler.h).
struct TailRequest {
  std::optional<int64_t> after;  // entries with a larger sequence number; unset = from now
  int64_t wait_ms = 25'000;      // 0..kMaxTailWaitMs: how long to wait for a first match
  int limit = 100;               // 1..store::kMaxListLimit entries per answer
  TailFilter filter;
};

// What a tail request is answered with.
struct TailResult {
  std::vector<TailEntry> entries;  // matching entries, oldest first
  int64_t next = 0;     // the `after` of the follow-up request
  int64_t dropped = 0;  // entries after `after` no longer kept (matching or not)
};

struct LiveTailOptions {
  size_t max_entries = 10'000;                  // kept per project; older ones fall off
  size_t max_bytes = size_t{16} << 20;          // and at most about this much text per project
  absl::Duration watch = absl::Minutes(1);      // summaries are kept this long after a request
  size_t max_waiting = 1'000;                   // requests waiting at once, all projects
};

// Thread-safe. Requests wait without holding a thread: Poll keeps the callback, which a later
// Append, Dispatch or Shutdown calls.
class LiveTail {
 public:
  // `clock` must outlive the tail.
  LiveTail(const Clock& clock, LiveTailOptions options = {});
  ~LiveTail();  // Shutdown(), then stops the thread Start() started

  // Whether spans of `project` written now should be summarized for Append.
  bool Watched(std::string_view project) const;
  // `spans` spans of `project` were acknowledged: they take its next sequence numbers, in order.
  // `entries` are their summaries (TailEntriesOf), or empty when the project was not Watched; then
  // (or when the watch has lapsed meanwhile) the entries kept so far are let go, as the numbers
  // they would need are taken. Marks the requests waiting on the project that now have an answer.
  void Append(std::string_view project, int64_t spans, std::vector<TailEntry> entries);

  // For a write of `batch` about to start: what to run once it is acknowledged, the Append of its
  // spans (summarized now, before the batch moves into the store, when its project is Watched).
  // Fits WriteWatchingStore's watch (server/write_watching_store.h).
  std::function<void()> BeforeWrite(const store::WriteBatch& batch);

  // Answers `request` for `project` by calling `done` exactly once: at once (here, on the caller's
  // thread) when some kept entry after `after` matches, entries were dropped, wait_ms is 0 or the
  // tail is shut down; else later from another thread, once a match arrives (Append, then
  // Dispatch), wait_ms has passed by the clock (Dispatch) or at Shutdown. Starts or extends the
  // project's watch. Unavailable, without calling `done`, when max_waiting requests wait already.
  // An `after` beyond the newest number (the server restarted since the client's last answer)
  // counts as "from now".
  absl::Status Poll(std::string_view project, const TailRequest& request, std::function<void(TailResult)> done);

  // Answers every waiting request that has a match (or was dropped behind) or whose wait is over,
  // on this thread; lets go of the entries of projects no longer watched. Returns how many it
  // answered. The thread of Start() calls it; tests call it directly.
  int Dispatch();

  // Answers every waiting request with what it has (usually nothing); later requests are answered
  // at once. Idempotent.
  void Shutdown();

  // Starts a thread that calls Dispatch when an answer is due. Call at most once.
  void Start();

  // Requests waiting now.
  size_t waiting() const;

 private:
  struct Waiter {
    int64_t after = 0;  // checked up to here: nothing after it matched when last looked at
    int64_t deadline_ns = 0;
    int limit = 0;
    TailFilter filter;
    std::function<void(TailResult)> done;
    bool ready = false;  // has a match or was dropped behind
  };
  struct ProjectTail {
    std::deque<TailEntry> entries;  // consecutive seqs ending at last_seq
    size_t bytes = 0;               // about what `entries` hold
    int64_t last_seq = 0;
    int64_t watched_until_ns = 0;
    std::list<Waiter> waiters;
  };
  // A waiter taken out of its list with its answer, to be called outside the lock.
  struct Answer {
    std::function<void(TailResult)> done;
    TailResult result;
  };

  // The answer to a request for `after` now: matches (at most `limit`), next and dropped.
  static TailResult Collect(const ProjectTail& tail, int64_t after, int limit, const TailFilter& filter);
  void Trim(ProjectTail& tail) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run();

  const Clock& clock_;
  const LiveTailOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, ProjectTail> projects_ ABSL_GUARDED_BY(mu_);
  size_t waiting_ ABSL_GUARDED_BY(mu_) = 0;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;  // something for Dispatch, or a new earliest deadline
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace trackly::server
