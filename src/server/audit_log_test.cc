#include "server/audit_log.h"

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace trackly::server {
namespace {

constexpr int64_t kNow = 1'795'314'529'000'000'000;

// Keeps appended audit events in memory; can be told to fail. Thread-safe (the AuditLog's writer
// thread appends). Only the audit methods are used.
class FakeCatalog final : public store::Catalog {
 public:
  absl::StatusOr<store::Project> CreateProject(std::string_view, int64_t) override { return Unused(); }
  absl::StatusOr<std::vector<store::Project>> ListProjects() override { return Unused(); }
  absl::StatusOr<store::Project> GetProject(std::string_view) override { return Unused(); }
  absl::Status InsertKey(const store::ApiKeyRecord&) override { return Unused(); }
  absl::StatusOr<std::vector<store::ApiKeyRecord>> ListKeys(std::string_view) override { return Unused(); }
  absl::Status RevokeKey(std::string_view, int64_t) override { return Unused(); }
  absl::StatusOr<store::ApiKeyRecord> FindKey(std::string_view) override { return Unused(); }

  absl::Status AppendAudit(const std::vector<store::AuditEvent>& events) override {
    absl::MutexLock lock(&mu_);
    if (fail_) return absl::UnavailableError("catalog.db is locked");
    ++appends_;
    events_.insert(events_.end(), events.begin(), events.end());
    return absl::OkStatus();
  }

  void SetFailing(bool fail) {
    absl::MutexLock lock(&mu_);
    fail_ = fail;
  }
  std::vector<store::AuditEvent> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  int appends() {
    absl::MutexLock lock(&mu_);
    return appends_;
  }
  // Blocks until at least `n` events were appended.
  void AwaitEvents(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return events_.size() >= n; };
    mu_.Await(absl::Condition(&enough));
  }

 private:
  static absl::Status Unused() { return absl::InternalError("not used by AuditLog"); }

  absl::Mutex mu_;
  std::vector<store::AuditEvent> events_ ABSL_GUARDED_BY(mu_);
  int appends_ ABSL_GUARDED_BY(mu_) = 0;
  bool fail_ ABSL_GUARDED_BY(mu_) = false;
};

// Options under which only Flush() (or the destructor) writes queued events.
AuditLog::Options ManualFlush() {
  return AuditLog::Options{.max_queued_events = 100, .flush_batch_events = 100, .flush_interval_ms = 3'600'000};
}

store::AuditEvent View(std::string trace_id) {
  return MakeEvent("p1", "user:olga", audit_action::kTraceView, trace_id);
}

TEST(AuditActorTest, OneRuleForEveryKindOfCaller) {
  struct Case {
    RequestContext context;
    std::string actor;
  };
  std::vector<Case> cases;
  cases.push_back({RequestContext{.project = "p1", .csrf_token = "c", .user = "olga"}, "user:olga"});
  cases.push_back({RequestContext{.project = "p1", .key_id = "pk-123"}, "key:pk-123"});
  cases.push_back({RequestContext{.project = "p1", .csrf_token = "c"}, "link:p1"});
  cases.push_back({RequestContext{.project = "default"}, "system"});
  for (const Case& c : cases) EXPECT_EQ(AuditActor(c.context), c.actor);
  EXPECT_EQ(CliActor("root"), "cli:root");
}

TEST(AuditEventTest, RequestEventIsTheCallersEventInItsProject) {
  store::AuditEvent event = RequestEvent(RequestContext{.project = "p1", .key_id = "pk-1"}, audit_action::kKeyRevoke,
                                         "pk-2", {{"name", "ci"}});
  EXPECT_EQ(event.project, "p1");
  EXPECT_EQ(event.actor, "key:pk-1");
  EXPECT_EQ(event.action, "key.revoke");
  EXPECT_EQ(event.target, "pk-2");
  EXPECT_EQ(event.details_json, R"({"name":"ci"})");
  EXPECT_EQ(MakeEvent("", "system", audit_action::kUserCreate, "olga").details_json, "{}");
}

TEST(AuditEventTest, CapsAndCleansTextARequestSent) {
  // A failed sign-in records the name tried, which may be long or hold terminal escapes.
  std::string tried = "\x1b[31m" + std::string(300, 'a');
  store::AuditEvent event = MakeEvent("", UserActor(tried), audit_action::kSignInFailure, "");
  EXPECT_EQ(event.actor.size(), 256u);
  EXPECT_EQ(event.actor.substr(0, 10), "user:?[31m");
  // A cut never splits a UTF-8 sequence: 2-byte "é" straddling the limit is dropped whole.
  std::string accented(255, 'x');
  accented += "\xC3\xA9";  // appended, not operator+: GCC 12 warns falsely (-Warray-bounds) on that
  EXPECT_EQ(MakeEvent("", "system", audit_action::kTraceView, accented).target, std::string(255, 'x'));
}

TEST(AuditLogTest, RecordIsWrittenBeforeItReturnsWithTheClocksTime) {
  FakeCatalog catalog;
  FakeClock clock(kNow);
  AuditLog audit(catalog, clock, ManualFlush());
  ASSERT_TRUE(audit.Record(MakeEvent("p1", "user:olga", audit_action::kKeyCreate, "pk-1")).ok());
  std::vector<store::AuditEvent> events = catalog.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].time_ns, kNow);
  EXPECT_EQ(events[0].action, "key.create");
}

