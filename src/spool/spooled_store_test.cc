#include "spool/spooled_store.h"

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "model/codec.h"
#include "store/sqlite/sqlite_store.h"

namespace trackly::spool {
namespace {

constexpr int64_t kStart = 1'795'314'529'000'000'000;

model::Observation Span(const std::string& trace, const std::string& id, const std::string& parent = "") {
  model::Observation o;
  o.trace_id = trace;
  o.id = id;
  o.parent_id = parent;
  o.name = absl::StrCat("step ", id);
  o.start_time_ns = kStart;
  o.end_time_ns = kStart + 1'000'000;
  o.input = "question";
  return o;
}

// The real SQLite store, failing the first `failures` writes as an unreachable backend would.
class FlakyStore final : public store::Store {
 public:
  FlakyStore(store::Store& inner, int failures) : inner_(inner), failures_(failures) {}
  store::Capabilities capabilities() const override { return inner_.capabilities(); }
  store::StoreStats stats() const override { return inner_.stats(); }
  void Write(store::WriteBatch batch, store::WriteCallback done) override {
    ++attempts;
    // Every shipped observation comes with the text it was decoded from (WriteBatch::observation_json),
    // decoded but for the fields the text keeps for it.
    bool texts_match = batch.observation_json.size() == batch.observations.size();
    for (size_t i = 0; texts_match && i < batch.observations.size(); ++i) {
      model::Observation summary;
      texts_match =
          model::ParseObservationJson(batch.observation_json[i], model::ObservationFields::kSummary, summary).ok() &&
          summary == batch.observations[i];
    }
    if (!texts_match) ++batches_without_matching_texts;
    if (failures_.fetch_sub(1) > 0) return done(absl::UnavailableError("backend down"));
    inner_.Write(std::move(batch), std::move(done));
  }
  void Drain() override {}
  absl::StatusOr<store::TracePage> ListTraces(const store::TraceQuery& q) override { return inner_.ListTraces(q); }
  absl::StatusOr<store::TraceDetail> GetTrace(std::string_view p, std::string_view t) override {
    return inner_.GetTrace(p, t);
  }
  absl::StatusOr<store::SessionPage> ListSessions(const store::SessionQuery& q) override {
    return inner_.ListSessions(q);
  }
  absl::StatusOr<store::ScorePage> ListScores(const store::ScoreQuery& q) override { return inner_.ListScores(q); }
  absl::StatusOr<std::string> FindTraceIdOfObservation(std::string_view p, std::string_view o) override {
    return inner_.FindTraceIdOfObservation(p, o);
  }
  absl::StatusOr<store::SessionDetail> GetSession(std::string_view p, std::string_view s) override {
    return inner_.GetSession(p, s);
  }
  // Records what the backing store held when it was asked to expire, and answers with fixed stats.
  absl::StatusOr<store::ExpireStats> Expire(const store::ExpireRequest& request) override {
    ++expire_calls;
    absl::StatusOr<store::TracePage> held = inner_.ListTraces(store::TraceQuery{.project = request.project});
    traces_held_at_expire = held.ok() ? static_cast<int>(held->traces.size()) : -1;
    return store::ExpireStats{.partitions_dropped = 1, .traces_cleared = 2, .traces_removed = 3};
  }

  void NoteRetention(std::string_view project, int32_t payload_days, int32_t summary_days) override {
    absl::MutexLock lock(&mu);
    noted = absl::StrCat(std::string(project), " ", payload_days, " ", summary_days);
  }

  std::atomic<int> attempts{0};
  std::atomic<int> batches_without_matching_texts{0};
  std::atomic<int> expire_calls{0};
  absl::Mutex mu;
  std::string noted ABSL_GUARDED_BY(mu);  // the last NoteRetention: "project payload summary"
  std::atomic<int> traces_held_at_expire{-1};

