// Conformance of Catalog's project alert rules, webhook secrets and alert events (store/catalog.h
// "Project alert rules and events").
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1'795'314'529'000'000'000;
constexpr char kEmpty[] = R"({"rules":[]})";
constexpr char kRules[] = R"({"rules":[
  {"name":"search errors","metric":{"measure":"error_rate","filters":{"tool":"search"}},"window_minutes":15,
   "condition":"above","threshold":0.2,"min_count":10,"webhook":"https://hooks.example.com/a"},
  {"webhook":"https://hooks.example.com/b","threshold":1,"condition":"above","window_minutes":60,
   "metric":{"score":{"name_prefix":"trackly.finding.","measure":"count"}},"name":"findings"}]})";
// The same rules, fields in another order, defaults written out.
constexpr char kRulesReordered[] = R"({"rules":[
  {"threshold":0.2,"condition":"above","window_minutes":15,"enabled":true,"min_count":10,
   "metric":{"filters":{"tool":"search"},"level":"observation","measure":"error_rate"},
   "webhook":"https://hooks.example.com/a","name":"search errors"},
  {"name":"findings","metric":{"score":{"measure":"count","name_prefix":"trackly.finding."}},"window_minutes":60,
   "condition":"above","threshold":1.0,"webhook":"https://hooks.example.com/b","min_count":0}]})";

bool HasAlerts(Catalog& catalog) {
  return catalog.ListAlertRules().status().code() != absl::StatusCode::kUnimplemented;
}

void CreateProjects(Catalog& catalog) {
  ASSERT_TRUE(catalog.CreateProject("alpha", kNow).ok());
  ASSERT_TRUE(catalog.CreateProject("beta", kNow).ok());
}

AlertEvent Event(std::string project, std::string alert, int64_t time_ns,
                 AlertState state = AlertState::kFiring) {
  return AlertEvent{.project = std::move(project),
                    .alert = std::move(alert),
                    .time_ns = time_ns,
                    .state = state,
                    .value = 0.25,
                    .threshold = 0.2,
                    .rule_fingerprint = "f1"};
}

TEST_P(CatalogConformanceTest, PutsGetsListsAndRemovesAlertRulesKeepingTheFirstWebhookSecret) {
  if (!HasAlerts(*catalog_)) GTEST_SKIP() << "backend keeps no alerts";
  CreateProjects(*catalog_);
  absl::StatusOr<AlertRulesRecord> none = catalog_->GetAlertRules("alpha");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->rules_json, kEmpty);
  EXPECT_EQ(none->updated_ns, 0);
  EXPECT_EQ(none->webhook_secret, "");
  EXPECT_TRUE(catalog_->ListAlertRules()->empty());

  absl::StatusOr<AlertRulesRecord> put = catalog_->PutAlertRules("alpha", kRules, "whsec_first", kNow);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->updated_ns, kNow);
  EXPECT_EQ(put->webhook_secret, "whsec_first");
  EXPECT_THAT(put->rules_json, HasSubstr("search errors"));
  absl::StatusOr<AlertRulesRecord> got = catalog_->GetAlertRules("alpha");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->rules_json, put->rules_json);
  EXPECT_EQ(got->webhook_secret, "whsec_first");
  // Normalized: the same rules in another shape are stored as the same text; the secret stays.
  absl::StatusOr<AlertRulesRecord> again = catalog_->PutAlertRules("alpha", kRulesReordered, "whsec_second", kNow + 1);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->rules_json, put->rules_json);
  EXPECT_EQ(again->webhook_secret, "whsec_first");
  EXPECT_EQ(catalog_->GetAlertRules("beta")->rules_json, kEmpty);

  ASSERT_TRUE(catalog_->PutAlertRules("beta", kRules, "whsec_beta", kNow + 2).ok());
  absl::StatusOr<std::vector<AlertRulesRecord>> all = catalog_->ListAlertRules();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].project, "alpha");
  EXPECT_EQ((*all)[0].webhook_secret, "whsec_first");
  EXPECT_EQ((*all)[0].updated_ns, kNow + 1);
  EXPECT_EQ((*all)[1].project, "beta");
  EXPECT_EQ((*all)[1].webhook_secret, "whsec_beta");

  // An empty list removes the rules but not the secret, so a receiver's setup stays valid.
  absl::StatusOr<AlertRulesRecord> removed = catalog_->PutAlertRules("alpha", kEmpty, "whsec_third", kNow + 3);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->rules_json, kEmpty);
  EXPECT_EQ(removed->webhook_secret, "whsec_first");
  ASSERT_EQ(catalog_->ListAlertRules()->size(), 1u);
  EXPECT_EQ(catalog_->GetAlertRules("alpha")->webhook_secret, "whsec_first");
}

