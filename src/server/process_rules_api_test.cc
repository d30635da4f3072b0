// The process rules API through the assembled server (real SQLite catalog, real HTTP): a project
// starts with no rules; PUT /api/v1/rules stores them normalized and GET reads them back; a bad
// body is refused naming the problem and changes nothing; reading needs the read scope, changing
// the admin scope; a change is audited with the rule names; another project is unaffected; a
// change made through the Catalog directly (as the CLI does) shows at once.
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

constexpr int64_t kNow = 1'800'000'000'000'000'000;

constexpr char kRules[] = R"({"rules":[
  {"name":"search first","kind":"tool_before_answer","tool":"search","trace_name":"support_agent"},
  {"kind":"max_model_calls","max":10,"name":"few model calls"},
  {"name":"cheap","kind":"max_cost","max_usd":0.05}]})";

class ProcessRulesApiTest : public RunningAppTestBase {
 protected:
  ProcessRulesApiTest() : RunningAppTestBase(kNow) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    AddSettingsKeys();
    ServerOptions options;
    options.io_threads = 2;
    StartApp(options);
  }

  Json GetRules(const std::string& key) {
    HttpResponse got = SendWithKey(http::verb::get, "/api/v1/rules", key);
    EXPECT_EQ(got.result(), http::status::ok) << got.body();
    return Body(got);
  }

  // The rules.update events of the key's project, newest first.
  Json RulesAudit(const std::string& key) {
    HttpResponse audit = SendWithKey(http::verb::get, "/api/v1/audit?action=rules.update", key);
    EXPECT_EQ(audit.result(), http::status::ok) << audit.body();
    return Body(audit)["data"];
  }

};

TEST_F(ProcessRulesApiTest, GetIsEmptyThenPutStoresNormalizedRulesThatGetReadsBack) {
  EXPECT_EQ(GetRules(read_key_), Json::parse(R"({"rules":[]})"));

  HttpResponse put = SendWithKey(http::verb::put, "/api/v1/rules", admin_key_, kRules);
  ASSERT_EQ(put.result(), http::status::ok) << put.body();
  const Json stored = Body(put);
  ASSERT_EQ(stored["rules"].size(), 3u) << put.body();
  EXPECT_EQ(stored["rules"][0],
            Json::parse(R"({"name":"search first","kind":"tool_before_answer","tool":"search","trace_name":"support_agent"})"));
  EXPECT_EQ(stored["rules"][1], Json::parse(R"({"name":"few model calls","kind":"max_model_calls","max":10})"));
  EXPECT_EQ(stored["rules"][2]["max_usd"], 0.05);
  // Read back as stored, by a key with the read scope only.
  EXPECT_EQ(GetRules(read_key_), stored);

  // Another project is unaffected.
  EXPECT_EQ(GetRules(other_key_), Json::parse(R"({"rules":[]})"));

  // An empty list removes them.
  HttpResponse cleared = SendWithKey(http::verb::put, "/api/v1/rules", admin_key_, R"({"rules":[]})");
  ASSERT_EQ(cleared.result(), http::status::ok) << cleared.body();
  EXPECT_EQ(Body(cleared), Json::parse(R"({"rules":[]})"));
  EXPECT_EQ(GetRules(read_key_), Json::parse(R"({"rules":[]})"));
}

TEST_F(ProcessRulesApiTest, RejectsBadBodiesNamingTheProblemAndChangesNothing) {
  ASSERT_EQ(SendWithKey(http::verb::put, "/api/v1/rules", admin_key_, kRules).result(), http::status::ok);
  const Json before = GetRules(read_key_);
  struct Case {
    std::string target;
    std::string body;
    std::string message;  // part of the error message
  };
  for (const Case& bad : std::vector<Case>{
           {"/api/v1/rules", "", "rules: must be a JSON object"},
           {"/api/v1/rules", "not json", "rules: must be a JSON object"},
           {"/api/v1/rules", R"({"rules":{}})", "rules: must be an array"},
           {"/api/v1/rules", R"({"rules":[],"extra":1})", "extra: unknown field"},
           {"/api/v1/rules", R"({"rules":[{"name":"broken","kind":"no_such_kind"}]})", "rule 0 (\"broken\")"},
           {"/api/v1/rules", R"({"rules":[{"name":"neg","kind":"max_tool_calls","max":-1}]})", "max"},
           {"/api/v1/rules", R"({"rules":[{"name":"slow","kind":"max_latency","max_ms":0}]})", "max_ms"},
           {"/api/v1/rules",
            R"({"rules":[{"name":"a","kind":"max_model_calls","max":1},{"name":"a","kind":"max_tool_calls","max":1}]})",
            "rule 1 (\"a\"): name"},
           {"/api/v1/rules?force=1", R"({"rules":[]})", "unknown parameter 'force'"},
       }) {
    SCOPED_TRACE(bad.body);
    HttpResponse response = SendWithKey(http::verb::put, bad.target, admin_key_, bad.body);
    EXPECT_EQ(response.result(), http::status::bad_request) << response.body();
    EXPECT_THAT(Body(response)["error"]["message"].get<std::string>(), HasSubstr(bad.message)) << response.body();
  }
  EXPECT_EQ(GetRules(read_key_), before);
  // Only the one successful change is in the audit log.
  EXPECT_EQ(RulesAudit(admin_key_).size(), 1u);
}

TEST_F(ProcessRulesApiTest, ReadingNeedsTheReadScopeAndChangingTheAdminScope) {
  EXPECT_EQ(SendWithKey(http::verb::get, "/api/v1/rules", ingest_key_).result(), http::status::forbidden);
  EXPECT_EQ(SendWithKey(http::verb::put, "/api/v1/rules", read_key_, kRules).result(), http::status::forbidden);
  EXPECT_EQ(SendWithKey(http::verb::put, "/api/v1/rules", ingest_key_, kRules).result(), http::status::forbidden);
  EXPECT_EQ(SendRequest(http::verb::get, "/api/v1/rules").result(), http::status::unauthorized);
  EXPECT_EQ(GetRules(read_key_), Json::parse(R"({"rules":[]})"));
}

TEST_F(ProcessRulesApiTest, AChangeIsAuditedWithTheRuleNamesInItsProjectOnly) {
  ASSERT_EQ(SendWithKey(http::verb::put, "/api/v1/rules", admin_key_, kRules).result(), http::status::ok);
  const Json events = RulesAudit(admin_key_);
  ASSERT_EQ(events.size(), 1u) << events.dump();
  EXPECT_EQ(events[0]["action"], "rules.update");
  EXPECT_EQ(events[0]["project"], "p1");
  EXPECT_THAT(events[0]["actor"].get<std::string>(), ::testing::StartsWith("key:"));
  EXPECT_EQ(events[0]["details"], Json::parse(R"({"rules":3,"names":["search first","few model calls","cheap"]})"));
  EXPECT_TRUE(RulesAudit(other_key_).empty());
}

TEST_F(ProcessRulesApiTest, RulesPutThroughTheCatalogShowAtOnce) {
  // As `trackly rules set` does: straight into the catalog, not through this server.
  ASSERT_TRUE(catalog_->PutProcessRules("p1", kRules, kNow).ok());
  EXPECT_EQ(GetRules(read_key_)["rules"].size(), 3u);
}

}  // namespace
}  // namespace trackly::server