TEST(AuditLogTest, RecordReportsTheCatalogsError) {
  FakeCatalog catalog;
  FakeClock clock(kNow);
  AuditLog audit(catalog, clock, ManualFlush());
  catalog.SetFailing(true);
  absl::Status status = audit.Record(MakeEvent("p1", "user:olga", audit_action::kKeyCreate, "pk-1"));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(UnrecordedChangeError(status).code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(UnrecordedChangeError(status).message().find("could not be recorded"), std::string_view::npos);
}

TEST(AuditLogTest, QueuedEventsWaitForAFlushAndKeepTheirOrderAndTime) {
  FakeCatalog catalog;
  FakeClock clock(kNow);
  AuditLog audit(catalog, clock, ManualFlush());
  audit.RecordLater(View("t1"));
  clock.Advance(5);
  audit.RecordLater(View("t2"));
  EXPECT_TRUE(catalog.events().empty()) << "a view must not be written on the request path";
  ASSERT_TRUE(audit.Flush().ok());
  std::vector<store::AuditEvent> events = catalog.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].target, "t1");
  EXPECT_EQ(events[0].time_ns, kNow);
  EXPECT_EQ(events[1].target, "t2");
  EXPECT_EQ(events[1].time_ns, kNow + 5);
  EXPECT_EQ(catalog.appends(), 1) << "one append (one transaction) per flush";
}

TEST(AuditLogTest, AFullBatchIsWrittenInTheBackground) {
  FakeCatalog catalog;
  FakeClock clock(kNow);
  AuditLog audit(catalog, clock,
                 AuditLog::Options{.max_queued_events = 100, .flush_batch_events = 3, .flush_interval_ms = 3'600'000});
  for (const char* id : {"t1", "t2", "t3"}) audit.RecordLater(View(id));
  catalog.AwaitEvents(3);  // hangs (and the test times out) if the writer never wakes up
  EXPECT_EQ(catalog.events().size(), 3u);
}

TEST(AuditLogTest, DestructionWritesWhatIsQueued) {
  FakeCatalog catalog;
  FakeClock clock(kNow);
  {
    AuditLog audit(catalog, clock, ManualFlush());
    audit.RecordLater(View("t1"));
  }
  ASSERT_EQ(catalog.events().size(), 1u);
  EXPECT_EQ(catalog.events()[0].target, "t1");
}

TEST(AuditLogTest, AFullQueueDropsAndCountsNewEvents) {
  FakeCatalog catalog;
  FakeClock clock(kNow);
  AuditLog audit(catalog, clock,
                 AuditLog::Options{.max_queued_events = 2, .flush_batch_events = 100, .flush_interval_ms = 3'600'000});
  for (const char* id : {"t1", "t2", "t3"}) audit.RecordLater(View(id));
  EXPECT_EQ(audit.dropped_events(), 1);
  ASSERT_TRUE(audit.Flush().ok());
  std::vector<store::AuditEvent> events = catalog.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].target, "t2");
}

TEST(AuditLogTest, AFailedFlushKeepsTheEventsForTheNextOne) {
  FakeCatalog catalog;
  FakeClock clock(kNow);
  AuditLog audit(catalog, clock, ManualFlush());
  audit.RecordLater(View("t1"));
  catalog.SetFailing(true);
  EXPECT_EQ(audit.Flush().code(), absl::StatusCode::kUnavailable);
  audit.RecordLater(View("t2"));
  catalog.SetFailing(false);
  ASSERT_TRUE(audit.Flush().ok());
  std::vector<store::AuditEvent> events = catalog.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].target, "t1");
  EXPECT_EQ(events[1].target, "t2");
  EXPECT_EQ(audit.dropped_events(), 0);
}

}  // namespace
}  // namespace trackly::server
