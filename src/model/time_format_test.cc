#include "model/time_format.h"

#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace trackly::model {
namespace {

TEST(TimeFormatTest, FormatsMicrosecondsInUtc) {
  EXPECT_EQ(FormatRfc3339Micros(1795314529557000123), "2026-11-22T02:28:49.557000Z");
  EXPECT_EQ(FormatRfc3339Micros(0), "1970-01-01T00:00:00.000000Z");
}

TEST(TimeFormatTest, ParsesRfc3339Variants) {
  struct Case {
    const char* text;
    int64_t want_ns;
  } cases[] = {
      {"2026-11-22T02:28:49.557Z", 1795314529557000000},
      {"2026-11-22T02:28:49.557000Z", 1795314529557000000},
      {"2026-11-22T03:28:49.557+01:00", 1795314529557000000},
      {"2026-11-22T02:28:49Z", 1795314529000000000},
      {"2026-11-22 02:28:49.557Z", 1795314529557000000},
      {"1795314529", 1795314529000000000},        // seconds
      {"1795314529557", 1795314529557000000},     // milliseconds
      {"1795314529557000", 1795314529557000000},  // microseconds
      {"1795314529557000123", 1795314529557000123},
  };
  for (const Case& c : cases) {
    absl::StatusOr<int64_t> got = ParseTimestamp(c.text);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.status();
    EXPECT_EQ(*got, c.want_ns) << c.text;
  }
}

TEST(TimeFormatTest, RejectsGarbageNamingTheText) {
  absl::StatusOr<int64_t> got = ParseTimestamp("yesterday");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(got.status().message().find("yesterday"), std::string::npos);
}

// Found by fuzz/query_params_fuzzer ("from=21765225600"): a bare number in the seconds,
// milliseconds or microseconds range that is past 2262 used to overflow int64 when scaled.
TEST(TimeFormatTest, RejectsBareNumbersPastTheInt64NanosecondRange) {
  for (std::string_view text : {"21765225600", "99999999999", "9223372036855", "99999999999999",
                                "9223372036854776", "99999999999999999"}) {
    absl::StatusOr<int64_t> got = ParseTimestamp(text);
    ASSERT_FALSE(got.ok()) << text;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(got.status().message().find(std::string("out of range (after 2262): ") + std::string(text)),
              std::string::npos)
        << got.status();
  }
  // The last representable value of each unit still parses.
  EXPECT_EQ(*ParseTimestamp("9223372036"), 9'223'372'036'000'000'000);
  EXPECT_EQ(*ParseTimestamp("9223372036854"), 9'223'372'036'854'000'000);
  EXPECT_EQ(*ParseTimestamp("9223372036854775"), 9'223'372'036'854'775'000);
  EXPECT_EQ(*ParseTimestamp("9223372036854775807"), std::numeric_limits<int64_t>::max());
}


// Times across the whole int64 nanosecond range, edges included.
std::vector<int64_t> SampleTimes() {
  std::vector<int64_t> times = {0, 1, -1, 999, 1000, -1000, -1'000'000'000, 951782400'000'000'000,
                                1795314529557000123, std::numeric_limits<int64_t>::max(),
                                std::numeric_limits<int64_t>::min()};
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) times.push_back(static_cast<int64_t>(rng()));
  return times;
}

TEST(TimeFormatTest, FormatMatchesAbslFormatTimeOverTheWholeRange) {
  for (int64_t ns : SampleTimes()) {
    absl::Time t = absl::FromUnixNanos(ns);
    absl::Time second = absl::FromUnixSeconds(absl::ToUnixSeconds(t));
    if (second > t) second -= absl::Seconds(1);  // floor, for times before 1970
    std::string want = absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%S", t, absl::UTCTimeZone()),
                                    absl::StrFormat(".%06dZ", absl::ToInt64Microseconds(t - second)));
    ASSERT_EQ(FormatRfc3339Micros(ns), want) << ns;
  }
}

TEST(TimeFormatTest, ParsesWhatItFormatsToTheMicrosecond) {
  for (int64_t ns : SampleTimes()) {
    if (ns < std::numeric_limits<int64_t>::min() + 1000) continue;  // its microsecond is not an int64
    absl::StatusOr<int64_t> back = ParseTimestamp(FormatRfc3339Micros(ns));
    ASSERT_TRUE(back.ok()) << ns << ": " << back.status();
    int64_t micros_floor = ns - ((ns % 1000) + 1000) % 1000;
    ASSERT_EQ(*back, micros_floor) << ns;
  }
}

// The canonical shape has a fast path; with out-of-range fields it must still answer as
// absl::ParseTime does.
TEST(TimeFormatTest, CanonicalShapeWithOddFieldsParsesAsAbslDoes) {
  const char* texts[] = {
      "2026-13-22T02:28:49.557000Z", "2026-02-29T02:28:49.557000Z", "2024-02-29T02:28:49.557000Z",
      "2026-04-31T02:28:49.557000Z", "2026-11-22T24:00:00.000000Z", "2026-11-22T23:60:00.000000Z",
      "2026-11-22T23:59:60.000000Z", "0000-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999Z",
      "2026-00-22T02:28:49.557000Z", "2026-11-00T02:28:49.557000Z", "2026-11-22T02:28:49.5570a0Z",
  };
  for (const char* text : texts) {
    absl::Time t;
    std::string err;
    bool want_ok = absl::ParseTime("%Y-%m-%dT%H:%M:%E*S%Ez", text, &t, &err);
    absl::StatusOr<int64_t> got = ParseTimestamp(text);
    ASSERT_EQ(got.ok(), want_ok) << text << ": " << got.status();
    if (want_ok) {
      EXPECT_EQ(*got, absl::ToUnixNanos(t)) << text;
    }
  }
}

}  // namespace
}  // namespace trackly::model
