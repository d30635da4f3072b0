#include "normalize/redaction/redactor.h"

#include <string>

#include "gtest/gtest.h"
#include "model/codec.h"

namespace trackly::normalize {
namespace {

using model::Json;

constexpr RedactionClasses kAll{.secrets = true, .cards = true, .emails = true, .phones = true};

std::string Redacted(const Redactor& redactor, std::string text, int expected_count = 1) {
  EXPECT_EQ(redactor.RedactText(text), expected_count) << text;
  return text;
}

TEST(RedactorTest, ReplacesProviderKeysAndTokens) {
  Redactor redactor(RedactionClasses{.secrets = true});
  EXPECT_EQ(Redacted(redactor, "key sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345 end"), "key [REDACTED:openai_key] end");
  EXPECT_EQ(Redacted(redactor, "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx"), "[REDACTED:anthropic_key]");
  EXPECT_EQ(Redacted(redactor, "aws AKIAIOSFODNN7EXAMPLE"), "aws [REDACTED:aws_access_key]");
  EXPECT_EQ(Redacted(redactor, "ghp_0123456789abcdefghijABCDEFGHIJ012345"), "[REDACTED:github_token]");
  EXPECT_EQ(Redacted(redactor, "xoxb-1234567890-abcdefghij"), "[REDACTED:slack_token]");
  EXPECT_EQ(Redacted(redactor, "AIzaSyA-0123456789abcdefghijklmnopqrstu"), "[REDACTED:google_api_key]");
  EXPECT_EQ(Redacted(redactor, "sk_live_0123456789abcdefABCD"), "[REDACTED:stripe_key]");
  EXPECT_EQ(Redacted(redactor, "hf_abcdefghijklmnopqrstuvwxyz012345"), "[REDACTED:huggingface_token]");
  EXPECT_EQ(Redacted(redactor, "Authorization: Bearer abc.DEF_ghi-jkl~mno+pqr/stu="),
            "Authorization: [REDACTED:bearer_token]");
  EXPECT_EQ(Redacted(redactor, "t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
            "t=[REDACTED:jwt]");
  EXPECT_EQ(Redacted(redactor, "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----!"),
            "[REDACTED:private_key]!");
}

TEST(RedactorTest, ReplacesOnlyThePasswordOfAUrl) {
  Redactor redactor(RedactionClasses{.secrets = true});
  EXPECT_EQ(Redacted(redactor, "postgres://app:s3cr3t@db.internal:5432/x"),
            "postgres://app:[REDACTED:url_password]@db.internal:5432/x");
}

TEST(RedactorTest, LeavesOrdinaryTextAlone) {
  Redactor redactor(kAll);
  for (std::string text : {"The answer is 42.", "task-sk-1 done", "2026-12-04T20:20:07Z took 1234567 us",
                           "order 1234 5678 9012 3456 is not a valid card", "https://example.org/a:b@c",
                           "gpt-4o-2024-08-06", "trace 0af7651916cd43dd8448eb211c80319c"}) {
    EXPECT_EQ(Redacted(redactor, text, 0), text);
  }
}

TEST(RedactorTest, CardNumbersNeedTheLuhnChecksum) {
  Redactor redactor(RedactionClasses{.cards = true});
  EXPECT_EQ(Redacted(redactor, "card 4111 1111 1111 1111 exp"), "card [REDACTED:card_number] exp");
  EXPECT_EQ(Redacted(redactor, "5500-0000-0000-0004"), "[REDACTED:card_number]");
  EXPECT_EQ(Redacted(redactor, "4111 1111 1111 1112", 0), "4111 1111 1111 1112");
}

TEST(RedactorTest, EmailsAndPhonesOnlyWhenEnabled) {
  Redactor secrets_only(RedactionClasses{.secrets = true});
  EXPECT_EQ(Redacted(secrets_only, "mail ada@example.com", 0), "mail ada@example.com");
  Redactor redactor(kAll);
  EXPECT_EQ(Redacted(redactor, "mail ada.l@example.co.uk now"), "mail [REDACTED:email] now");
  EXPECT_EQ(Redacted(redactor, "call +44 20 7946 0958 or (555) 123-4567", 2),
            "call [REDACTED:phone] or [REDACTED:phone]");
}

TEST(RedactorTest, JsonKeysValuesAndSecretNamedKeys) {
  Redactor redactor(RedactionClasses{.secrets = true});
  Json json = {{"messages", {{{"role", "user"}, {"content", "my key is sk-abcdefghijklmnopqrstuvwxyz"}}}},
               {"headers", {{"Authorization", "Basic dXNlcjpwYXNz"}, {"x-request-id", "r1"}}},
               {"db.password", 1234},
               {"sk-abcdefghijklmnopqrstuvwxyz", true}};
  EXPECT_EQ(redactor.RedactJson(json), 4);
  EXPECT_EQ(json["messages"][0]["content"], "my key is [REDACTED:openai_key]");
  EXPECT_EQ(json["headers"]["Authorization"], "[REDACTED:secret_key]");
  EXPECT_EQ(json["headers"]["x-request-id"], "r1");
  EXPECT_EQ(json["db.password"], "[REDACTED:secret_key]");
  EXPECT_TRUE(json.contains("[REDACTED:openai_key]"));
  EXPECT_FALSE(json.contains("sk-abcdefghijklmnopqrstuvwxyz"));
  // Redacting again changes nothing and counts nothing.
  const Json once = json;
  EXPECT_EQ(redactor.RedactJson(json), 0);
  EXPECT_EQ(json, once);
}

TEST(RedactorTest, SecretNamedKeysByTheirLastSegment) {
  Redactor redactor(RedactionClasses{.secrets = true});
  Json json = {{"db_password", "x"}, {"Set-Cookie", "a=b"}, {"http.request.header.authorization", "t"},
               {"OPENAI_API_KEY", "k"}, {"max_tokens", 10}, {"secretary", "Ada"}, {"token_count", 3}};
  EXPECT_EQ(redactor.RedactJson(json), 4);
  EXPECT_EQ(json["max_tokens"], 10);
  EXPECT_EQ(json["secretary"], "Ada");
  EXPECT_EQ(json["token_count"], 3);
  EXPECT_EQ(json["OPENAI_API_KEY"], "[REDACTED:secret_key]");
}

TEST(RedactorTest, CoversTheFreeTextOfAnObservationAndCountsOnIt) {
  Redactor redactor(RedactionClasses{.secrets = true});
  const std::string key = "sk-abcdefghijklmnopqrstuvwxyz";
  model::Observation o;
  o.id = "span-1";
  o.trace_id = "trace-1";
  o.name = "call " + key;
  o.status_message = "401 for " + key;
  o.input = "prompt " + key;
  o.output = Json{{"text", key}};
  o.metadata = Json{{"k", key}};
  o.model_parameters = Json{{"k", key}};
  o.attributes = Json{{"k", key}};
  o.events.push_back(model::Event{.name = "chunk " + key, .attributes = Json{{"k", key}}});
  o.trace_hints.trace_name = key;
  o.trace_hints.tags = {key};
  o.trace_hints.trace_metadata = Json{{"k", key}};
  o.trace_hints.trace_input = key;
  o.trace_hints.trace_output = key;
  o.trace_hints.user_id = "user-1";
  o.redactions = 1;  // e.g. from an earlier fragment
  EXPECT_EQ(redactor.Redact(o), 14);
  EXPECT_EQ(o.redactions, 15);
  EXPECT_EQ(model::DumpJson(model::ToJson(o)).find(key), std::string::npos) << model::DumpJson(model::ToJson(o));
  EXPECT_EQ(o.trace_hints.user_id, "user-1");
  EXPECT_EQ(o.id, "span-1");

  model::Score score{.id = "s", .trace_id = "trace-1", .name = "q", .value = key, .comment = "saw " + key};
  EXPECT_EQ(redactor.Redact(score), 2);
  EXPECT_EQ(score.comment, "saw [REDACTED:openai_key]");
}

TEST(RedactorTest, NoneRedactsNothing) {
  Redactor redactor(RedactionClasses{});
  EXPECT_FALSE(redactor.enabled());
  model::Observation o;
  o.input = "sk-abcdefghijklmnopqrstuvwxyz ada@example.com";
  EXPECT_EQ(redactor.Redact(o), 0);
  EXPECT_EQ(o.input, "sk-abcdefghijklmnopqrstuvwxyz ada@example.com");
}

TEST(RedactorTest, ParsesClassLists) {
  EXPECT_EQ(*ParseRedactionClasses("secrets, cards"), (RedactionClasses{.secrets = true, .cards = true}));
  EXPECT_EQ(*ParseRedactionClasses("none"), RedactionClasses{});
  EXPECT_EQ(*ParseRedactionClasses("all"), kAll);
  absl::StatusOr<RedactionClasses> bad = ParseRedactionClasses("secrets,ssn");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("\"ssn\""), std::string::npos) << bad.status();
}

}  // namespace
}  // namespace trackly::normalize
