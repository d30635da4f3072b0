// The embedded storage backend: SQLite files in the data directory (DESIGN.md "Storage").
// Layout: store/sqlite/schema.cc. Write path: store/sqlite/writer.h.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "store/store.h"

namespace trackly::store {

namespace sqlite {
class Connection;
class Writer;
}  // namespace sqlite

struct SqliteStoreOptions {
  // Data directory; store.db (+ its -wal/-shm files) is created in it. Must exist.
  std::string dir;
  // Observations accepted but not yet committed; a Write that would exceed it gets Unavailable.
  // Bounds memory; keep it above the largest batch one request can carry.
  size_t max_queue_observations = 200000;
  // Upper bound on the observations committed in one transaction, so one commit (and the
  // latency of every callback in it) stays short even with a deep queue.
  size_t max_commit_observations = 50000;
  // How long the writer waits for more writes before committing a small group; 0 commits as soon
  // as anything is queued (grouping then comes from writes that arrive during a commit).
  int max_batch_wait_ms = 0;
  // true: a write is acknowledged once its commit is fsynced, so it survives power loss. false:
  // acknowledged at commit, which in WAL mode survives a killed process but not a power cut.
  bool sync_full = true;
  // Observations of large traces kept in memory between commits so their next batches do not
  // re-read every stored row to recompute the summary (store/sqlite/summary_cache.h).
  size_t summary_cache_observations = 200000;
  // Observation payloads at least this long are zstd-compressed; SIZE_MAX disables compression.
  // Why 4 KiB: below that zstd's fixed per-call work (histograms, entropy tables) costs ~5-10 us
  // per payload on the 2-core bench machine, as much as all the rest of ingesting a span, while
  // it saves only ~0.6 KiB on a typical 1 KiB span; larger payloads compress fast per byte and
  // the saving is worth it.
  size_t compress_min_bytes = 4096;
  // WAL size, in pages of 8 KiB, at which the checkpointer copies the WAL into store.db on its
  // own thread (store/sqlite/checkpointer.h); SQLite's own default is the same 1000.
  int64_t checkpoint_wal_pages = 1000;
  // SQLite page cache of the writer connection, in KiB.
  int writer_cache_kib = 64 * 1024;
  // SQLite page cache of each reader connection, in KiB.
  int reader_cache_kib = 16 * 1024;
  // Bytes of store.db each reader maps into memory (faster reads); 0 disables mmap.
  int64_t reader_mmap_bytes = int64_t{1} << 30;
  // How long a statement waits on a lock held by another connection before failing.
  int busy_timeout_ms = 5000;
};

// Thread-safe (the Store contract). One writer thread owns the only write connection; reads run
// on a pool of read-only connections, one per concurrently reading thread, so reads never wait
// for the writer (WAL) and the writer never waits for them.
class SqliteStore final : public Store {
 public:
  // Opens or creates store.db in options.dir and starts the writer thread.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const SqliteStoreOptions& options);
  ~SqliteStore() override;  // Drain()s first

  Capabilities capabilities() const override;
  StoreStats stats() const override;
  void Write(WriteBatch batch, WriteCallback done) override;
  void Drain() override;
  absl::StatusOr<TracePage> ListTraces(const TraceQuery& query) override;
  absl::StatusOr<TraceDetail> GetTrace(std::string_view project, std::string_view trace_id) override;
  absl::StatusOr<ObservationPage> ListTraceObservations(const ObservationQuery& query) override;
  absl::StatusOr<model::Observation> GetObservation(std::string_view project, std::string_view trace_id,
                                                    std::string_view observation_id) override;
  absl::StatusOr<SessionPage> ListSessions(const SessionQuery& query) override;
  absl::StatusOr<SessionDetail> GetSession(std::string_view project, std::string_view session_id) override;
  absl::StatusOr<ScorePage> ListScores(const ScoreQuery& query) override;
  absl::StatusOr<std::string> FindTraceIdOfObservation(std::string_view project,
                                                       std::string_view observation_id) override;
  // Reads the rollup tables on a read connection (store/sqlite/rollups.h).
  absl::StatusOr<MetricsResult> QueryMetrics(const MetricsQuery& query) override;
  // One GROUP BY over the project's scores in the range (served by scores_by_time, or
  // scores_by_name when a name or prefix is given), on a read connection.
  absl::StatusOr<MetricsResult> QueryScoreMetrics(const ScoreMetricsQuery& query) override;
  // Lists the range's traces on a read connection, then rewrites them kRewriteTracesPerCommit
  // at a time through the writer thread (store/sqlite/observation_rewriter.h).
  absl::StatusOr<RewriteStats> RewriteObservations(const RewriteRange& range,
                                                   const ObservationRewrite& rewrite) override;
  // On the writer thread, alone in its transaction (sqlite::Writer::Erase says how the removal is
  // made physical).
  absl::StatusOr<EraseStats> Erase(const EraseRequest& request) override;
  // On the writer thread, alone in its transaction, like Erase but keeping the rollups
  // (sqlite::Writer::DropSampledOut).
  absl::StatusOr<EraseStats> DropSampledOut(std::string_view project,
                                            const std::vector<std::string>& trace_ids) override;
  // On the writer thread, alone in its transaction, like Erase (sqlite::Writer::Expire says what
  // is dropped whole and what is cleared per trace).
  absl::StatusOr<ExpireStats> Expire(const ExpireRequest& request) override;
  // On the writer thread, in the commit group of the writes queued around it (ordered with them,
  // durable when it returns OK); the runs of one call are applied all or none
  // (store/sqlite/workflow_rollups.h).
  absl::Status RecordWorkflowRuns(std::string_view project, std::vector<WorkflowRun> runs) override;
  // Reads the name's cells in range on a read connection and merges them.
  absl::StatusOr<model::WorkflowRollup> QueryWorkflowRollup(const WorkflowRollupQuery& query) override;

 private:
  // A read connection borrowed from the pool; returned when destroyed.
  class Reader;

  SqliteStore(SqliteStoreOptions options, std::unique_ptr<sqlite::Writer> writer);
  absl::StatusOr<Reader> AcquireReader();
  void ReleaseReader(std::unique_ptr<sqlite::Connection> connection);

  const SqliteStoreOptions options_;
  const std::string path_;
  std::unique_ptr<sqlite::Writer> writer_;
  absl::Mutex readers_mu_;
  std::vector<std::unique_ptr<sqlite::Connection>> idle_readers_ ABSL_GUARDED_BY(readers_mu_);
};

}  // namespace trackly::store
