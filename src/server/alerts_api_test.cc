// The alerts API through the assembled server (real SQLite catalog, real HTTP): a project starts
// without rules; PUT /api/v1/alerts stores them normalized, gives the project a webhook secret
// once, and GET reads them back with their state, the secret only for the admin scope; a bad body
// (a private webhook address too) is refused naming the rule and field and changes nothing;
// changes are audited; events are listed newest first and filtered; a test delivery answers with
// its outcome; another project sees none of it.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http_test_client.h"
#include "server/running_app_test_base.h"
#include "store/sqlite/sqlite_catalog.h"

namespace trackly::server {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using model::Json;

constexpr int64_t kNow = 1'800'000'000'000'000'000;

constexpr char kRules[] = R"({"rules":[
  {"name":"search errors","metric":{"measure":"error_rate","filters":{"tool":"search"}},"window_minutes":15,
   "condition":"above","threshold":0.2,"min_count":10,"webhook":"https://hooks.example.com/a"},
  {"name":"hourly cost","metric":{"measure":"cost","level":"observation"},"window_minutes":60,"condition":"above",
   "threshold":5,"webhook":"https://hooks.example.com/b","enabled":false}]})";

class AlertsApiTest : public RunningAppTestBase {
 protected:
  AlertsApiTest() : RunningAppTestBase(kNow) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    AddSettingsKeys();
    ServerOptions options;
    options.io_threads = 2;
    StartApp(options);
  }

  Json Get(const std::string& target, const std::string& key) {
    HttpResponse got = SendWithKey(http::verb::get, target, key);
    EXPECT_EQ(got.result(), http::status::ok) << target << ": " << got.body();
    return Body(got);
  }

  // The rules of a GET or PUT answer without their status: what PUT reads.
  static Json Definitions(const Json& answer) {
    Json rules = answer["rules"];
    for (Json& rule : rules) rule.erase("status");
    return rules;
  }

};

TEST_F(AlertsApiTest, GetIsEmptyThenPutStoresNormalizedRulesThatGetReadsBackWithTheirState) {
  EXPECT_EQ(Get("/api/v1/alerts", admin_key_), Json::parse(R"({"rules":[],"interval_s":60,"webhook_secret":null})"));
  EXPECT_EQ(Get("/api/v1/alerts", read_key_), Json::parse(R"({"rules":[],"interval_s":60})"));

  HttpResponse put = SendWithKey(http::verb::put, "/api/v1/alerts", admin_key_, kRules);
  ASSERT_EQ(put.result(), http::status::ok) << put.body();
  const Json stored = Body(put);
  ASSERT_EQ(stored["rules"].size(), 2u) << put.body();
  EXPECT_EQ(Definitions(stored)[0], Json::parse(R"({"name":"search errors",
      "metric":{"measure":"error_rate","level":"observation","filters":{"tool":"search"}},"window_minutes":15,
      "condition":"above","threshold":0.2,"min_count":10,"webhook":"https://hooks.example.com/a"})"));
  EXPECT_EQ(Definitions(stored)[1]["enabled"], false);
  EXPECT_EQ(stored["rules"][0]["status"]["state"], "ok");
  EXPECT_TRUE(stored["rules"][0]["status"]["since"].is_null());
  EXPECT_EQ(stored["rules"][1]["status"]["state"], "disabled");
  // The project's signing secret: drawn once, 32 random bytes as hex.
  const std::string secret = stored["webhook_secret"].get<std::string>();
  EXPECT_THAT(secret, StartsWith("whsec_"));
  EXPECT_EQ(secret.size(), 6u + 64u);

  // Read back as stored; the secret only with the admin scope.
  const Json by_reader = Get("/api/v1/alerts", read_key_);
  EXPECT_EQ(Definitions(by_reader), Definitions(stored));
  EXPECT_FALSE(by_reader.contains("webhook_secret"));
  EXPECT_EQ(Get("/api/v1/alerts", admin_key_)["webhook_secret"], secret);

  // A second PUT keeps the secret; an empty list removes the rules (and keeps the secret too).
  HttpResponse cleared = SendWithKey(http::verb::put, "/api/v1/alerts", admin_key_, R"({"rules":[]})");
  ASSERT_EQ(cleared.result(), http::status::ok) << cleared.body();
  EXPECT_EQ(Body(cleared)["rules"], Json::array());
  EXPECT_EQ(Body(cleared)["webhook_secret"], secret);

  // Another project has none of it.
  EXPECT_EQ(Get("/api/v1/alerts", other_key_), Json::parse(R"({"rules":[],"interval_s":60,"webhook_secret":null})"));
}

