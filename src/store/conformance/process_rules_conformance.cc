// Conformance of Catalog's project process rules (store/catalog.h "Project process rules").
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store::conformance {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'795'314'529'000'000'000;
constexpr char kEmpty[] = R"({"rules":[]})";
constexpr char kRules[] = R"({"rules":[
  {"name":"search first","kind":"tool_before_answer","tool":"search"},
  {"max":10,"kind":"max_model_calls","name":"few model calls","trace_name":"support_agent"}]})";
// The same rules, fields in another order and other whitespace.
constexpr char kRulesReordered[] =
    R"({"rules":[{"tool":"search","kind":"tool_before_answer","name":"search first"},)"
    R"({"trace_name":"support_agent","name":"few model calls","kind":"max_model_calls","max":10}]})";

bool HasProcessRules(Catalog& catalog) {
  return catalog.ListProcessRules().status().code() != absl::StatusCode::kUnimplemented;
}

void CreateProjects(Catalog& catalog) {
  ASSERT_TRUE(catalog.CreateProject("alpha", kNow).ok());
  ASSERT_TRUE(catalog.CreateProject("beta", kNow).ok());
}

TEST_P(CatalogConformanceTest, PutsGetsListsReplacesAndRemovesProcessRules) {
  if (!HasProcessRules(*catalog_)) GTEST_SKIP() << "backend keeps no process rules";
  CreateProjects(*catalog_);
  absl::StatusOr<ProcessRulesRecord> none = catalog_->GetProcessRules("alpha");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->project, "alpha");
  EXPECT_EQ(none->rules_json, kEmpty);
  EXPECT_EQ(none->updated_ns, 0);
  EXPECT_TRUE(catalog_->ListProcessRules()->empty());

  absl::StatusOr<ProcessRulesRecord> put = catalog_->PutProcessRules("alpha", kRules, kNow);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->updated_ns, kNow);
  EXPECT_THAT(put->rules_json, HasSubstr("search first"));
  absl::StatusOr<ProcessRulesRecord> got = catalog_->GetProcessRules("alpha");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->rules_json, put->rules_json);  // reads back as stored
  EXPECT_EQ(got->updated_ns, kNow);
  // Normalized: the same rules sent in another shape are stored as the same text.
  absl::StatusOr<ProcessRulesRecord> again = catalog_->PutProcessRules("alpha", kRulesReordered, kNow + 1);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->rules_json, put->rules_json);
  EXPECT_EQ(catalog_->GetProcessRules("alpha")->updated_ns, kNow + 1);
  EXPECT_EQ(catalog_->GetProcessRules("beta")->rules_json, kEmpty);  // the other project has none

  // A put replaces every rule of the project.
  ASSERT_TRUE(catalog_->PutProcessRules("beta", R"({"rules":[{"name":"cheap","kind":"max_cost","max_usd":0.05}]})",
                                        kNow + 2)
                  .ok());
  ASSERT_TRUE(
      catalog_->PutProcessRules("beta", R"({"rules":[{"name":"fast","kind":"max_latency","max_ms":30000}]})", kNow + 3)
          .ok());
  const std::string beta = catalog_->GetProcessRules("beta")->rules_json;
  EXPECT_THAT(beta, HasSubstr("fast"));
  EXPECT_THAT(beta, ::testing::Not(HasSubstr("cheap")));

  absl::StatusOr<std::vector<ProcessRulesRecord>> all = catalog_->ListProcessRules();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].project, "alpha");
  EXPECT_EQ((*all)[0].rules_json, put->rules_json);
  EXPECT_EQ((*all)[1].project, "beta");
  EXPECT_EQ((*all)[1].updated_ns, kNow + 3);

  // An empty list removes them.
  absl::StatusOr<ProcessRulesRecord> removed = catalog_->PutProcessRules("alpha", kEmpty, kNow + 4);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->rules_json, kEmpty);
  EXPECT_EQ(catalog_->GetProcessRules("alpha")->rules_json, kEmpty);
  ASSERT_EQ(catalog_->ListProcessRules()->size(), 1u);
  EXPECT_EQ((*catalog_->ListProcessRules())[0].project, "beta");
}

TEST_P(CatalogConformanceTest, RejectsBadProcessRulesChangingNothingAndUnknownProjects) {
  if (!HasProcessRules(*catalog_)) GTEST_SKIP() << "backend keeps no process rules";
  CreateProjects(*catalog_);
  absl::StatusOr<ProcessRulesRecord> put = catalog_->PutProcessRules("alpha", kRules, kNow);
  ASSERT_TRUE(put.ok()) << put.status();
  struct Case {
    const char* rules_json;
    const char* named;  // what the message must name
  };
  for (const Case& bad : std::vector<Case>{
           {"not json", "rules: must be a JSON object"},
           {R"({"rules":[{"name":"broken","kind":"no_such_kind"}]})", "broken"},
           {R"({"rules":[{"name":"negative","kind":"max_tool_calls","max":-1}]})", "negative"},
           {R"({"rules":[{"name":"twice","kind":"max_model_calls","max":1},)"
            R"({"name":"twice","kind":"max_tool_calls","max":1}]})",
            "twice"},
       }) {
    SCOPED_TRACE(bad.rules_json);
    absl::Status status = catalog_->PutProcessRules("alpha", bad.rules_json, kNow + 1).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr(bad.named));
    absl::StatusOr<ProcessRulesRecord> unchanged = catalog_->GetProcessRules("alpha");
    ASSERT_TRUE(unchanged.ok()) << unchanged.status();
    EXPECT_EQ(unchanged->rules_json, put->rules_json);
    EXPECT_EQ(unchanged->updated_ns, kNow);
  }
  EXPECT_EQ(catalog_->PutProcessRules("gamma", kRules, kNow).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->GetProcessRules("gamma").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->ListProcessRules()->size(), 1u);
}

TEST_P(CatalogConformanceTest, ProcessRulesPutThroughAnotherCatalogAreSeen) {
  if (!HasProcessRules(*catalog_)) GTEST_SKIP() << "backend keeps no process rules";
  CreateProjects(*catalog_);
  absl::StatusOr<std::unique_ptr<Catalog>> other = GetParam().open_catalog(location_);
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE((*other)->PutProcessRules("alpha", kRules, kNow).ok());
  EXPECT_THAT(catalog_->GetProcessRules("alpha")->rules_json, HasSubstr("few model calls"));
}

}  // namespace
}  // namespace trackly::store::conformance
