// session_traces (schema/008_session_traces.sql), where the reads of sessions' traces find their
// candidates (queries.h TracesOfSessionsSql): the session summaries the writer keeps, a session's
// detail, a trace list filtered by session, erasure by session, and the layout 8 migration that
// fills it. Against a real clickhouse-server (test_server.h), registered by
// clickhouse_store_test.cc in the same binary.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "model/summary.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/database_test_base.h"
#include "store/clickhouse/http_client.h"
#include "store/clickhouse/queries.h"
#include "store/clickhouse/schema.h"

namespace trackly::store::clickhouse {
namespace {

constexpr int64_t kDayStartNs = int64_t{20'600} * kNanosPerDay;
constexpr int64_t kHourNs = int64_t{3'600} * 1'000'000'000;

// A trace of one span, in `session` when not empty, starting `minute` minutes into the day.
std::vector<model::Observation> TraceIn(const std::string& trace_id, const std::string& session, int minute) {
  model::Observation root;
  root.trace_id = trace_id;
  root.id = "root";
  root.name = "agent";
  root.start_time_ns = kDayStartNs + int64_t{minute} * 60'000'000'000;
  root.end_time_ns = root.start_time_ns + 2'000'000;
  root.usage.input_tokens = minute;
  root.trace_hints.session_id = session;
  return {root};
}

// Not thread-safe (a gtest fixture): a database of the test's own, stores on it with a fake clock
// that each test advances between stores (a store's row versions start at the clock).
class SessionTracesTest : public DatabaseTestBase {
 protected:
  SessionTracesTest() : DatabaseTestBase(clock_) {}

  using DatabaseTestBase::Count;
  uint64_t Count(const std::string& sql) { return Count(sql, database_); }

  // Runs `mutation` (ALTER TABLE … DELETE) in the test's database and waits until it is done.
  void Mutate(const std::string& mutation) {
    HttpClient client(server_->client_options());
    absl::StatusOr<ServerInfo> info = DescribeServer(client);
    ASSERT_TRUE(info.ok()) << info.status();
    const Database db(client, database_, *info);
    ASSERT_TRUE(db.Execute(mutation).ok()) << mutation;
    ASSERT_TRUE(WaitForMutations(db, absl::Minutes(1), "the test's mutation").ok());
  }

  // The ids of the traces GetSession answers for `session`, in its order; none when not found.
  std::vector<std::string> SessionTraces(Store& store, const std::string& session) {
    std::vector<std::string> ids;
    absl::StatusOr<SessionDetail> detail = store.GetSession("p", session);
    if (!detail.ok()) {
      EXPECT_TRUE(absl::IsNotFound(detail.status())) << detail.status();
      return ids;
    }
    for (const model::Trace& trace : detail->traces) ids.push_back(trace.id);
    return ids;
  }

  // The ids of the traces a list filtered by `session` shows, newest first.
  std::vector<std::string> ListedTraces(Store& store, const std::string& session) {
    std::vector<std::string> ids;
    absl::StatusOr<TracePage> page = store.ListTraces(TraceQuery{.project = "p", .session_id = session});
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      for (const model::Trace& trace : page->traces) ids.push_back(trace.id);
    }
    return ids;
  }

  // The stored summary of `session` equals model::SummarizeSession over the latest summaries of
  // `trace_ids` (in start order).
  void ExpectSummaryOf(Store& store, const std::string& session, const std::vector<std::string>& trace_ids) {
    std::vector<model::Trace> traces;
    for (const std::string& id : trace_ids) {
      absl::StatusOr<TraceDetail> detail = store.GetTrace("p", id);
      ASSERT_TRUE(detail.ok()) << detail.status();
      traces.push_back(detail->trace);
    }
    absl::StatusOr<SessionDetail> detail = store.GetSession("p", session);
    ASSERT_TRUE(detail.ok()) << detail.status();
    EXPECT_EQ(detail->session, model::SummarizeSession(session, traces));
  }

  FakeClock clock_{kDayStartNs + 12 * kHourNs};
};

// The reads of a session's traces take their candidates from session_traces alone: a trace whose
// row there is gone is not found, though its summary still names the session.
TEST_F(SessionTracesTest, ASessionsTracesAreFoundThroughSessionTraces) {
  std::unique_ptr<ClickHouseStore> store = Open(database_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceIn("a", "s", 1)}).ok());
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceIn("b", "s", 2)}).ok());
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceIn("c", "", 3)}).ok());
  // One row per summary row with a session, with its version, day and retention class.
  EXPECT_EQ(Count("SELECT count() FROM session_traces"), 2u);
  EXPECT_EQ(Count("SELECT count() FROM session_traces WHERE session_id = 's' AND (project, trace_id, version, day, "
                  "retention_payload_days, retention_summary_days) IN (SELECT project, trace_id, version, day, "
                  "retention_payload_days, retention_summary_days FROM traces WHERE session_id = 's')"),
            2u);
  EXPECT_EQ(SessionTraces(*store, "s"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ListedTraces(*store, "s"), (std::vector<std::string>{"b", "a"}));

  Mutate("ALTER TABLE session_traces DELETE WHERE trace_id = 'b'");
  EXPECT_EQ(SessionTraces(*store, "s"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(ListedTraces(*store, "s"), (std::vector<std::string>{"a"}));
}

// A trace whose latest summary names another session leaves the old one: its row there stays (a
// candidate), and the latest summary rules it out of the old session's traces and summary.
TEST_F(SessionTracesTest, ATraceMovingToAnotherSessionLeavesTheOldOne) {
  std::unique_ptr<ClickHouseStore> store = Open(database_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceIn("a", "s1", 1)}).ok());
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceIn("b", "s1", 2)}).ok());
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceIn("a", "s2", 1)}).ok());

  EXPECT_EQ(Count("SELECT count() FROM session_traces WHERE session_id = 's1' AND trace_id = 'a'"), 1u);
  EXPECT_EQ(SessionTraces(*store, "s1"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(SessionTraces(*store, "s2"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(ListedTraces(*store, "s1"), (std::vector<std::string>{"b"}));
  ExpectSummaryOf(*store, "s1", {"b"});
  ExpectSummaryOf(*store, "s2", {"a"});

  // Its last trace gone, a session is a tombstone: not found.
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceIn("b", "s2", 2)}).ok());
  EXPECT_TRUE(absl::IsNotFound(store->GetSession("p", "s1").status()));
  ExpectSummaryOf(*store, "s2", {"a", "b"});
}

