#include "server/options.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trackly::server {
namespace {

using ::testing::HasSubstr;

// A config file in the test's temporary directory, removed at the end of the test.
class TempConfig {
 public:
  explicit TempConfig(std::string_view text)
      : path_(std::filesystem::path(testing::TempDir()) /
              (std::string(testing::UnitTest::GetInstance()->current_test_info()->name()) +
               ".toml")) {
    std::ofstream(path_) << text;
  }
  ~TempConfig() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

std::function<std::optional<std::string>(const std::string&)> FakeEnv(
    std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST(OptionsTest, DefaultsWhenNothingIsGiven) {
  absl::StatusOr<ServerOptions> options = LoadServerOptions({});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->listen, "127.0.0.1:4318");
  EXPECT_EQ(options->data_dir, "./trackly-data");
  EXPECT_EQ(options->io_threads, 2);
  EXPECT_EQ(options->max_body_bytes, 64 << 20);
  EXPECT_TRUE(options->auth);
  EXPECT_TRUE(ValidateServerOptions(*options).ok());
}

TEST(OptionsTest, FlagsBeatEnvironmentBeatConfigFileBeatDefaults) {
  TempConfig config(R"(
listen = "127.0.0.1:1000"
io_threads = 3
max_body_bytes = 1000
log_level = "debug"
[decode]
max_events_per_span = 7
)");
  OptionSources sources;
  sources.config_path = config.path();
  sources.env = FakeEnv({{"TRACKLY_LISTEN", "127.0.0.1:2000"},
                         {"TRACKLY_IO_THREADS", "4"},
                         {"TRACKLY_DECODE_MAX_LINKS_PER_SPAN", "9"}});
  sources.flags = {{"listen", "127.0.0.1:3000"}};
  absl::StatusOr<ServerOptions> options = LoadServerOptions(sources);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->listen, "127.0.0.1:3000");    // flag
  EXPECT_EQ(options->io_threads, 4);               // environment
  EXPECT_EQ(options->decode.max_links_per_span, 9);  // environment
  EXPECT_EQ(options->max_body_bytes, 1000);        // config file
  EXPECT_EQ(options->log_level, "debug");          // config file
  EXPECT_EQ(options->decode.max_events_per_span, 7);  // config file (table)
  EXPECT_EQ(options->data_dir, "./trackly-data");  // default
}

TEST(OptionsTest, ConfigFileFromEnvironmentWhenNoFlag) {
  TempConfig config("data_dir = \"/tmp/x\"\n");
  OptionSources sources;
  sources.env = FakeEnv({{"TRACKLY_CONFIG", config.path()}});
  absl::StatusOr<ServerOptions> options = LoadServerOptions(sources);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->data_dir, "/tmp/x");
}

TEST(OptionsTest, DottedTomlKeysEqualTables) {
  TempConfig config("decode.max_nesting_depth = 5\n");
  OptionSources sources;
  sources.config_path = config.path();
  absl::StatusOr<ServerOptions> options = LoadServerOptions(sources);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->decode.max_nesting_depth, 5);
}

TEST(OptionsTest, RedactionRulesFromTheConfigFileAreChecked) {
  TempConfig config(
      R"(redact_rules = '''{"rules": [{"name": "ticket", "kind": "pattern", "value": "TCK-[0-9]+"}]}''')"
      "\n");
  OptionSources sources;
  sources.config_path = config.path();
  absl::StatusOr<ServerOptions> options = LoadServerOptions(sources);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_THAT(options->redact_rules, HasSubstr("TCK-[0-9]+"));
  EXPECT_TRUE(ValidateServerOptions(*options).ok());
  options->redact_rules = R"({"rules": [{"name": "broken", "kind": "pattern", "value": "(x"}]})";
  EXPECT_THAT(ValidateServerOptions(*options).message(),
              HasSubstr("option redact_rules: rule \"broken\": invalid RE2 pattern"));
}

TEST(OptionsTest, RetentionDefaultsComeFromEverySourceAndKeepForeverByDefault) {
  absl::StatusOr<ServerOptions> defaults = LoadServerOptions({});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->retention.payload_days, 0);
  EXPECT_EQ(defaults->retention.summary_days, 0);

  TempConfig config("retention_payload_days = 7\nretention_summary_days = 30\n");
  OptionSources sources;
  sources.config_path = config.path();
  absl::StatusOr<ServerOptions> options = LoadServerOptions(sources);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->retention.payload_days, 7);   // config file
  EXPECT_EQ(options->retention.summary_days, 30);  // config file
  sources.env = FakeEnv({{"TRACKLY_RETENTION_SUMMARY_DAYS", "90"}});
  sources.flags = {{"retention-payload-days", "14"}};
  options = LoadServerOptions(sources);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->retention.payload_days, 14);  // flag
  EXPECT_EQ(options->retention.summary_days, 90);  // environment
  EXPECT_TRUE(ValidateServerOptions(*options).ok());
}

