#include "server/request_target.h"

#include "gtest/gtest.h"

namespace trackly::server {
namespace {

TEST(RequestTargetTest, SplitsPathAndDecodesQuery) {
  absl::StatusOr<RequestTarget> target =
      ParseRequestTarget("/api/v1/traces?user_id=u%201&q=a+b&flag&=x&&name=%E2%9C%93");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->path, "/api/v1/traces");
  query::QueryParams want = {{"user_id", "u 1"}, {"q", "a b"}, {"flag", ""}, {"", "x"},
                             {"name", "\xE2\x9C\x93"}};
  EXPECT_EQ(target->params, want);
}

TEST(RequestTargetTest, PathWithoutQuery) {
  absl::StatusOr<RequestTarget> target = ParseRequestTarget("/v1/traces");
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->path, "/v1/traces");
  EXPECT_TRUE(target->params.empty());
}

TEST(RequestTargetTest, RejectsNonOriginFormAndBadEscapes) {
  for (std::string_view bad : {"", "*", "http://example.com/v1/traces", "/x?a=%4", "/x?a=%g0",
                               "/x?a=%00"}) {
    EXPECT_EQ(ParseRequestTarget(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(RequestTargetTest, SaysANulByteIsRefused) {
  absl::StatusOr<RequestTarget> target = ParseRequestTarget("/x?a=b%00c");
  ASSERT_EQ(target.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(target.status().message().find("NUL"), absl::string_view::npos) << target.status();
}

TEST(RequestTargetTest, PlusIsSpaceOnlyInQueries) {
  EXPECT_EQ(*PercentDecode("a+b%2B", true), "a b+");
  EXPECT_EQ(*PercentDecode("a+b%2B", false), "a+b+");
}

}  // namespace
}  // namespace trackly::server
