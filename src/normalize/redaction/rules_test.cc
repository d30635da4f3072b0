#include "normalize/redaction/rules.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "normalize/redaction/redactor.h"

namespace trackly::normalize {
namespace {

using model::Json;
using ::testing::HasSubstr;

std::shared_ptr<const Redactor> WithRules(std::string_view json, RedactionClasses classes = {}) {
  absl::StatusOr<std::vector<RedactionRule>> rules = ParseRedactionRulesText(json);
  EXPECT_TRUE(rules.ok()) << rules.status();
  absl::StatusOr<std::shared_ptr<const Redactor>> redactor = Redactor::Create(classes, *rules);
  EXPECT_TRUE(redactor.ok()) << redactor.status();
  return *redactor;
}

TEST(RedactionRulesTest, ParsesAndWritesBackEqual) {
  absl::StatusOr<std::vector<RedactionRule>> rules = ParseRedactionRulesText(
      R"({"rules":[{"name":"ticket","kind":"pattern","value":"TCK-[0-9]+"},
                   {"name":"pw","kind":"key","value":"*password*"},
                   {"name":"email","kind":"path","value":"$.user['e-mail']"}]})");
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->size(), 3u);
  EXPECT_EQ((*rules)[1].kind, RedactionRule::Kind::kKey);
  EXPECT_EQ(ParseRedactionRules(RedactionRulesToJson(*rules)).value(), *rules);
}

TEST(RedactionRulesTest, RejectsBadRulesNamingThem) {
  auto error = [](std::string_view json) { return std::string(ParseRedactionRulesText(json).status().message()); };
  EXPECT_THAT(error(R"({"rules":[{"name":"bad","kind":"pattern","value":"a(b"}]})"),
              HasSubstr("rule \"bad\": invalid RE2 pattern: missing )"));
  EXPECT_THAT(error(R"({"rules":[{"name":"p","kind":"path","value":"user.email"}]})"),
              HasSubstr("rule \"p\": JSON path \"user.email\" at offset 0"));
  EXPECT_THAT(error(R"({"rules":[{"name":"p","kind":"path","value":"$.a[x]"}]})"), HasSubstr("offset 4"));
  EXPECT_THAT(error(R"({"rules":[{"name":"k","kind":"glob","value":"x"}]})"),
              HasSubstr("rule \"k\": kind \"glob\" is not one of pattern, key, path"));
  EXPECT_THAT(error(R"({"rules":[{"kind":"key","value":"x"}]})"), HasSubstr("rule 0: name \"\""));
  EXPECT_THAT(error(R"({"rules":[{"name":"k","kind":"key","value":""}]})"), HasSubstr("rule \"k\": value must be"));
  EXPECT_THAT(error(R"({"rules":[{"name":"k","kind":"key","value":"a"},{"name":"k","kind":"key","value":"b"}]})"),
              HasSubstr("rule \"k\": the name is used twice"));
  EXPECT_THAT(error(R"({"rules":[{"name":"k","kind":"key","value":"a","extra":"1"}]})"),
              HasSubstr("unknown field \"extra\""));
  EXPECT_THAT(error(R"([1])"), HasSubstr("expected an object"));
  Json many = {{"rules", Json::array()}};
  for (size_t i = 0; i <= kMaxRedactionRules; ++i) {
    many["rules"].push_back({{"name", "r" + std::to_string(i)}, {"kind", "key"}, {"value", "k"}});
  }
  EXPECT_THAT(std::string(ParseRedactionRules(many).status().message()), HasSubstr("at most 100"));
}

TEST(RedactionRulesTest, PatternRulesReplaceMatchesWithTheRuleName) {
  auto redactor = WithRules(R"({"rules":[{"name":"ticket","kind":"pattern","value":"TCK-[0-9]+"},
                                          {"name":"x","kind":"pattern","value":"Q"}]})",
                            RedactionClasses{.emails = true});
  std::string text = "see TCK-42 and TCK-7 for a@b.io Q";
  EXPECT_EQ(redactor->RedactText(text), 4);
  EXPECT_EQ(text, "see [REDACTED:ticket] and [REDACTED:ticket] for [REDACTED:email] [REDACTED:x]");
}

TEST(RedactionRulesTest, KeyRulesReplaceWholeValuesAtAnyDepth) {
  auto redactor = WithRules(R"({"rules":[{"name":"pw","kind":"key","value":"*PASSWORD*"},
                                          {"name":"mail","kind":"key","value":"user.email"}]})");
  Json json = {{"db_password_hash", "abc"}, {"nested", {{"Password", {{"a", 1}}}}}, {"user.email", "x@y.z"},
               {"user.emails", "kept"}, {"none", nullptr}};
  EXPECT_EQ(redactor->RedactJson(json), 3);
  EXPECT_EQ(json["db_password_hash"], "[REDACTED:pw]");
  EXPECT_EQ(json["nested"]["Password"], "[REDACTED:pw]");
  EXPECT_EQ(json["user.email"], "[REDACTED:mail]");
  EXPECT_EQ(json["user.emails"], "kept");
  EXPECT_EQ(redactor->RedactJson(json), 0) << "redacting again changes nothing";
}

TEST(RedactionRulesTest, PathRulesApplyToInputOutputAndMetadataAndCount) {
  auto redactor = WithRules(R"({"rules":[{"name":"content","kind":"path","value":"$.messages[*].content"},
                                          {"name":"mail","kind":"path","value":"$.user.email"},
                                          {"name":"first","kind":"path","value":"$[0]"}]})");
  model::Observation o;
  o.input = {{"messages", {{{"role", "user"}, {"content", "canary"}}, {{"role", "system"}, {"content", "c2"}}}}};
  o.output = Json::array({"first", "second"});
  o.metadata = {{"user", {{"email", "e@x.io"}, {"id", 7}}}};
  o.trace_hints.trace_metadata = {{"user", {{"email", "e@x.io"}}}};
  o.attributes = {{"user", {{"email", "kept: paths do not apply to attributes"}}}};
  EXPECT_EQ(redactor->Redact(o), 5);
  EXPECT_EQ(o.redactions, 5);
  EXPECT_EQ(o.input["messages"][0]["content"], "[REDACTED:content]");
  EXPECT_EQ(o.input["messages"][1]["content"], "[REDACTED:content]");
  EXPECT_EQ(o.input["messages"][0]["role"], "user");
  EXPECT_EQ(o.output, Json::array({"[REDACTED:first]", "second"}));
  EXPECT_EQ(o.metadata["user"]["email"], "[REDACTED:mail]");
  EXPECT_EQ(o.metadata["user"]["id"], 7);
  EXPECT_EQ(o.trace_hints.trace_metadata["user"]["email"], "[REDACTED:mail]");
}

TEST(RedactionRulesTest, RulesApplyToScores) {
  auto redactor = WithRules(R"({"rules":[{"name":"ticket","kind":"pattern","value":"TCK-[0-9]+"}]})");
  model::Score score;
  score.comment = "about TCK-1";
  score.value = "TCK-2";
  EXPECT_EQ(redactor->Redact(score), 2);
  EXPECT_EQ(score.comment, "about [REDACTED:ticket]");
  EXPECT_EQ(score.value, "[REDACTED:ticket]");
}

}  // namespace
}  // namespace trackly::normalize