TEST(OptionsTest, RejectsBadRetentionDefaultsNamingTheOption) {
  struct Case {
    int32_t payload_days;
    int32_t summary_days;
    std::string message;
  };
  for (const Case& c : std::initializer_list<Case>{
           {-1, 0, "option retention_payload_days: must be from 0 (keep forever) to 36500 days, got -1"},
           {0, 36501, "option retention_summary_days: must be from 0 (keep forever) to 36500 days, got 36501"},
           {40, 30, "option retention_payload_days: must not be more than summary_days (30) when both are set, got 40"},
       }) {
    ServerOptions options;
    options.retention = {.payload_days = c.payload_days, .summary_days = c.summary_days};
    EXPECT_EQ(ValidateServerOptions(options), absl::InvalidArgumentError(c.message));
  }
}

TEST(OptionsTest, AlertOptionsComeFromEverySourceWithSafeDefaults) {
  absl::StatusOr<ServerOptions> defaults = LoadServerOptions({});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->alert_interval_s, 60);
  EXPECT_FALSE(defaults->alert_webhooks_allow_private);

  TempConfig config("alert_interval_s = 30\nalert_webhooks_allow_private = true\n");
  OptionSources sources;
  sources.config_path = config.path();
  absl::StatusOr<ServerOptions> options = LoadServerOptions(sources);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->alert_interval_s, 30);             // config file
  EXPECT_TRUE(options->alert_webhooks_allow_private);   // config file
  sources.env = FakeEnv({{"TRACKLY_ALERT_WEBHOOKS_ALLOW_PRIVATE", "false"}});
  sources.flags = {{"alert-interval-s", "1"}};
  options = LoadServerOptions(sources);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->alert_interval_s, 1);              // flag
  EXPECT_FALSE(options->alert_webhooks_allow_private);  // environment
  EXPECT_TRUE(ValidateServerOptions(*options).ok());

  options->alert_interval_s = 0;
  EXPECT_EQ(ValidateServerOptions(*options),
            absl::InvalidArgumentError("option alert_interval_s must be at least 1, got 0"));
}

TEST(OptionsTest, UnknownTomlKeyIsNamed) {
  TempConfig config("[decode]\nmax_spans = 5\n");
  OptionSources sources;
  sources.config_path = config.path();
  absl::StatusOr<ServerOptions> options = LoadServerOptions(sources);
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(options.status().message(), HasSubstr("unknown key 'decode.max_spans'"));
}

TEST(OptionsTest, WrongTomlTypeIsNamed) {
  TempConfig config("io_threads = \"four\"\n");
  OptionSources sources;
  sources.config_path = config.path();
  absl::StatusOr<ServerOptions> options = LoadServerOptions(sources);
  EXPECT_THAT(options.status().message(), HasSubstr("key 'io_threads' must be an integer"));
}

TEST(OptionsTest, MalformedTomlIsReportedWithPosition) {
  TempConfig config("listen = \n");
  OptionSources sources;
  sources.config_path = config.path();
  absl::StatusOr<ServerOptions> options = LoadServerOptions(sources);
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(options.status().message(), HasSubstr(config.path() + ":1:"));
}