// Erasure deletes every session_traces row of the erased traces, those under the sessions they
// were in before included, and finds the traces of an erased session through the table.
TEST_F(SessionTracesTest, ErasureRemovesEveryRowOfTheErasedTraces) {
  std::unique_ptr<ClickHouseStore> store = Open(database_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceIn("a", "s1", 1)}).ok());
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceIn("b", "s1", 2)}).ok());
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceIn("a", "s2", 1)}).ok());
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "q", .observations = TraceIn("a", "s2", 1)}).ok());
  ASSERT_EQ(Count("SELECT count() FROM session_traces WHERE project = 'p' AND trace_id = 'a'"), 2u);

  absl::StatusOr<EraseStats> erased = store->Erase(EraseRequest{.project = "p", .session_id = "s2"});
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->traces, 1);
  EXPECT_EQ(Count("SELECT count() FROM session_traces WHERE project = 'p' AND trace_id = 'a'"), 0u);
  EXPECT_EQ(Count("SELECT count() FROM session_traces WHERE project = 'p' AND trace_id = 'b'"), 1u);
  EXPECT_EQ(Count("SELECT count() FROM session_traces WHERE project = 'q'"), 1u);
  EXPECT_TRUE(absl::IsNotFound(store->GetSession("p", "s2").status()));
  EXPECT_EQ(SessionTraces(*store, "s1"), (std::vector<std::string>{"b"}));
  ExpectSummaryOf(*store, "s1", {"b"});

  ASSERT_TRUE(store->Erase(EraseRequest{.project = "p", .trace_id = "b"}).ok());
  EXPECT_EQ(Count("SELECT count() FROM session_traces WHERE project = 'p'"), 0u);
  EXPECT_TRUE(absl::IsNotFound(store->GetSession("p", "s1").status()));
}

// A database of layout 7 (no session_traces) gets the table filled from its traces when a store
// opens it, once: the sessions of the traces written before are found, by reads and by the
// writer, which keeps their summaries exact when one of those traces moves.
TEST_F(SessionTracesTest, ADatabaseOfTheLayoutBeforeFindsTheSessionsOfItsTracesOnceMigrated) {
  std::unique_ptr<ClickHouseStore> store = Open(database_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceIn("a", "s", 1)}).ok());
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceIn("b", "s", 2)}).ok());
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceIn("c", "", 3)}).ok());
  store.reset();
  // What a layout 7 build leaves: the same rows, no session_traces, versions 1 to 7 recorded.
  Run("DROP TABLE session_traces", database_);
  Run("DROP TABLE schema_version", database_);
  Run("CREATE TABLE schema_version (version UInt32, applied_ns Int64) ENGINE = MergeTree ORDER BY version", database_);
  Run("INSERT INTO schema_version VALUES (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0), (7, 0)", database_);
  const std::string trace_keys = "SELECT count() FROM (SELECT DISTINCT project, session_id, trace_id, day FROM ";
  const uint64_t in_sessions = Count(absl::StrCat(trace_keys, "traces WHERE session_id != '')"));
  ASSERT_EQ(in_sessions, 2u);

  clock_.Advance(kHourNs);
  store = Open(database_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Count("SELECT toUInt64(max(version)) FROM schema_version"), static_cast<uint64_t>(LatestSchemaVersion()));
  EXPECT_EQ(Count(absl::StrCat(trace_keys, "session_traces)")), in_sessions);
  EXPECT_EQ(SessionTraces(*store, "s"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ListedTraces(*store, "s"), (std::vector<std::string>{"b", "a"}));

  // Reopening does not fill it again.
  const uint64_t rows = Count("SELECT count() FROM session_traces");
  store.reset();
  clock_.Advance(kHourNs);
  store = Open(database_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Count("SELECT count() FROM session_traces"), rows);

  // The writer's summary of the session it leaves counts the trace written before the migration.
  ASSERT_TRUE(WriteAndWait(*store, WriteBatch{.project = "p", .observations = TraceIn("a", "s2", 1)}).ok());
  EXPECT_EQ(SessionTraces(*store, "s"), (std::vector<std::string>{"b"}));
  ExpectSummaryOf(*store, "s", {"b"});
  ExpectSummaryOf(*store, "s2", {"a"});
}

}  // namespace
}  // namespace trackly::store::clickhouse
