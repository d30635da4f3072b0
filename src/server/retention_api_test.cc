// The retention API through the assembled server (real SQLite catalog, real HTTP): a project
// follows the server's defaults until PUT /api/v1/retention gives it its own, DELETE takes it back
// to the defaults; bad bodies are 400 naming what was wrong and change nothing; admin scope only;
// each change is audited with the project's own retention before and after.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http_test_client.h"
#include "server/running_app_test_base.h"

namespace trackly::server {
namespace {

using ::testing::HasSubstr;
using model::Json;

constexpr int64_t kNow = 1'800'000'000'000'000'000;

class RetentionApiTest : public RunningAppTestBase {
 protected:
  RetentionApiTest() : RunningAppTestBase(kNow) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStoreAndCatalog());
    AddSettingsKeys();
    ServerOptions options;
    options.io_threads = 2;
    options.retention = {.payload_days = 7, .summary_days = 30};
    StartApp(options);
  }

  Json Retention(const std::string& key) {
    HttpResponse got = SendWithKey(http::verb::get, "/api/v1/retention", key);
    EXPECT_EQ(got.result(), http::status::ok) << got.body();
    return Body(got);
  }

  // The retention events of p1, oldest first.
  Json RetentionEvents() {
    Json out = Json::array();
    for (const char* action : {"retention.update", "retention.remove"}) {
      HttpResponse audit = SendWithKey(http::verb::get, absl::StrCat("/api/v1/audit?action=", action), admin_key_);
      EXPECT_EQ(audit.result(), http::status::ok) << audit.body();
      const Json events = Body(audit)["data"];  // a copy: a range-for over a temporary's member dangles
      for (const Json& event : events) out.push_back(event);
    }
    std::sort(out.begin(), out.end(), [](const Json& a, const Json& b) { return a["id"] < b["id"]; });
    return out;
  }

};

const Json kDefault = {{"payload_days", 7}, {"summary_days", 30}, {"source", "default"}};

TEST_F(RetentionApiTest, AProjectFollowsTheDefaultsUntilItsOwnIsPutAndBackAfterDelete) {
  EXPECT_EQ(Retention(admin_key_), kDefault);

  HttpResponse put = SendWithKey(http::verb::put, "/api/v1/retention", admin_key_,
                                 R"({"payload_days": 3, "summary_days": 90})");
  ASSERT_EQ(put.result(), http::status::ok) << put.body();
  const Json own = {{"payload_days", 3}, {"summary_days", 90}, {"source", "project"}};
  EXPECT_EQ(Body(put), own);
  EXPECT_EQ(Retention(admin_key_), own);
  EXPECT_EQ(Retention(other_key_), kDefault);  // another project is not affected

  ASSERT_EQ(SendWithKey(http::verb::put, "/api/v1/retention", admin_key_, R"({"summary_days": 0, "payload_days": 14})")
                .result(),
            http::status::ok);
  EXPECT_EQ(Retention(admin_key_), (Json{{"payload_days", 14}, {"summary_days", 0}, {"source", "project"}}));

  HttpResponse removed = SendWithKey(http::verb::delete_, "/api/v1/retention", admin_key_);
  ASSERT_EQ(removed.result(), http::status::ok) << removed.body();
  EXPECT_EQ(Body(removed), kDefault);
  EXPECT_EQ(Retention(admin_key_), kDefault);
  // Again: nothing of its own to remove, still answered (and recorded) as done.
  ASSERT_EQ(SendWithKey(http::verb::delete_, "/api/v1/retention", admin_key_).result(), http::status::ok);

  // Every change audited in order, with the project's own retention before and after.
  const Json events = RetentionEvents();
  struct Expected {
    std::string action;
    Json before;
    Json after;
  };
  const std::vector<Expected> expected = {
      {"retention.update", nullptr, {{"payload_days", 3}, {"summary_days", 90}}},
      {"retention.update", {{"payload_days", 3}, {"summary_days", 90}}, {{"payload_days", 14}, {"summary_days", 0}}},
      {"retention.remove", {{"payload_days", 14}, {"summary_days", 0}}, nullptr},
      {"retention.remove", nullptr, nullptr},
  };
  ASSERT_EQ(events.size(), expected.size()) << events.dump();
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(events[i]["action"], expected[i].action);
    EXPECT_EQ(events[i]["project"], "p1");
    EXPECT_THAT(events[i]["actor"].get<std::string>(), HasSubstr("key:"));
    EXPECT_EQ(events[i]["details"], (Json{{"before", expected[i].before}, {"after", expected[i].after}}));
  }
}