TEST(OptionsTest, MissingConfigFileIsAnError) {
  OptionSources sources;
  sources.config_path = "/nonexistent/trackly.toml";
  EXPECT_EQ(LoadServerOptions(sources).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OptionsTest, BadValuesNameTheirSource) {
  struct Case {
    OptionSources sources;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({OptionSources{.flags = {{"io-threads", "many"}}},
                   "--io-threads: 'many' is not an integer"});
  cases.push_back({OptionSources{.flags = {{"no-such-flag", "1"}}}, "unknown option --no-such-flag"});
  cases.push_back({OptionSources{.env = FakeEnv({{"TRACKLY_AUTH", "maybe"}})},
                   "environment variable TRACKLY_AUTH: 'maybe' is not true or false"});
  for (const Case& c : cases) {
    EXPECT_EQ(LoadServerOptions(c.sources).status(), absl::InvalidArgumentError(c.message));
  }
}

TEST(OptionsTest, RefusesAuthOffOnNonLoopbackAddress) {
  ServerOptions options;
  options.auth = false;
  options.listen = "0.0.0.0:4318";
  absl::Status status = ValidateServerOptions(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("non-loopback address 0.0.0.0:4318 with auth off"));
  for (std::string listen : {"127.0.0.1:0", "[::1]:4318", "localhost:80", "127.1.2.3:9"}) {
    options.listen = listen;
    EXPECT_TRUE(ValidateServerOptions(options).ok()) << listen;
  }
}

TEST(OptionsTest, RejectsOutOfRangeValues) {
  ServerOptions options;
  options.io_threads = 0;
  EXPECT_EQ(ValidateServerOptions(options),
            absl::InvalidArgumentError("option io_threads must be at least 1, got 0"));
  options = ServerOptions();
  options.log_level = "loud";
  EXPECT_EQ(ValidateServerOptions(options).code(), absl::StatusCode::kInvalidArgument);
}

TEST(OptionsTest, RateLimitsAndCorsComeFromEverySource) {
  TempConfig config(R"(
cors_allowed_origins = "https://app.example.com"
[rate_limit]
key_requests_per_second = 50
failed_auth_per_minute = 3
)");
  OptionSources sources;
  sources.config_path = config.path();
  sources.env = FakeEnv({{"TRACKLY_RATE_LIMIT_ADDRESS_BURST", "77"}});
  sources.flags = {{"rate-limit-key-burst", "60"}};
  absl::StatusOr<ServerOptions> options = LoadServerOptions(sources);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->rate_limit.key_requests_per_second, 50);
  EXPECT_EQ(options->rate_limit.key_burst, 60);
  EXPECT_EQ(options->rate_limit.address_burst, 77);
  EXPECT_EQ(options->rate_limit.failed_auth_per_minute, 3);
  EXPECT_EQ(options->rate_limit.failed_auth_burst, 20);  // default
  EXPECT_EQ(options->cors_allowed_origins, "https://app.example.com");
  EXPECT_TRUE(ValidateServerOptions(*options).ok());
}

TEST(OptionsTest, RejectsBadRateLimitsAndCorsOrigins) {
  ServerOptions options;
  options.rate_limit.key_burst = 0;
  EXPECT_EQ(ValidateServerOptions(options),
            absl::InvalidArgumentError("option rate_limit.key_burst must be at least 1, got 0"));
  options = ServerOptions();
  options.rate_limit.failed_auth_per_minute = 0;  // 0 turns a limit off
  EXPECT_TRUE(ValidateServerOptions(options).ok());
  options.cors_allowed_origins = "https://ok.example, https://bad.example/path";
  absl::Status status = ValidateServerOptions(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("cors_allowed_origins: 'https://bad.example/path'"));
}

TEST(OptionsTest, ParsesHostPort) {
  struct Case {
    std::string text;
    std::string host;
    uint16_t port;
  };
  for (const Case& c : {Case{"127.0.0.1:4318", "127.0.0.1", 4318}, Case{"[::1]:0", "::1", 0},
                        Case{"0.0.0.0:80", "0.0.0.0", 80}, Case{"localhost:1", "localhost", 1}}) {
    absl::StatusOr<HostPort> parsed = ParseHostPort(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.status();
    EXPECT_EQ(parsed->host, c.host);
    EXPECT_EQ(parsed->port, c.port);
  }
  for (std::string bad : {"", "4318", ":4318", "127.0.0.1:", "127.0.0.1:70000", "::1:80",
                          "example.com:80", "[::1:80", "127.0.0.1:x"}) {
    EXPECT_EQ(ParseHostPort(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(OptionsTest, ChecksTheStoreAndTheClickHouseAddress) {
  ServerOptions options;
  options.store = "postgres";
  EXPECT_EQ(ValidateServerOptions(options),
            absl::InvalidArgumentError("option store must be sqlite or clickhouse, got 'postgres'"));
  options.store = "clickhouse";
  EXPECT_TRUE(ValidateServerOptions(options).ok());
  options.clickhouse_url = "https://ch.example:8443";
  EXPECT_THAT(ValidateServerOptions(options).message(), HasSubstr("option clickhouse.url: 'https://ch.example:8443'"));
  options.clickhouse_url = "http://ch.example";
  options.spool_max_bytes = 1000;
  EXPECT_THAT(ValidateServerOptions(options).message(), HasSubstr("option spool.max_bytes must be at least"));

  absl::StatusOr<ClickHouseAddress> address = ParseClickHouseUrl("http://10.0.0.5:9123/");
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->host, "10.0.0.5");
  EXPECT_EQ(address->port, 9123);
  EXPECT_EQ(ParseClickHouseUrl("http://ch.example")->port, 8123);
  for (std::string bad : {"", "ch.example:8123", "http://", "http://:8123", "http://ch:0", "http://ch:x",
                          "http://ch/path:1"}) {
    EXPECT_EQ(ParseClickHouseUrl(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(OptionsTest, EveryOptionIsListedWithItsNames) {
  const std::vector<OptionInfo>& infos = ServerOptionInfos();
  ASSERT_FALSE(infos.empty());
  bool found = false;
  for (const OptionInfo& info : infos) {
    EXPECT_FALSE(info.help.empty()) << info.flag;
    if (info.toml_key == "decode.max_events_per_span") {
      found = true;
      EXPECT_EQ(info.flag, "decode-max-events-per-span");
      EXPECT_EQ(info.env, "TRACKLY_DECODE_MAX_EVENTS_PER_SPAN");
      EXPECT_EQ(info.default_value, "1024");
    }
  }
  EXPECT_TRUE(found);
}

TEST(OptionsTest, ConfigurationDocNamesEveryOption) {
  std::ifstream in(std::string(TRACKLY_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in.good());
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const OptionInfo& info : ServerOptionInfos()) {
    for (const std::string& name : {"`--" + info.flag + "`", "`" + info.env + "`",
                                    "`" + info.toml_key + "`"}) {
      EXPECT_THAT(doc, HasSubstr(name));
    }
  }
}

}  // namespace
}  // namespace trackly::server
