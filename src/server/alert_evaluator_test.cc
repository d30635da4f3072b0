// AlertEvaluator over a real embedded store and catalog with a fake clock and a capturing sender:
// a rule fires once when its metric breaks the threshold, stays firing without repeating, and
// resolves; min_count and disabled rules leave the state alone; the state survives a restart and
// starts again when the rule changes; the delivery's outcome lands in the event.
#include "server/alert_evaluator.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "analysis/test_trace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/sqlite/sqlite_catalog.h"
#include "store/sqlite/sqlite_store.h"

namespace trackly::server {
namespace {

using model::Json;
using namespace analysis::testing;  // NOLINT: the synthetic trace builders

constexpr int64_t kMinute = 60'000'000'000;
// Whole minutes after the builders' base instant, so windows are easy to reason about.
constexpr int64_t kStart = kBaseNs - kBaseNs % kMinute + 100 * kMinute;

// {"rules": [...]} with one error-rate rule on the search tool, `extra` fields added.
std::string ErrorRateRules(const std::string& extra = "") {
  return absl::StrCat(R"({"rules":[{"name":"search errors",)",
                      R"("metric":{"measure":"error_rate","filters":{"tool":"search"}},"window_minutes":10,)",
                      R"("condition":"above","threshold":0.5,"webhook":"https://hooks.example.com/a")", extra, "}]}");
}

struct Delivery {
  std::string url;
  Json body;
  std::string secret;
  std::function<void(WebhookResult)> done;
};

class AlertEvaluatorTest : public testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = (std::filesystem::temp_directory_path() / absl::StrCat("trackly-alerts-test-", getpid(), "-", counter++))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    absl::StatusOr<std::unique_ptr<store::SqliteStore>> opened =
        store::SqliteStore::Open({.dir = dir_, .sync_full = false});
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = *std::move(opened);
    absl::StatusOr<std::unique_ptr<store::SqliteCatalog>> catalog = store::SqliteCatalog::Open(dir_);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = *std::move(catalog);
    ASSERT_TRUE(catalog_->CreateProject("p", 1).ok());
    ASSERT_TRUE(catalog_->CreateProject("q", 1).ok());
    evaluator_ = NewEvaluator();
  }
  void TearDown() override {
    evaluator_.reset();
    store_.reset();
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<AlertEvaluator> NewEvaluator() {
    return std::make_unique<AlertEvaluator>(
        *store_, *catalog_, clock_,
        [this](std::string url, std::string body, std::string secret, std::function<void(WebhookResult)> done) {
          deliveries_.push_back(Delivery{std::move(url), Json::parse(body), std::move(secret), std::move(done)});
        });
  }

  void PutRules(const std::string& project, const std::string& rules) {
    absl::StatusOr<store::AlertRulesRecord> put = catalog_->PutAlertRules(project, rules, "whsec_test", 1);
    ASSERT_TRUE(put.ok()) << put.status();
  }

  // `ok` successful and `failed` failing calls of the search tool in `project`, starting at
  // `start_ns`, one trace each.
  void SearchCalls(const std::string& project, int ok, int failed, int64_t start_ns) {
    std::vector<model::Observation> calls;
    for (int i = 0; i < ok + failed; ++i) {
      model::Observation call = Tool(absl::StrCat("c", next_id_), "", 0, 10, "search", Json::object(),
                                     i < failed ? model::Status::kError : model::Status::kOk);
      call.trace_id = absl::StrCat("t", next_id_++);
      call.start_time_ns = start_ns + i * 1'000'000;
      call.end_time_ns = call.start_time_ns + 1'000'000;
      calls.push_back(std::move(call));
    }
    ASSERT_TRUE(store::WriteAndWait(*store_, store::WriteBatch{.project = project, .observations = calls}).ok());
  }

  AlertPassStats Pass() {
    absl::StatusOr<AlertPassStats> stats = evaluator_->RunPass();
    EXPECT_TRUE(stats.ok()) << stats.status();
    return stats.ok() ? *stats : AlertPassStats{};
  }

  std::vector<store::AlertEvent> Events(const std::string& project = "p") {
    absl::StatusOr<std::vector<store::AlertEvent>> events = catalog_->ListAlertEvents({.project = project});
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *events : std::vector<store::AlertEvent>{};
  }

  AlertStatus StatusOf(const std::string& project = "p") {
    absl::StatusOr<std::vector<store::AlertRule>> rules =
        store::ParseAlertRulesText(catalog_->GetAlertRules(project)->rules_json);
    EXPECT_TRUE(rules.ok());
    return evaluator_->Statuses(project, *rules).front();
  }

  std::string dir_;
  FakeClock clock_{kStart};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<store::SqliteCatalog> catalog_;
  std::unique_ptr<AlertEvaluator> evaluator_;
  std::vector<Delivery> deliveries_;
  int next_id_ = 0;
};

TEST(AlertWindowTest, CoversTheWholeWindowThroughTheCurrentMinute) {
  struct Case {
    int window_minutes;
    int64_t now_ns;
    int64_t from_ns;
    int64_t to_ns;
  };
  for (const Case& c : std::vector<Case>{
           {5, kStart, kStart - 5 * kMinute, kStart + kMinute},
           {5, kStart + 30'000'000'000, kStart - 5 * kMinute, kStart + kMinute},
           {1, kStart + kMinute - 1, kStart - kMinute, kStart + kMinute},
       }) {
    EXPECT_EQ(AlertWindow(c.window_minutes, c.now_ns), std::make_pair(c.from_ns, c.to_ns))
        << c.window_minutes << " " << c.now_ns;
  }
}

TEST(AlertPayloadTest, SaysWhichRuleWhatStateAndTheNumbers) {
  absl::StatusOr<std::vector<store::AlertRule>> rules = store::ParseAlertRulesText(ErrorRateRules());
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(AlertPayload("p", (*rules)[0], "firing", 0.75, 1'795'314'529'000'000'000),
            Json::parse(R"({"alert": "search errors", "project": "p", "state": "firing", "value": 0.75,
                            "threshold": 0.5, "condition": "above", "window_minutes": 10,
                            "metric": {"measure": "error_rate", "level": "observation", "filters": {"tool": "search"}},
                            "time": "2026-11-22T02:28:49.000000Z"})"));
  EXPECT_TRUE(AlertPayload("p", (*rules)[0], "test", std::nullopt, 1)["value"].is_null());
}

TEST_F(AlertEvaluatorTest, FiresOnceStaysFiringWithoutRepeatingAndResolves) {
  PutRules("p", ErrorRateRules());
  SearchCalls("p", 1, 3, kStart);  // error rate 0.75
  AlertPassStats first = Pass();
  EXPECT_EQ(first.rules, 1);
  EXPECT_EQ(first.fired, 1);
  ASSERT_EQ(deliveries_.size(), 1u);
  EXPECT_EQ(deliveries_[0].url, "https://hooks.example.com/a");
  EXPECT_EQ(deliveries_[0].secret, "whsec_test");
  EXPECT_EQ(deliveries_[0].body["state"], "firing");
  EXPECT_EQ(deliveries_[0].body["value"], 0.75);
  EXPECT_EQ(deliveries_[0].body["project"], "p");
  std::vector<store::AlertEvent> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state, store::AlertState::kFiring);
  EXPECT_EQ(events[0].value, 0.75);
  EXPECT_EQ(events[0].threshold, 0.5);
  EXPECT_EQ(events[0].time_ns, kStart);
  EXPECT_EQ(events[0].delivery.state, store::AlertDelivery::State::kPending);
  EXPECT_EQ(StatusOf().state, "firing");
  EXPECT_EQ(StatusOf().since_ns, kStart);
  EXPECT_EQ(StatusOf().count, 4);

  // The delivery's outcome updates the event.
  deliveries_[0].done(WebhookResult{.delivered = true, .attempts = 2, .http_status = 200});
  events = Events();
  EXPECT_EQ(events[0].delivery.state, store::AlertDelivery::State::kDelivered);
  EXPECT_EQ(events[0].delivery.attempts, 2);
  EXPECT_EQ(events[0].delivery.http_status, 200);

  // Still breaking: nothing new.
  clock_.Advance(kMinute);
  SearchCalls("p", 0, 2, kStart + kMinute);
  EXPECT_EQ(Pass().fired, 0);
  EXPECT_EQ(deliveries_.size(), 1u);
  EXPECT_EQ(Events().size(), 1u);
  EXPECT_EQ(StatusOf().state, "firing");

  // Enough good calls bring the rate under the threshold: resolved.
  clock_.Advance(kMinute);
  SearchCalls("p", 20, 0, kStart + 2 * kMinute);
  AlertPassStats third = Pass();
  EXPECT_EQ(third.resolved, 1);
  ASSERT_EQ(deliveries_.size(), 2u);
  EXPECT_EQ(deliveries_[1].body["state"], "resolved");
  EXPECT_NEAR(deliveries_[1].body["value"].get<double>(), 5.0 / 26.0, 1e-9);
  events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].state, store::AlertState::kResolved);
  EXPECT_EQ(StatusOf().state, "ok");
  // A failed delivery is recorded as such.
  deliveries_[1].done(WebhookResult{.delivered = false, .attempts = 5, .http_status = 503, .error = "HTTP 503"});
  EXPECT_EQ(Events()[0].delivery.state, store::AlertDelivery::State::kFailed);
  EXPECT_EQ(Events()[0].delivery.error, "HTTP 503");
}