TEST_F(RetentionApiTest, BadBodiesAre400NamingWhatWasWrongAndChangeNothing) {
  ASSERT_EQ(SendWithKey(http::verb::put, "/api/v1/retention", admin_key_, R"({"payload_days": 3, "summary_days": 90})")
                .result(),
            http::status::ok);
  struct Case {
    std::string target;
    std::string body;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"/api/v1/retention", "", "body: must be a JSON object"},
           {"/api/v1/retention", "{not json", "body: must be a JSON object"},
           {"/api/v1/retention", "[7, 30]", "body: must be a JSON object"},
           {"/api/v1/retention", R"({"payload_days": 7})", "summary_days: required"},
           {"/api/v1/retention", R"({"summary_days": 7})", "payload_days: required"},
           {"/api/v1/retention", R"({"payload_days": 7, "summary_days": 30, "days": 1})", "days: unknown field"},
           {"/api/v1/retention", R"({"payload_days": "7", "summary_days": 30})",
            "payload_days: must be a whole number of days, got \"7\""},
           {"/api/v1/retention", R"({"payload_days": 7, "summary_days": 7.5})",
            "summary_days: must be a whole number of days, got 7.5"},
           {"/api/v1/retention", R"({"payload_days": null, "summary_days": 30})",
            "payload_days: must be a whole number of days, got null"},
           {"/api/v1/retention", R"({"payload_days": true, "summary_days": 30})",
            "payload_days: must be a whole number of days, got true"},
           {"/api/v1/retention", R"({"payload_days": -1, "summary_days": 30})",
            "payload_days: must be from 0 (keep forever) to 36500 days, got -1"},
           {"/api/v1/retention", R"({"payload_days": 7, "summary_days": 36501})",
            "summary_days: must be from 0 (keep forever) to 36500 days, got 36501"},
           {"/api/v1/retention", R"({"payload_days": 99999999999, "summary_days": 30})",
            "payload_days: must be from 0 (keep forever) to 36500 days, got 99999999999"},
           {"/api/v1/retention", R"({"payload_days": 18446744073709551615, "summary_days": 30})",
            "payload_days: must be from 0 (keep forever) to 36500 days, got 18446744073709551615"},
           {"/api/v1/retention", R"({"payload_days": 40, "summary_days": 30})",
            "payload_days: must not be more than summary_days (30) when both are set, got 40"},
           {"/api/v1/retention?project=p2", R"({"payload_days": 1, "summary_days": 2})", "unknown parameter 'project'"},
       }) {
    SCOPED_TRACE(c.body);
    HttpResponse bad = SendWithKey(http::verb::put, c.target, admin_key_, c.body);
    EXPECT_EQ(bad.result(), http::status::bad_request) << bad.body();
    EXPECT_THAT(Body(bad)["error"]["message"].get<std::string>(), HasSubstr(c.message)) << bad.body();
  }
  EXPECT_EQ(Retention(admin_key_), (Json{{"payload_days", 3}, {"summary_days", 90}, {"source", "project"}}));
  EXPECT_EQ(Retention(other_key_), kDefault);
  EXPECT_EQ(SendWithKey(http::verb::get, "/api/v1/retention?x=1", admin_key_).result(), http::status::bad_request);
  EXPECT_EQ(SendWithKey(http::verb::delete_, "/api/v1/retention?x=1", admin_key_).result(), http::status::bad_request);
  EXPECT_EQ(RetentionEvents().size(), 1u) << "only the one good put is audited";
}

TEST_F(RetentionApiTest, NeedsTheAdminScope) {
  struct Case {
    http::verb method;
    std::string body;
  };
  for (const Case& c : {Case{http::verb::get, ""}, Case{http::verb::put, R"({"payload_days": 1, "summary_days": 1})"},
                        Case{http::verb::delete_, ""}}) {
    SCOPED_TRACE(std::string(http::to_string(c.method)));
    EXPECT_EQ(SendWithKey(c.method, "/api/v1/retention", read_key_, c.body).result(), http::status::forbidden);
    EXPECT_EQ(SendRequest(c.method, "/api/v1/retention", {}, c.body).result(), http::status::unauthorized);
  }
  EXPECT_EQ(Retention(admin_key_), kDefault);
  EXPECT_TRUE(RetentionEvents().empty());
}

TEST_F(RetentionApiTest, AChangeThroughTheCatalogShowsAtOnce) {
  // As `trackly retention set` does: straight into the catalog, not through this server.
  ASSERT_TRUE(catalog_->PutRetention({.project = "p1", .payload_days = 2, .summary_days = 4}).ok());
  EXPECT_EQ(Retention(admin_key_), (Json{{"payload_days", 2}, {"summary_days", 4}, {"source", "project"}}));
  EXPECT_EQ(app_->retention_defaults().payload_days, 7);
  EXPECT_EQ(app_->retention_defaults().summary_days, 30);
}

}  // namespace
}  // namespace trackly::server