 private:
  store::Store& inner_;
  std::atomic<int> failures_;
};

class SpooledStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("trackly-spooled-", getpid(), "-", counter_++);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "db");
    auto sqlite = store::SqliteStore::Open({.dir = (dir_ / "db").string(), .sync_full = false});
    ASSERT_TRUE(sqlite.ok()) << sqlite.status();
    sqlite_ = *std::move(sqlite);
  }
  void TearDown() override {
    sqlite_.reset();
    std::filesystem::remove_all(dir_);
  }

  SpooledStoreOptions Options() {
    SpooledStoreOptions options;
    options.spool.directory = (dir_ / "spool").string();
    options.spool.node_id = "node-1";
    options.spool.segment_max_age = absl::Milliseconds(20);
    options.spool.retry_min = absl::Milliseconds(5);
    options.spool.retry_max = absl::Milliseconds(20);
    options.drain_ship_timeout = absl::Milliseconds(200);
    return options;
  }

  static absl::Status WriteAcked(store::Store& store, store::WriteBatch batch) {
    return store::WriteAndWait(store, std::move(batch));
  }

  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::unique_ptr<store::SqliteStore> sqlite_;
};

TEST(BatchRecordTest, RoundTripsObservationsFragmentsAndScores) {
  store::WriteBatch batch{.project = "p"};
  batch.observations = {Span("t1", "a"), Span("t1", "b", "a")};
  batch.fragments.push_back(model::ObservationFragment{
      .observation = Span("t2", "run"), .fields = 7, .kind = model::FragmentKind::kUpdate, .event_time_ns = kStart,
      .event_id = "e1"});
  batch.scores.push_back(model::Score{.id = "s", .trace_id = "t1", .name = "q", .value = 1.5, .time_ns = kStart});
  batch.observations[1].attributes = model::Json{{"k", "v"}};
  const std::string record = EncodeBatchRecord(batch);  // the decoded texts point into it
  absl::StatusOr<store::WriteBatch> back = DecodeBatchRecord(record);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->project, "p");
  EXPECT_EQ(back->fragments, batch.fragments);
  EXPECT_EQ(back->scores, batch.scores);
  // The observations are decoded but for what their texts keep for them.
  ASSERT_EQ(back->observation_json.size(), batch.observations.size());
  ASSERT_EQ(back->observations.size(), batch.observations.size());
  for (size_t i = 0; i < batch.observations.size(); ++i) {
    model::Observation summary;
    ASSERT_TRUE(
        model::ParseObservationJson(back->observation_json[i], model::ObservationFields::kSummary, summary).ok());
    EXPECT_EQ(back->observations[i], summary);
  }
  EXPECT_TRUE(back->observations[1].attributes.empty());
  ASSERT_TRUE(store::ObservationsFromTexts(*back).ok());
  EXPECT_EQ(back->observations, batch.observations);
  EXPECT_FALSE(DecodeBatchRecord("\x05\x00\x00\x00{").ok());
  EXPECT_FALSE(DecodeBatchRecord(EncodeBatchRecord(batch).substr(0, 40)).ok());
}

TEST_F(SpooledStoreTest, AcknowledgedWritesReachTheBackingStore) {
  auto spooled = SpooledStore::Open(*sqlite_, Options());
  ASSERT_TRUE(spooled.ok()) << spooled.status();
  ASSERT_TRUE((*spooled)->StartShipping(nullptr).ok());
  ASSERT_TRUE(WriteAcked(**spooled, {.project = "p", .observations = {Span("t1", "a"), Span("t1", "b", "a")}}).ok());
  ASSERT_TRUE(WriteAcked(**spooled, {.project = "q", .observations = {Span("t1", "a")}}).ok());
  ASSERT_TRUE((*spooled)->Flush(absl::Seconds(10)).ok());
  absl::StatusOr<store::TraceDetail> trace = (*spooled)->GetTrace("p", "t1");
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->observations.size(), 2u);
  EXPECT_EQ((*spooled)->GetTrace("q", "t1")->observations.size(), 1u);
  store::StoreStats stats = (*spooled)->stats();
  EXPECT_TRUE(stats.spool.enabled);
  EXPECT_EQ(stats.spool.records_waiting, 0);
  EXPECT_EQ(stats.spool.shipped_records, 2);
}