TEST_F(AlertEvaluatorTest, OnlyTheWindowCountsAndAWindowWithoutValueLeavesTheStateAlone) {
  PutRules("p", ErrorRateRules());
  SearchCalls("p", 0, 4, kStart);
  EXPECT_EQ(Pass().fired, 1);
  // Eleven minutes later those calls are out of the 10-minute window: the error rate of nothing
  // has no value, so the rule stays firing.
  clock_.Advance(12 * kMinute);
  EXPECT_EQ(Pass().resolved, 0);
  AlertStatus status = StatusOf();
  EXPECT_EQ(status.state, "firing");
  EXPECT_EQ(status.count, 0);
  EXPECT_FALSE(status.value.has_value());
  EXPECT_EQ(status.note, "no value in the window");
  // New calls in the window decide again.
  SearchCalls("p", 3, 0, kStart + 12 * kMinute);
  EXPECT_EQ(Pass().resolved, 1);
  EXPECT_EQ(deliveries_.size(), 2u);
}

TEST_F(AlertEvaluatorTest, FewerThanMinCountLeavesTheRuleUnevaluated) {
  PutRules("p", ErrorRateRules(R"(,"min_count":5)"));
  SearchCalls("p", 0, 4, kStart);  // all failed, but only 4 calls
  EXPECT_EQ(Pass().fired, 0);
  EXPECT_TRUE(deliveries_.empty());
  AlertStatus status = StatusOf();
  EXPECT_EQ(status.state, "ok");
  EXPECT_EQ(status.count, 4);
  EXPECT_EQ(status.value, 1.0);
  EXPECT_EQ(status.note, "fewer than min_count (5) in the window");
  SearchCalls("p", 0, 1, kStart + 10'000'000'000);
  EXPECT_EQ(Pass().fired, 1);
  EXPECT_EQ(StatusOf().note, "");
}

TEST_F(AlertEvaluatorTest, ADisabledRuleIsNotEvaluated) {
  PutRules("p", ErrorRateRules(R"(,"enabled":false)"));
  SearchCalls("p", 0, 4, kStart);
  AlertPassStats stats = Pass();
  EXPECT_EQ(stats.rules, 0);
  EXPECT_TRUE(deliveries_.empty());
  EXPECT_TRUE(Events().empty());
  EXPECT_EQ(StatusOf().state, "disabled");
}

TEST_F(AlertEvaluatorTest, TheStateSurvivesARestartAndAChangedRuleStartsAgain) {
  PutRules("p", ErrorRateRules());
  SearchCalls("p", 0, 4, kStart);
  ASSERT_EQ(Pass().fired, 1);

  // A new evaluator (a restarted server) takes the state from the rule's newest event: no repeat.
  evaluator_ = NewEvaluator();
  EXPECT_EQ(StatusOf().state, "firing");
  clock_.Advance(kMinute);
  EXPECT_EQ(Pass().fired, 0);
  EXPECT_EQ(deliveries_.size(), 1u);
  EXPECT_EQ(StatusOf().since_ns, kStart);

  // Changing the rule (a new threshold) starts it again at ok; still breaking, it fires anew.
  PutRules("p", ErrorRateRules(R"(,"min_count":1)"));
  EXPECT_EQ(StatusOf().state, "ok");
  EXPECT_EQ(StatusOf().since_ns, 0);
  EXPECT_EQ(Pass().fired, 1);
  ASSERT_EQ(deliveries_.size(), 2u);
  EXPECT_EQ(deliveries_[1].body["state"], "firing");
  ASSERT_EQ(Events().size(), 2u);
  EXPECT_NE(Events()[0].rule_fingerprint, Events()[1].rule_fingerprint);

  // Disabled and enabled again unchanged, it takes its state from its events again.
  PutRules("p", ErrorRateRules(R"(,"min_count":1,"enabled":false)"));
  Pass();
  PutRules("p", ErrorRateRules(R"(,"min_count":1)"));
  EXPECT_EQ(StatusOf().state, "firing");
  clock_.Advance(kMinute);
  EXPECT_EQ(Pass().fired, 0);
  EXPECT_EQ(deliveries_.size(), 2u);
}

TEST_F(AlertEvaluatorTest, ProjectsAreEvaluatedApart) {
  PutRules("p", ErrorRateRules());
  PutRules("q", ErrorRateRules());
  SearchCalls("q", 0, 4, kStart);
  SearchCalls("p", 4, 0, kStart);
  EXPECT_EQ(Pass().fired, 1);
  ASSERT_EQ(deliveries_.size(), 1u);
  EXPECT_EQ(deliveries_[0].body["project"], "q");
  EXPECT_TRUE(Events("p").empty());
  EXPECT_EQ(Events("q").size(), 1u);
}

TEST_F(AlertEvaluatorTest, AScoreMetricIsEvaluatedOverTheScoresOfTheWindow) {
  PutRules("p", R"({"rules":[{"name":"loops","metric":{"score":{"name_prefix":"trackly.finding.","measure":"count"}},)"
                R"("window_minutes":60,"condition":"above","threshold":1,"webhook":"https://hooks.example.com/b"}]})");
  std::vector<model::Score> scores;
  for (int i = 0; i < 2; ++i) {
    scores.push_back(model::Score{.id = absl::StrCat("s", i),
                                  .trace_id = absl::StrCat("t", i),
                                  .name = "trackly.finding.repeated_tool_call",
                                  .value = true,
                                  .source = "trackly",
                                  .time_ns = kStart});
  }
  ASSERT_TRUE(store::WriteAndWait(*store_, store::WriteBatch{.project = "p", .scores = scores}).ok());
  EXPECT_EQ(Pass().fired, 1);
  ASSERT_EQ(deliveries_.size(), 1u);
  EXPECT_EQ(deliveries_[0].body["value"], 2);
  EXPECT_EQ(deliveries_[0].body["metric"],
            Json::parse(R"({"score":{"name_prefix":"trackly.finding.","measure":"count"}})"));
}

}  // namespace
}  // namespace trackly::server