TEST_P(CatalogConformanceTest, RejectsBadAlertRulesChangingNothingAndUnknownProjects) {
  if (!HasAlerts(*catalog_)) GTEST_SKIP() << "backend keeps no alerts";
  CreateProjects(*catalog_);
  ASSERT_TRUE(catalog_->PutAlertRules("alpha", kRules, "whsec_a", kNow).ok());
  struct Case {
    const char* rules_json;
    const char* named;
  };
  for (const Case& bad : std::vector<Case>{
           {"not json", "rules: must be a JSON object"},
           {R"({"rules":[{"name":"broken","metric":{"measure":"nope"},"window_minutes":5,"condition":"above",)"
            R"("threshold":1,"webhook":"https://x"}]})",
            R"(rule 0 ("broken"): metric.measure)"},
           {R"({"rules":[{"name":"w","metric":{"measure":"count"},"window_minutes":0,"condition":"above",)"
            R"("threshold":1,"webhook":"https://x"}]})",
            "window_minutes"},
       }) {
    SCOPED_TRACE(bad.rules_json);
    absl::Status status = catalog_->PutAlertRules("alpha", bad.rules_json, "whsec_b", kNow + 1).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr(bad.named));
    absl::StatusOr<AlertRulesRecord> unchanged = catalog_->GetAlertRules("alpha");
    ASSERT_TRUE(unchanged.ok()) << unchanged.status();
    EXPECT_THAT(unchanged->rules_json, HasSubstr("search errors"));
    EXPECT_EQ(unchanged->updated_ns, kNow);
  }
  EXPECT_EQ(catalog_->PutAlertRules("gamma", kRules, "whsec_c", kNow).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->GetAlertRules("gamma").status().code(), absl::StatusCode::kNotFound);
  // A bad put of a project without a secret gives it none.
  EXPECT_FALSE(catalog_->PutAlertRules("beta", "[]", "whsec_d", kNow).ok());
  EXPECT_EQ(catalog_->GetAlertRules("beta")->webhook_secret, "");
}