// A segment holding more spans than the backing store's write queue takes at once ships in
// writes within that bound, a record over it alone in parts: otherwise the backing store would
// refuse the segment on every retry.
TEST_F(SpooledStoreTest, ShipsASegmentInWritesWithinTheBackingStoresQueueBound) {
  std::filesystem::create_directories(dir_ / "small");
  auto small = store::SqliteStore::Open({.dir = (dir_ / "small").string(), .max_queue_observations = 3, .sync_full = false});
  ASSERT_TRUE(small.ok()) << small.status();
  SpooledStoreOptions options = Options();
  options.spool.segment_max_age = absl::Hours(1);  // the records below share one segment
  options.max_write_items = 3;
  FlakyStore backing(**small, /*failures=*/0);  // checks each write's texts
  auto spooled = SpooledStore::Open(backing, options);
  ASSERT_TRUE(spooled.ok()) << spooled.status();
  const std::vector<std::vector<std::string>> records = {{"a", "b"}, {"c", "d"}, {"e", "f", "g", "h", "i"}};
  for (const std::vector<std::string>& ids : records) {
    store::WriteBatch batch{.project = "p"};
    for (const std::string& id : ids) batch.observations.push_back(Span("t1", id, id == "a" ? "" : "a"));
    ASSERT_TRUE(WriteAcked(**spooled, std::move(batch)).ok());
  }
  ASSERT_TRUE((*spooled)->StartShipping(nullptr).ok());
  ASSERT_TRUE((*spooled)->Flush(absl::Seconds(10)).ok());
  absl::StatusOr<store::TraceDetail> trace = (*spooled)->GetTrace("p", "t1");
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->observations.size(), 9u);
  EXPECT_EQ(trace->trace.counts.observations, 9);
  EXPECT_GE(backing.attempts.load(), 3);  // {a, b}, {c, d}, then the last record in parts
  EXPECT_EQ(backing.batches_without_matching_texts.load(), 0);
}

// Consecutive records of one project ship as one write; a record of another project in between
// ends it. Every span arrives in its own project either way.
TEST_F(SpooledStoreTest, ShipsASegmentOfInterleavedProjectsIntoEachProject) {
  SpooledStoreOptions options = Options();
  options.spool.segment_max_age = absl::Hours(1);  // the records below share one segment
  auto spooled = SpooledStore::Open(*sqlite_, options);
  ASSERT_TRUE(spooled.ok()) << spooled.status();
  const std::vector<std::pair<std::string, std::vector<std::string>>> records = {
      {"p", {"a", "b"}}, {"p", {"c"}}, {"q", {"a"}}, {"p", {"d", "e"}}, {"q", {"b", "c"}}};
  for (const auto& [project, ids] : records) {
    store::WriteBatch batch{.project = project};
    for (const std::string& id : ids) batch.observations.push_back(Span("t1", id, id == "a" ? "" : "a"));
    ASSERT_TRUE(WriteAcked(**spooled, std::move(batch)).ok());
  }
  ASSERT_TRUE((*spooled)->StartShipping(nullptr).ok());
  ASSERT_TRUE((*spooled)->Flush(absl::Seconds(10)).ok());
  for (const auto& [project, count] : std::vector<std::pair<std::string, size_t>>{{"p", 5}, {"q", 3}}) {
    absl::StatusOr<store::TraceDetail> trace = (*spooled)->GetTrace(project, "t1");
    ASSERT_TRUE(trace.ok()) << project << ": " << trace.status();
    EXPECT_EQ(trace->observations.size(), count) << project;
    EXPECT_EQ(trace->trace.counts.observations, static_cast<int64_t>(count)) << project;
  }
}

TEST_F(SpooledStoreTest, TheShipperFinishesMergedFragmentsWithTheProjectsRewrite) {
  auto spooled = SpooledStore::Open(*sqlite_, Options());
  ASSERT_TRUE(spooled.ok()) << spooled.status();
  std::string asked_for;
  ASSERT_TRUE((*spooled)
                  ->StartShipping([&asked_for](std::string_view project) -> store::ObservationRewrite {
                    asked_for = std::string(project);
                    return [](model::Observation& o) {
                      o.name = "finished";
                      return true;
                    };
                  })
                  .ok());
  store::WriteBatch batch{.project = "p"};
  batch.fragments.push_back(model::ObservationFragment{
      .observation = Span("t5", "run"), .fields = ~uint64_t{0}, .event_time_ns = kStart, .event_id = "e1"});
  ASSERT_TRUE(WriteAcked(**spooled, std::move(batch)).ok());
  ASSERT_TRUE((*spooled)->Flush(absl::Seconds(10)).ok());
  EXPECT_EQ(asked_for, "p");
  absl::StatusOr<store::TraceDetail> trace = (*spooled)->GetTrace("p", "t5");
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->observations.at(0).name, "finished");
}

