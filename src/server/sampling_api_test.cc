// The tail sampling API through the assembled server (real SQLite catalog, real HTTP): a project
// starts with the default, disabled policy and no counts; PUT /api/v1/sampling stores a policy
// normalized and GET reads it back with the counts of the last days; a bad body is refused naming
// the field and changes nothing; reading needs the read scope, changing the admin scope; a change
// is audited with the policy; another project is unaffected.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http_test_client.h"
#include "server/running_app_test_base.h"
#include "store/sqlite/sqlite_catalog.h"

namespace trackly::server {
namespace {

using ::testing::HasSubstr;
using model::Json;

// 2027-01-15T08:00:00Z.
constexpr int64_t kNow = 1'800'000'000'000'000'000;
constexpr char kPolicy[] = R"({"keep_fraction": 0.1, "enabled": true,
  "keep_scores_below": [{"name": "user_feedback", "value": 0.5}], "keep_latency_above_ms": 30000})";

class SamplingApiTest : public RunningAppTestBase {
 protected:
  SamplingApiTest() : RunningAppTestBase(kNow) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    AddSettingsKeys();
    ServerOptions options;
    options.io_threads = 2;
    StartApp(options);
  }

  Json GetSampling(const std::string& key, const std::string& query = "") {
    HttpResponse got = SendWithKey(http::verb::get, "/api/v1/sampling" + query, key);
    EXPECT_EQ(got.result(), http::status::ok) << got.body();
    return Body(got);
  }
};

TEST_F(SamplingApiTest, AProjectStartsDisabledThenPutStoresANormalizedPolicyThatGetReadsBack) {
  const Json initial = GetSampling(read_key_);
  EXPECT_EQ(initial["policy"], Json::parse(R"({"enabled": false, "keep_fraction": 1, "keep_errors": true,
      "keep_findings": true, "keep_rule_failures": true, "keep_scores_below": [], "keep_cost_above_usd": null,
      "keep_latency_above_ms": null})"));
  EXPECT_EQ(initial["updated"], nullptr);
  EXPECT_EQ(initial["counts"]["kept"], 0);
  EXPECT_EQ(initial["counts"]["dropped"], 0);
  EXPECT_EQ(initial["counts"]["days"], 30);
  EXPECT_EQ(initial["counts"]["daily"], Json::array());

  HttpResponse put = SendWithKey(http::verb::put, "/api/v1/sampling", admin_key_, kPolicy);
  ASSERT_EQ(put.result(), http::status::ok) << put.body();
  const Json stored = Body(put);
  EXPECT_EQ(stored["policy"]["keep_fraction"], 0.1);
  EXPECT_EQ(stored["policy"]["keep_errors"], true);  // the default, spelled out
  EXPECT_EQ(stored["policy"]["keep_scores_below"], Json::parse(R"([{"name": "user_feedback", "value": 0.5}])"));
  EXPECT_EQ(stored["policy"]["keep_cost_above_usd"], nullptr);
  EXPECT_EQ(stored["updated"], "2027-01-15T08:00:00.000000Z");
  const Json got = GetSampling(read_key_);
  EXPECT_EQ(got["policy"], stored["policy"]);
  EXPECT_EQ(got["updated"], stored["updated"]);
  // Another project is unaffected.
  EXPECT_EQ(GetSampling(other_key_)["policy"], initial["policy"]);
}

TEST_F(SamplingApiTest, RejectsBadBodiesNamingTheFieldAndChangesNothing) {
  ASSERT_EQ(SendWithKey(http::verb::put, "/api/v1/sampling", admin_key_, kPolicy).result(), http::status::ok);
  const Json before = GetSampling(read_key_);
  struct Case {
    std::string target;
    std::string body;
    std::string message;  // part of the error message
  };
  for (const Case& bad : std::vector<Case>{
           {"/api/v1/sampling", "", "policy: must be a JSON object"},
           {"/api/v1/sampling", R"({"enabled": true, "sample_rate": 0.1})", "sample_rate: unknown field"},
           {"/api/v1/sampling", R"({"keep_fraction": 10})", "keep_fraction: must be between 0 and 1"},
           {"/api/v1/sampling", R"({"keep_cost_above_usd": -0.5})", "keep_cost_above_usd: must not be negative"},
           {"/api/v1/sampling", R"({"keep_scores_below": [{"name": "x"}]})", "keep_scores_below[0].value: required"},
           {"/api/v1/sampling?force=1", "{}", "unknown parameter 'force'"},
       }) {
    SCOPED_TRACE(bad.body);
    HttpResponse response = SendWithKey(http::verb::put, bad.target, admin_key_, bad.body);
    EXPECT_EQ(response.result(), http::status::bad_request) << response.body();
    EXPECT_THAT(Body(response)["error"]["message"].get<std::string>(), HasSubstr(bad.message)) << response.body();
  }
  EXPECT_EQ(GetSampling(read_key_), before);
  HttpResponse audit = SendWithKey(http::verb::get, "/api/v1/audit?action=sampling.update", admin_key_);
  ASSERT_EQ(audit.result(), http::status::ok) << audit.body();
  EXPECT_EQ(Body(audit)["data"].size(), 1u);  // only the one successful change
}

