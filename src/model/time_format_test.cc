#include "model/time_format.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace trackly::model