TEST_F(SpooledStoreTest, ABackendOutageIsRetriedWithoutLosingOrDoublingAnything) {
  FlakyStore flaky(*sqlite_, /*failures=*/3);
  auto spooled = SpooledStore::Open(flaky, Options());
  ASSERT_TRUE(spooled.ok()) << spooled.status();
  ASSERT_TRUE((*spooled)->StartShipping(nullptr).ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(WriteAcked(**spooled, {.project = "p", .observations = {Span("t1", absl::StrCat("s", i))}}).ok());
  }
  ASSERT_TRUE((*spooled)->Flush(absl::Seconds(10)).ok());
  EXPECT_GT(flaky.attempts.load(), 3);
  EXPECT_EQ(flaky.batches_without_matching_texts.load(), 0);
  EXPECT_EQ((*spooled)->GetTrace("p", "t1")->observations.size(), 5u);
  EXPECT_EQ((*spooled)->stats().spool.consecutive_failures, 0);
}

TEST_F(SpooledStoreTest, WhatWasNotShippedShipsAfterARestart) {
  {
    FlakyStore down(*sqlite_, /*failures=*/1'000'000);
    auto spooled = SpooledStore::Open(down, Options());
    ASSERT_TRUE(spooled.ok()) << spooled.status();
    ASSERT_TRUE((*spooled)->StartShipping(nullptr).ok());
    ASSERT_TRUE(WriteAcked(**spooled, {.project = "p", .observations = {Span("t9", "a")}}).ok());
    EXPECT_EQ((*spooled)->GetTrace("p", "t9").status().code(), absl::StatusCode::kNotFound);
    (*spooled)->Drain();  // cannot ship: the record stays in the spool
    EXPECT_NE((*spooled)->stats().spool.last_error, "");
  }
  auto spooled = SpooledStore::Open(*sqlite_, Options());
  ASSERT_TRUE(spooled.ok()) << spooled.status();
  ASSERT_TRUE((*spooled)->StartShipping(nullptr).ok());
  ASSERT_TRUE((*spooled)->Flush(absl::Seconds(10)).ok());
  EXPECT_EQ((*spooled)->GetTrace("p", "t9")->observations.size(), 1u);
}