TEST_F(AlertsApiTest, RejectsBadBodiesNamingTheRuleAndFieldAndChangesNothing) {
  ASSERT_EQ(SendWithKey(http::verb::put, "/api/v1/alerts", admin_key_, kRules).result(), http::status::ok);
  const Json before = Definitions(Get("/api/v1/alerts", read_key_));
  auto rule = [](const std::string& fields) {
    return std::string(R"({"rules":[{"name":"r","metric":{"measure":"count"},)") +
           R"("window_minutes":5,"condition":"above",)" + fields + "}]}";
  };
  struct Case {
    std::string target;
    std::string body;
    std::string message;  // part of the error message
  };
  for (const Case& bad : std::vector<Case>{
           {"/api/v1/alerts", "", "rules: must be a JSON object"},
           {"/api/v1/alerts", R"({"rules":{}})", "rules: must be an array"},
           {"/api/v1/alerts", rule(R"("threshold":1,"webhook":"https://x.example.com","colour":"red")"),
            R"(rule 0 ("r"): colour: unknown field)"},
           {"/api/v1/alerts", rule(R"("threshold":"high","webhook":"https://x.example.com")"),
            R"(rule 0 ("r"): threshold: must be a finite number)"},
           // The server's address policy: no private or loopback webhooks unless allowed.
           {"/api/v1/alerts", rule(R"("threshold":1,"webhook":"http://127.0.0.1:9000/hook")"),
            R"(rule 0 ("r"): webhook:)"},
           {"/api/v1/alerts", rule(R"("threshold":1,"webhook":"http://169.254.169.254/latest")"),
            R"(rule 0 ("r"): webhook:)"},
           {"/api/v1/alerts", rule(R"("threshold":1,"webhook":"ftp://x.example.com/")"), R"(rule 0 ("r"): webhook:)"},
           {"/api/v1/alerts?force=1", R"({"rules":[]})", "unknown parameter 'force'"},
       }) {
    SCOPED_TRACE(bad.body);
    HttpResponse response = SendWithKey(http::verb::put, bad.target, admin_key_, bad.body);
    EXPECT_EQ(response.result(), http::status::bad_request) << response.body();
    EXPECT_THAT(Body(response)["error"]["message"].get<std::string>(), HasSubstr(bad.message)) << response.body();
  }
  EXPECT_EQ(Definitions(Get("/api/v1/alerts", read_key_)), before);
  // Only the one successful change is in the audit log.
  EXPECT_EQ(Get("/api/v1/audit?action=alerts.update", admin_key_)["data"].size(), 1u);
}

TEST_F(AlertsApiTest, ReadingNeedsTheReadScopeAndChangingOrTestingTheAdminScope) {
  EXPECT_EQ(SendWithKey(http::verb::get, "/api/v1/alerts", ingest_key_).result(), http::status::forbidden);
  EXPECT_EQ(SendWithKey(http::verb::get, "/api/v1/alerts/events", ingest_key_).result(), http::status::forbidden);
  EXPECT_EQ(SendWithKey(http::verb::put, "/api/v1/alerts", read_key_, kRules).result(), http::status::forbidden);
  EXPECT_EQ(SendWithKey(http::verb::post, "/api/v1/alerts/test?name=x", read_key_).result(), http::status::forbidden);
  EXPECT_EQ(SendRequest(http::verb::get, "/api/v1/alerts").result(), http::status::unauthorized);
}

TEST_F(AlertsApiTest, AChangeIsAuditedWithTheRuleNamesInItsProjectOnly) {
  ASSERT_EQ(SendWithKey(http::verb::put, "/api/v1/alerts", admin_key_, kRules).result(), http::status::ok);
  const Json events = Get("/api/v1/audit?action=alerts.update", admin_key_)["data"];
  ASSERT_EQ(events.size(), 1u) << events.dump();
  EXPECT_EQ(events[0]["project"], "p1");
  EXPECT_THAT(events[0]["actor"].get<std::string>(), StartsWith("key:"));
  EXPECT_EQ(events[0]["details"], Json::parse(R"({"rules":2,"names":["search errors","hourly cost"]})"));
  // The secret is no detail of the audit log.
  EXPECT_THAT(events.dump(), ::testing::Not(HasSubstr("whsec_")));
  EXPECT_TRUE(Get("/api/v1/audit?action=alerts.update", other_key_)["data"].empty());
}

TEST_F(AlertsApiTest, EventsAreListedNewestFirstFilteredByRuleAndPerProject) {
  auto append = [this](const std::string& project, const std::string& alert, int64_t time_ns, store::AlertState state) {
    absl::StatusOr<int64_t> id = catalog_->AppendAlertEvent(store::AlertEvent{
        .project = project, .alert = alert, .time_ns = time_ns, .state = state, .value = 0.5, .threshold = 0.2});
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : 0;
  };
  const int64_t first = append("p1", "search errors", kNow, store::AlertState::kFiring);
  append("p1", "hourly cost", kNow + 1, store::AlertState::kFiring);
  append("p1", "search errors", kNow + 2, store::AlertState::kResolved);
  append("p2", "search errors", kNow + 3, store::AlertState::kFiring);
  ASSERT_TRUE(catalog_
                  ->UpdateAlertDelivery("p1", first,
                                        store::AlertDelivery{.state = store::AlertDelivery::State::kDelivered,
                                                             .attempts = 2,
                                                             .http_status = 200})
                  .ok());

  const Json all = Get("/api/v1/alerts/events", read_key_)["data"];
  ASSERT_EQ(all.size(), 3u) << all.dump();
  EXPECT_EQ(all[0]["state"], "resolved");
  EXPECT_EQ(all[0]["delivery"], "pending");
  EXPECT_TRUE(all[0]["http_status"].is_null());
  EXPECT_EQ(all[2], Json::parse(absl::StrCat(R"({"id":)", first, R"(,"alert":"search errors",)",
                                             R"("time":"2027-01-15T08:00:00.000000Z","state":"firing",)",
                                             R"("value":0.5,"threshold":0.2,"delivery":"delivered","attempts":2,)",
                                             R"("http_status":200,"error":null})")));
  const Json one = Get("/api/v1/alerts/events?alert=search%20errors&limit=1", read_key_)["data"];
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0]["state"], "resolved");
  EXPECT_EQ(Get("/api/v1/alerts/events", other_key_)["data"].size(), 1u);

  for (const std::string& target : {std::string("/api/v1/alerts/events?limit=0"),
                                    std::string("/api/v1/alerts/events?limit=1001"),
                                    std::string("/api/v1/alerts/events?alert="),
                                    std::string("/api/v1/alerts/events?state=firing")}) {
    HttpResponse response = SendWithKey(http::verb::get, target, read_key_);
    EXPECT_EQ(response.result(), http::status::bad_request) << target << ": " << response.body();
  }
}

TEST_F(AlertsApiTest, ATestDeliveryNeedsAKnownRuleAndAnswersWithItsOutcome) {
  ASSERT_EQ(SendWithKey(http::verb::put, "/api/v1/alerts", admin_key_, kRules).result(), http::status::ok);
  HttpResponse unknown = SendWithKey(http::verb::post, "/api/v1/alerts/test?name=nope", admin_key_);
  EXPECT_EQ(unknown.result(), http::status::not_found) << unknown.body();
  EXPECT_THAT(Body(unknown)["error"]["message"].get<std::string>(), HasSubstr(R"(alert rule "nope" not found)"));
  EXPECT_EQ(SendWithKey(http::verb::post, "/api/v1/alerts/test", admin_key_).result(), http::status::bad_request);
  // Another project's rule is unknown here.
  EXPECT_EQ(SendWithKey(http::verb::post, "/api/v1/alerts/test?name=search%20errors", other_key_).result(),
            http::status::not_found);
}

TEST_F(AlertsApiTest, RulesPutThroughTheCatalogShowAtOnce) {
  // As `trackly alerts set` does: straight into the catalog, not through this server.
  ASSERT_TRUE(catalog_->PutAlertRules("p1", kRules, "whsec_cli", kNow).ok());
  const Json got = Get("/api/v1/alerts", admin_key_);
  EXPECT_EQ(got["rules"].size(), 2u);
  EXPECT_EQ(got["webhook_secret"], "whsec_cli");
}

// A server that allows private webhook addresses accepts them, and a test delivery to a port
// where nothing listens answers that it was not delivered, after one attempt.
class AlertsApiPrivateTest : public AlertsApiTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    admin_key_ = AddKey("p1", store::kScopeRead | store::kScopeAdmin);
    ServerOptions options;
    options.alert_webhooks_allow_private = true;
    StartApp(options);
  }
};

TEST_F(AlertsApiPrivateTest, AcceptsPrivateWebhooksAndReportsAFailedTestDelivery) {
  HttpResponse put = SendWithKey(
      http::verb::put, "/api/v1/alerts", admin_key_,
      R"({"rules":[{"name":"local","metric":{"measure":"count"},"window_minutes":1,"condition":"above","threshold":0,)"
      R"("webhook":"http://127.0.0.1:1/hook"}]})");
  ASSERT_EQ(put.result(), http::status::ok) << put.body();
  HttpResponse tested = SendWithKey(http::verb::post, "/api/v1/alerts/test?name=local", admin_key_);
  ASSERT_EQ(tested.result(), http::status::ok) << tested.body();
  const Json outcome = Body(tested);
  EXPECT_EQ(outcome["alert"], "local");
  EXPECT_EQ(outcome["delivered"], false);
  EXPECT_EQ(outcome["attempts"], 1);
  EXPECT_TRUE(outcome["http_status"].is_null());
  EXPECT_FALSE(outcome["error"].get<std::string>().empty());
}

}  // namespace
}  // namespace trackly::server
