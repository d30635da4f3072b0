#include "cli/trace_filters.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/time_format.h"

namespace trackly::cli {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'795'314'529'000'000'000;
constexpr int64_t kHour = 3'600'000'000'000;

TEST(ParseTimeBoundTest, AcceptsDurationsBackFromNow) {
  EXPECT_EQ(*ParseTimeBound("1h", "--since", kNow), kNow - kHour);
  EXPECT_EQ(*ParseTimeBound("30m", "--since", kNow), kNow - kHour / 2);
  EXPECT_EQ(*ParseTimeBound("1h30m", "--since", kNow), kNow - kHour * 3 / 2);
  EXPECT_EQ(*ParseTimeBound("2d", "--since", kNow), kNow - 48 * kHour);
}

TEST(ParseTimeBoundTest, AcceptsTimestamps) {
  EXPECT_EQ(model::FormatRfc3339Micros(*ParseTimeBound("2026-11-20T10:00:00Z", "--since", kNow)),
            "2026-11-20T10:00:00.000000Z");
}

TEST(ParseTimeBoundTest, RejectsGarbageNamingTheFlag) {
  absl::StatusOr<int64_t> bound = ParseTimeBound("yesterday", "--until", kNow);
  ASSERT_TRUE(absl::IsInvalidArgument(bound.status()));
  EXPECT_THAT(bound.status().message(), HasSubstr("--until: 'yesterday'"));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseTimeBound("-1h", "--since", kNow).status()));
}

TEST(BuildTraceQueryTest, MapsEveryFlag) {
  TraceFilterFlags flags;
  flags.project = "demo";
  flags.limit = 5;
  flags.name = "research_assistant";
  flags.user = "u1";
  flags.session = "s1";
  flags.status = "error";
  flags.environment = "production";
  flags.release = "1.4.2";
  flags.tag = "demo";
  flags.model = "gpt-4o";
  flags.min_latency_ms = 250;
  flags.min_cost = 0.01;
  flags.since = "1h";
  flags.until = "2026-11-22T02:28:49Z";  // kNow

  absl::StatusOr<store::TraceQuery> query = BuildTraceQuery(flags, kNow);
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->project, "demo");
  EXPECT_EQ(query->limit, 5);
  EXPECT_EQ(query->name, "research_assistant");
  EXPECT_EQ(query->user_id, "u1");
  EXPECT_EQ(query->session_id, "s1");
  EXPECT_EQ(query->status, model::Status::kError);
  EXPECT_EQ(query->environment, "production");
  EXPECT_EQ(query->release, "1.4.2");
  EXPECT_EQ(query->tag, "demo");
  EXPECT_EQ(query->model, "gpt-4o");
  EXPECT_EQ(query->min_latency_ms, 250);
  EXPECT_EQ(query->min_cost, 0.01);
  EXPECT_EQ(query->from_ns, kNow - kHour);
  EXPECT_EQ(query->to_ns, kNow);
  EXPECT_FALSE(query->oldest_first);
}

TEST(BuildTraceQueryTest, DefaultsAreUnbounded) {
  absl::StatusOr<store::TraceQuery> query = BuildTraceQuery(TraceFilterFlags{}, kNow);
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->project, "default");
  EXPECT_EQ(query->limit, 20);
  EXPECT_EQ(query->from_ns, 0);
  EXPECT_EQ(query->to_ns, 0);
  EXPECT_FALSE(query->status.has_value());
}

struct BadFlagCase {
  void (*set)(TraceFilterFlags&);
  std::string message;
};

TEST(BuildTraceQueryTest, RejectsBadFlagsNamingThem) {
  const std::vector<BadFlagCase> cases = {
      {[](TraceFilterFlags& f) { f.limit = 0; }, "--limit"},
      {[](TraceFilterFlags& f) { f.limit = 1001; }, "--limit"},
      {[](TraceFilterFlags& f) { f.status = "failed"; }, "--status: unknown status 'failed'"},
      {[](TraceFilterFlags& f) { f.min_cost = -1; }, "--min-cost"},
      {[](TraceFilterFlags& f) { f.min_latency_ms = -5; }, "--min-latency-ms"},
      {[](TraceFilterFlags& f) { f.since = "soon"; }, "--since"},
      {[](TraceFilterFlags& f) { f.since = "1h"; f.until = "2h"; }, "--since must be before --until"},
      {[](TraceFilterFlags& f) { f.project = ""; }, "--project"},
  };
  for (const auto& c : cases) {
    TraceFilterFlags flags;
    c.set(flags);
    absl::StatusOr<store::TraceQuery> query = BuildTraceQuery(flags, kNow);
    ASSERT_TRUE(absl::IsInvalidArgument(query.status())) << c.message;
    EXPECT_THAT(query.status().message(), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace trackly::cli