TEST_P(CatalogConformanceTest, AppendsListsAndUpdatesAlertEventsPerProject) {
  if (!HasAlerts(*catalog_)) GTEST_SKIP() << "backend keeps no alerts";
  CreateProjects(*catalog_);
  absl::StatusOr<int64_t> first = catalog_->AppendAlertEvent(Event("alpha", "search errors", kNow));
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<int64_t> second = catalog_->AppendAlertEvent(Event("alpha", "cost", kNow + 1));
  ASSERT_TRUE(second.ok()) << second.status();
  absl::StatusOr<int64_t> third =
      catalog_->AppendAlertEvent(Event("alpha", "search errors", kNow + 2, AlertState::kResolved));
  ASSERT_TRUE(third.ok()) << third.status();
  ASSERT_TRUE(catalog_->AppendAlertEvent(Event("beta", "search errors", kNow + 3)).ok());
  EXPECT_LT(*first, *second);
  EXPECT_LT(*second, *third);

  absl::StatusOr<std::vector<AlertEvent>> alpha = catalog_->ListAlertEvents({.project = "alpha"});
  ASSERT_TRUE(alpha.ok()) << alpha.status();
  ASSERT_EQ(alpha->size(), 3u);  // newest first, beta's not among them
  EXPECT_EQ((*alpha)[0].id, *third);
  EXPECT_EQ((*alpha)[0].state, AlertState::kResolved);
  EXPECT_EQ((*alpha)[1].alert, "cost");
  EXPECT_EQ((*alpha)[2].id, *first);
  const AlertEvent& stored = (*alpha)[2];
  EXPECT_EQ(stored.project, "alpha");
  EXPECT_EQ(stored.time_ns, kNow);
  EXPECT_EQ(stored.value, 0.25);
  EXPECT_EQ(stored.threshold, 0.2);
  EXPECT_EQ(stored.rule_fingerprint, "f1");
  EXPECT_EQ(stored.delivery.state, AlertDelivery::State::kPending);
  EXPECT_EQ(stored.delivery.attempts, 0);

  absl::StatusOr<std::vector<AlertEvent>> one =
      catalog_->ListAlertEvents({.project = "alpha", .alert = "search errors", .limit = 1});
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].id, *third);

  ASSERT_TRUE(catalog_
                  ->UpdateAlertDelivery("alpha", *first,
                                        AlertDelivery{.state = AlertDelivery::State::kFailed,
                                                      .attempts = 5,
                                                      .http_status = 503,
                                                      .error = "HTTP 503"})
                  .ok());
  const AlertEvent updated = catalog_->ListAlertEvents({.project = "alpha"})->back();
  EXPECT_EQ(updated.delivery.state, AlertDelivery::State::kFailed);
  EXPECT_EQ(updated.delivery.attempts, 5);
  EXPECT_EQ(updated.delivery.http_status, 503);
  EXPECT_EQ(updated.delivery.error, "HTTP 503");
  // Another project's event cannot be updated through this one.
  EXPECT_EQ(catalog_->UpdateAlertDelivery("beta", *first, AlertDelivery{}).code(), absl::StatusCode::kNotFound);

  EXPECT_EQ(catalog_->AppendAlertEvent(Event("gamma", "x", kNow)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->AppendAlertEvent(Event("alpha", "", kNow)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->AppendAlertEvent(Event("alpha", "x", 0)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->ListAlertEvents({.project = "alpha", .limit = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(CatalogConformanceTest, KeepsTheNewestThousandAlertEventsOfEachProject) {
  if (!HasAlerts(*catalog_)) GTEST_SKIP() << "backend keeps no alerts";
  CreateProjects(*catalog_);
  ASSERT_TRUE(catalog_->AppendAlertEvent(Event("beta", "kept", kNow)).ok());
  int64_t oldest_kept = 0;
  for (int i = 0; i < kMaxAlertEventsPerProject + 5; ++i) {
    absl::StatusOr<int64_t> id = catalog_->AppendAlertEvent(Event("alpha", absl::StrCat("a", i), kNow + i));
    ASSERT_TRUE(id.ok()) << id.status();
    if (i == 5) oldest_kept = *id;
  }
  absl::StatusOr<std::vector<AlertEvent>> alpha = catalog_->ListAlertEvents({.project = "alpha", .limit = 1000});
  ASSERT_TRUE(alpha.ok()) << alpha.status();
  ASSERT_EQ(alpha->size(), static_cast<size_t>(kMaxAlertEventsPerProject));
  EXPECT_EQ(alpha->back().id, oldest_kept);
  EXPECT_EQ(alpha->back().alert, "a5");
  // The other project's events are not counted against it.
  EXPECT_THAT(*catalog_->ListAlertEvents({.project = "beta"}),
              ElementsAre(::testing::Field(&AlertEvent::alert, "kept")));
}

}  // namespace
}  // namespace trackly::store::conformance