TEST_F(SamplingApiTest, ReadingNeedsTheReadScopeAndChangingTheAdminScope) {
  EXPECT_EQ(SendWithKey(http::verb::get, "/api/v1/sampling", ingest_key_).result(), http::status::forbidden);
  EXPECT_EQ(SendWithKey(http::verb::put, "/api/v1/sampling", read_key_, kPolicy).result(), http::status::forbidden);
  EXPECT_EQ(SendRequest(http::verb::get, "/api/v1/sampling").result(), http::status::unauthorized);
  EXPECT_EQ(GetSampling(read_key_)["policy"]["enabled"], false);
}

TEST_F(SamplingApiTest, AChangeIsAuditedWithThePolicyInItsProjectOnly) {
  ASSERT_EQ(SendWithKey(http::verb::put, "/api/v1/sampling", admin_key_, kPolicy).result(), http::status::ok);
  HttpResponse audit = SendWithKey(http::verb::get, "/api/v1/audit?action=sampling.update", admin_key_);
  ASSERT_EQ(audit.result(), http::status::ok) << audit.body();
  const Json events = Body(audit)["data"];
  ASSERT_EQ(events.size(), 1u) << events.dump();
  EXPECT_EQ(events[0]["project"], "p1");
  EXPECT_EQ(events[0]["details"]["keep_fraction"], 0.1);
  EXPECT_EQ(events[0]["details"]["enabled"], true);
  HttpResponse other = SendWithKey(http::verb::get, "/api/v1/audit?action=sampling.update", other_key_);
  EXPECT_TRUE(Body(other)["data"].empty());
}

TEST_F(SamplingApiTest, CountsAreTheSumOfTheLastDaysWithOneEntryPerDayThatHasDecisions) {
  const int64_t today = store::DayOf(kNow);
  ASSERT_TRUE(catalog_->AddSamplingCounts("p1", today, {.kept = 3, .dropped = 20,
                                                        .kept_by_reason = {{"error", 2}, {"fraction", 1}}})
                  .ok());
  ASSERT_TRUE(catalog_->AddSamplingCounts("p1", today - 2, {.kept = 1, .dropped = 4, .kept_by_reason = {{"error", 1}}})
                  .ok());
  ASSERT_TRUE(catalog_->AddSamplingCounts("p1", today - 40, {.kept = 100, .dropped = 100}).ok());  // too old
  const Json counts = GetSampling(read_key_)["counts"];
  EXPECT_EQ(counts["kept"], 4);
  EXPECT_EQ(counts["dropped"], 24);
  EXPECT_EQ(counts["kept_by_reason"], Json::parse(R"({"error": 3, "fraction": 1})"));
  EXPECT_EQ(counts["from"], "2026-12-17");
  EXPECT_EQ(counts["to"], "2027-01-15");
  ASSERT_EQ(counts["daily"].size(), 2u);
  EXPECT_EQ(counts["daily"][0], Json::parse(R"({"day": "2027-01-13", "kept": 1, "dropped": 4,
      "kept_by_reason": {"error": 1}})"));
  EXPECT_EQ(counts["daily"][1]["day"], "2027-01-15");
  // ?days=1 is today alone; ?days=366 reaches the old day.
  EXPECT_EQ(GetSampling(read_key_, "?days=1")["counts"]["dropped"], 20);
  EXPECT_EQ(GetSampling(read_key_, "?days=366")["counts"]["dropped"], 124);
  for (const char* bad : {"?days=0", "?days=367", "?days=x", "?since=1"}) {
    HttpResponse response = SendWithKey(http::verb::get, std::string("/api/v1/sampling") + bad, read_key_);
    EXPECT_EQ(response.result(), http::status::bad_request) << bad;
  }
  EXPECT_EQ(GetSampling(other_key_)["counts"]["kept"], 0);
}

}  // namespace
}  // namespace trackly::server
