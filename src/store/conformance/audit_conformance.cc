// Conformance of Catalog's audit log (store/catalog.h "Audit log").
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int64_t kNow = 1'795'314'529'000'000'000;

AuditEvent Event(std::string project, std::string action, int64_t time_ns, std::string actor = "user:olga",
                 std::string target = "") {
  return AuditEvent{.time_ns = time_ns,
                    .project = std::move(project),
                    .actor = std::move(actor),
                    .action = std::move(action),
                    .target = std::move(target)};
}

std::vector<std::string> Actions(const AuditPage& page) {
  std::vector<std::string> actions;
  for (const AuditEvent& event : page.events) actions.push_back(event.action);
  return actions;
}

AuditPage List(Catalog& catalog, AuditQuery query) {
  absl::StatusOr<AuditPage> page = catalog.ListAudit(query);
  EXPECT_TRUE(page.ok()) << page.status();
  return page.ok() ? *std::move(page) : AuditPage{};
}

TEST_P(CatalogConformanceTest, AppendsAndListsAuditEventsNewestFirst) {
  AuditEvent with_details = Event("alpha", "key.create", kNow + 2, "key:pk-1", "pk-2");
  with_details.details_json = R"({"scopes":"ingest,read"})";
  ASSERT_TRUE(catalog_->AppendAudit({Event("alpha", "project.create", kNow, "cli:root", "alpha"), with_details}).ok());
  ASSERT_TRUE(catalog_->AppendAudit({Event("", "user.create", kNow + 1, "cli:root", "olga")}).ok());

  AuditPage all = List(*catalog_, AuditQuery{});
  EXPECT_THAT(Actions(all), ElementsAre("key.create", "user.create", "project.create"));
  EXPECT_TRUE(all.next_cursor.empty());
  const AuditEvent& newest = all.events.front();
  EXPECT_EQ(newest.time_ns, kNow + 2);
  EXPECT_EQ(newest.project, "alpha");
  EXPECT_EQ(newest.actor, "key:pk-1");
  EXPECT_EQ(newest.target, "pk-2");
  EXPECT_EQ(newest.details_json, R"({"scopes":"ingest,read"})");
  EXPECT_NE(all.events[0].id, all.events[1].id);
  EXPECT_GT(all.events[1].id, all.events[2].id) << "ids increase in append order";

  EXPECT_THAT(Actions(List(*catalog_, AuditQuery{.project = "alpha"})), ElementsAre("key.create", "project.create"));
  EXPECT_THAT(Actions(List(*catalog_, AuditQuery{.project = ""})), ElementsAre("user.create"));
  EXPECT_THAT(List(*catalog_, AuditQuery{.project = "beta"}).events, IsEmpty());
}

TEST_P(CatalogConformanceTest, FiltersAuditEvents) {
  ASSERT_TRUE(catalog_
                  ->AppendAudit({Event("alpha", "trace.view", kNow, "user:olga", "t1"),
                                 Event("alpha", "trace.view", kNow + 10, "key:pk-1", "t2"),
                                 Event("alpha", "key.revoke", kNow + 20, "user:olga", "pk-1"),
                                 Event("beta", "trace.view", kNow + 30, "user:olga", "t1")})
                  .ok());
  EXPECT_THAT(Actions(List(*catalog_, AuditQuery{.project = "alpha", .action = "trace.view"})),
              ElementsAre("trace.view", "trace.view"));
  AuditPage by_actor = List(*catalog_, AuditQuery{.project = "alpha", .actor = "user:olga"});
  ASSERT_EQ(by_actor.events.size(), 2u);
  EXPECT_EQ(by_actor.events[0].target, "pk-1");
  EXPECT_EQ(by_actor.events[1].target, "t1");
  EXPECT_EQ(List(*catalog_, AuditQuery{.target = "t1"}).events.size(), 2u);
  AuditPage in_range = List(*catalog_, AuditQuery{.from_ns = kNow + 10, .to_ns = kNow + 30});
  EXPECT_THAT(Actions(in_range), ElementsAre("key.revoke", "trace.view"));
  EXPECT_EQ(in_range.events[1].target, "t2");
}

TEST_P(CatalogConformanceTest, PagesThroughAuditEventsWithACursor) {
  std::vector<AuditEvent> events;
  // Two events share each time, so the cursor must order by id within a time.
  for (int i = 0; i < 7; ++i) events.push_back(Event("alpha", "trace.view", kNow + i / 2, "user:olga", std::to_string(i)));
  ASSERT_TRUE(catalog_->AppendAudit(events).ok());
  std::vector<std::string> seen;
  AuditQuery query{.project = "alpha", .limit = 3};
  for (int pages = 0; pages < 5; ++pages) {
    AuditPage page = List(*catalog_, query);
    for (const AuditEvent& event : page.events) seen.push_back(event.target);
    if (page.next_cursor.empty()) break;
    // An event appended between pages with a newer time does not shift the pages.
    ASSERT_TRUE(catalog_->AppendAudit({Event("alpha", "trace.view", kNow + 100, "user:olga", "late")}).ok());
    query.cursor = page.next_cursor;
  }
  EXPECT_THAT(seen, ElementsAre("6", "5", "4", "3", "2", "1", "0"));
}

TEST_P(CatalogConformanceTest, RejectsBadAuditEventsAndAppendsNoneOfTheBatch) {
  AuditEvent bad_details = Event("alpha", "key.create", kNow);
  bad_details.details_json = "[1]";
  struct Case {
    AuditEvent event;
    std::string field;
  };
  for (const Case& c : {Case{Event("alpha", "key.create", 0), "time_ns"}, Case{Event("alpha", "", kNow), "action"},
                        Case{Event("alpha", "key.create", kNow, ""), "actor"}, Case{bad_details, "details_json"}}) {
    absl::Status status = catalog_->AppendAudit({Event("alpha", "project.create", kNow), c.event});
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr(c.field));
  }
  EXPECT_THAT(List(*catalog_, AuditQuery{}).events, IsEmpty());
}

TEST_P(CatalogConformanceTest, RejectsABadAuditLimitOrCursor) {
  EXPECT_EQ(catalog_->ListAudit(AuditQuery{.limit = 0}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->ListAudit(AuditQuery{.limit = kMaxListLimit + 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->ListAudit(AuditQuery{.cursor = "not a cursor"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(CatalogConformanceTest, AuditEventsAreSharedBetweenCatalogsOfOneLocation) {
  absl::StatusOr<std::unique_ptr<Catalog>> other = GetParam().open_catalog(location_);
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE((*other)->AppendAudit({Event("alpha", "user.create", kNow)}).ok());
  EXPECT_EQ(List(*catalog_, AuditQuery{}).events.size(), 1u);
}

}  // namespace
}  // namespace trackly::store::conformance