TEST_F(SpooledStoreTest, AFullSpoolRefusesWithUnavailable) {
  SpooledStoreOptions options = Options();
  options.spool.max_bytes = 4096;
  FlakyStore down(*sqlite_, /*failures=*/1'000'000);
  auto spooled = SpooledStore::Open(down, options);
  ASSERT_TRUE(spooled.ok()) << spooled.status();
  ASSERT_TRUE((*spooled)->StartShipping(nullptr).ok());
  absl::Status status;
  int acknowledged = 0;
  for (int i = 0; i < 100 && status.ok(); ++i) {
    status = WriteAcked(**spooled, {.project = "p", .observations = {Span("t", absl::StrCat("s", i))}});
    if (status.ok()) ++acknowledged;
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_GT(acknowledged, 0);
}

// An expiry must not be followed by the shipping of older acknowledged payloads into the days it
// just expired, so what was acknowledged ships first.
TEST_F(SpooledStoreTest, ExpireShipsWhatWasAcknowledgedFirst) {
  FlakyStore backing(*sqlite_, /*failures=*/2);  // the first shipments fail and are retried
  auto spooled = SpooledStore::Open(backing, Options());
  ASSERT_TRUE(spooled.ok()) << spooled.status();
  ASSERT_TRUE((*spooled)->StartShipping(nullptr).ok());
  ASSERT_TRUE(WriteAcked(**spooled, {.project = "p", .observations = {Span("t1", "a")}}).ok());
  ASSERT_TRUE(WriteAcked(**spooled, {.project = "p", .observations = {Span("t2", "a")}}).ok());
  absl::StatusOr<store::ExpireStats> stats =
      (*spooled)->Expire(store::ExpireRequest{.project = "p", .payload_before_day = 20'000});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(backing.expire_calls.load(), 1);
  EXPECT_EQ(backing.traces_held_at_expire.load(), 2);
  EXPECT_EQ(stats->partitions_dropped, 1);  // the backing store's answer, passed on
  EXPECT_EQ(stats->traces_cleared, 2);
  EXPECT_EQ(stats->traces_removed, 3);
}

// The retention a project follows is the backing store's to know at once, even while the spool
// cannot ship (it only decides where rows are put as they ship).
TEST_F(SpooledStoreTest, NoteRetentionReachesTheBackingStoreAtOnce) {
  FlakyStore down(*sqlite_, /*failures=*/1'000'000);
  auto spooled = SpooledStore::Open(down, Options());
  ASSERT_TRUE(spooled.ok()) << spooled.status();
  ASSERT_TRUE((*spooled)->StartShipping(nullptr).ok());
  ASSERT_TRUE(WriteAcked(**spooled, {.project = "p", .observations = {Span("t1", "a")}}).ok());
  (*spooled)->NoteRetention("p", 7, 30);
  absl::MutexLock lock(&down.mu);
  EXPECT_EQ(down.noted, "p 7 30");
}

TEST_F(SpooledStoreTest, ExpireIsUnavailableWhileTheSpoolCannotShip) {
  SpooledStoreOptions options = Options();
  options.erase_flush_timeout = absl::Milliseconds(50);
  FlakyStore down(*sqlite_, /*failures=*/1'000'000);
  auto spooled = SpooledStore::Open(down, options);
  ASSERT_TRUE(spooled.ok()) << spooled.status();
  ASSERT_TRUE((*spooled)->StartShipping(nullptr).ok());
  ASSERT_TRUE(WriteAcked(**spooled, {.project = "p", .observations = {Span("t1", "a")}}).ok());
  absl::StatusOr<store::ExpireStats> stats =
      (*spooled)->Expire(store::ExpireRequest{.project = "p", .payload_before_day = 20'000});
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kUnavailable) << stats.status();
  EXPECT_EQ(down.expire_calls.load(), 0);
}

TEST_F(SpooledStoreTest, ExpireChecksTheRequestBeforeShipping) {
  FlakyStore backing(*sqlite_, /*failures=*/0);
  auto spooled = SpooledStore::Open(backing, Options());
  ASSERT_TRUE(spooled.ok()) << spooled.status();
  ASSERT_TRUE((*spooled)->StartShipping(nullptr).ok());
  absl::StatusOr<store::ExpireStats> stats = (*spooled)->Expire(store::ExpireRequest{.payload_before_day = 20'000});
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument) << stats.status();
  EXPECT_EQ(backing.expire_calls.load(), 0);
}

TEST_F(SpooledStoreTest, DropSampledOutShipsWhatWasAcknowledgedFirst) {
  auto spooled = SpooledStore::Open(*sqlite_, Options());
  ASSERT_TRUE(spooled.ok()) << spooled.status();
  ASSERT_TRUE((*spooled)->StartShipping(nullptr).ok());
  ASSERT_TRUE(WriteAcked(**spooled, {.project = "p", .observations = {Span("t1", "a"), Span("t2", "a")}}).ok());
  // Acknowledged from the spool, perhaps not shipped yet: the drop must still find t1.
  absl::StatusOr<store::EraseStats> dropped = (*spooled)->DropSampledOut("p", {"t1"});
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(dropped->traces, 1);
  EXPECT_TRUE(absl::IsNotFound(sqlite_->GetTrace("p", "t1").status()));
  EXPECT_TRUE(sqlite_->GetTrace("p", "t2").ok());
  EXPECT_EQ((*spooled)->DropSampledOut("", {"t1"}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trackly::spool
