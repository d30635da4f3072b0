// The live tail's ring and its waiting requests (server/live_tail.h), with a fake clock and
// Dispatch called by the test, so nothing waits on time; one test runs the real thread and waits
// on a notification. Also the request parsing and JSON of GET /api/v1/tail (server/tail_handler.h).
#include "server/live_tail.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/observation_fragment.h"
#include "server/tail_handler.h"

namespace trackly::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using model::Json;

constexpr int64_t kNow = 1'800'000'000'000'000'000;
constexpr int64_t kMs = 1'000'000;

TailEntry Entry(std::string name) {
  TailEntry entry;
  entry.trace_id = "t-" + name;
  entry.observation_id = "o-" + name;
  entry.name = std::move(name);
  entry.type = model::ObservationType::kSpan;
  entry.start_time_ns = kNow;
  entry.end_time_ns = kNow + 10 * kMs;
  return entry;
}

std::vector<TailEntry> Entries(std::initializer_list<const char*> names) {
  std::vector<TailEntry> out;
  for (const char* name : names) out.push_back(Entry(name));
  return out;
}

std::vector<std::string> Names(const TailResult& result) {
  std::vector<std::string> names;
  for (const TailEntry& e : result.entries) names.push_back(e.name);
  return names;
}

std::vector<int64_t> Seqs(const TailResult& result) {
  std::vector<int64_t> seqs;
  for (const TailEntry& e : result.entries) seqs.push_back(e.seq);
  return seqs;
}

TailRequest Request(std::optional<int64_t> after, int64_t wait_ms = 0, TailFilter filter = {}) {
  return TailRequest{.after = after, .wait_ms = wait_ms, .limit = 100, .filter = std::move(filter)};
}

// Records what a Poll answered (and whether it did).
struct Answered {
  std::optional<TailResult> result;
  std::function<void(TailResult)> Callback() {
    return [this](TailResult r) { result = std::move(r); };
  }
};

class LiveTailTest : public testing::Test {
 protected:
  // A Poll answered at once.
  TailResult PollNow(LiveTail& tail, std::string_view project, TailRequest request) {
    Answered answered;
    EXPECT_TRUE(tail.Poll(project, request, answered.Callback()).ok());
    EXPECT_TRUE(answered.result.has_value()) << "not answered at once";
    return answered.result.value_or(TailResult{});
  }

  FakeClock clock_{kNow};
};

TEST_F(LiveTailTest, NumbersTheSpansOfAProjectFromOneInAcknowledgementOrder) {
  LiveTail tail(clock_);
  EXPECT_EQ(PollNow(tail, "p1", Request(std::nullopt)).next, 0);  // starts the watch
  tail.Append("p1", 2, Entries({"a", "b"}));
  tail.Append("p1", 1, Entries({"c"}));
  const TailResult all = PollNow(tail, "p1", Request(0));
  EXPECT_THAT(Seqs(all), ElementsAre(1, 2, 3));
  EXPECT_THAT(Names(all), ElementsAre("a", "b", "c"));
  EXPECT_EQ(all.next, 3);
  EXPECT_EQ(all.dropped, 0);
  EXPECT_THAT(Names(PollNow(tail, "p1", Request(1))), ElementsAre("b", "c"));
  // From now: nothing yet, and the number to follow from.
  const TailResult now = PollNow(tail, "p1", Request(std::nullopt));
  EXPECT_TRUE(now.entries.empty());
  EXPECT_EQ(now.next, 3);
}

TEST_F(LiveTailTest, KeepsNoSummariesOfAnUnwatchedProjectButCountsItsSpans) {
  LiveTail tail(clock_);
  store::WriteBatch batch{.project = "p1", .observations = {model::Observation{.id = "o1", .trace_id = "t1"}}};
  std::function<void()> acknowledged = tail.BeforeWrite(batch);
  ASSERT_NE(acknowledged, nullptr);
  acknowledged();
  EXPECT_FALSE(tail.Watched("p1"));
  const TailResult result = PollNow(tail, "p1", Request(0));
  EXPECT_TRUE(result.entries.empty());
  EXPECT_EQ(result.dropped, 1);
  EXPECT_EQ(result.next, 1);
  // Now watched: the next write is summarized.
  EXPECT_TRUE(tail.Watched("p1"));
  tail.BeforeWrite(batch)();
  EXPECT_THAT(Seqs(PollNow(tail, "p1", Request(1))), ElementsAre(2));
  // A write with nothing in it (scores only) takes no number.
  EXPECT_EQ(tail.BeforeWrite(store::WriteBatch{.project = "p1"}), nullptr);
}

TEST_F(LiveTailTest, CountsWhatFellOffTheRingAsDropped) {
  struct Case {
    std::string name;
    LiveTailOptions options;
    int appended;
    int64_t after;
    int64_t dropped;
    std::vector<int64_t> seqs;
  };
  const size_t entry_bytes = sizeof(TailEntry) + 64;  // what one small entry costs, and then some
  const std::vector<Case> cases = {
      {"kept", {.max_entries = 3}, 3, 0, 0, {1, 2, 3}},
      {"two fell off", {.max_entries = 3}, 5, 0, 2, {3, 4, 5}},
      {"after the oldest kept", {.max_entries = 3}, 5, 3, 0, {4, 5}},
      {"just before the oldest kept", {.max_entries = 3}, 5, 2, 0, {3, 4, 5}},
      {"byte budget", {.max_bytes = 2 * entry_bytes}, 5, 0, 3, {4, 5}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LiveTail tail(clock_, c.options);
    PollNow(tail, "p1", Request(std::nullopt));
    for (int i = 0; i < c.appended; ++i) tail.Append("p1", 1, Entries({"x"}));
    const TailResult result = PollNow(tail, "p1", Request(c.after));
    EXPECT_EQ(result.dropped, c.dropped);
    EXPECT_EQ(Seqs(result), c.seqs);
    EXPECT_EQ(result.next, c.appended);
  }
}

TEST_F(LiveTailTest, LetsGoOfEntriesOnceTheWatchLapsesAndReportsThemDropped) {
  LiveTail tail(clock_, {.watch = absl::Minutes(1)});
  PollNow(tail, "p1", Request(std::nullopt));
  tail.Append("p1", 2, Entries({"a", "b"}));
  clock_.Advance(absl::ToInt64Nanoseconds(absl::Minutes(2)));
  EXPECT_FALSE(tail.Watched("p1"));
  tail.Dispatch();  // lets go of the unwatched entries
  tail.Append("p1", 1, {});
  const TailResult result = PollNow(tail, "p1", Request(1));
  EXPECT_TRUE(result.entries.empty());
  EXPECT_EQ(result.dropped, 2);  // "b" and the unwatched third span
  EXPECT_EQ(result.next, 3);
  // A write summarized while watched but acknowledged after the watch lapsed is not kept either:
  // keeping it would leave a gap of unknown spans before it.
  clock_.Advance(absl::ToInt64Nanoseconds(absl::Minutes(2)));
  tail.Append("p1", 1, Entries({"late"}));
  EXPECT_EQ(PollNow(tail, "p1", Request(3)).dropped, 1);
}

TEST_F(LiveTailTest, AnAfterBeyondTheNewestCountsAsFromNow) {
  LiveTail tail(clock_);
  PollNow(tail, "p1", Request(std::nullopt));
  tail.Append("p1", 1, Entries({"a"}));
  const TailResult result = PollNow(tail, "p1", Request(500));  // from before a restart
  EXPECT_TRUE(result.entries.empty());
  EXPECT_EQ(result.next, 1);
  EXPECT_EQ(result.dropped, 0);
}

TEST_F(LiveTailTest, ALimitedAnswerContinuesAfterItsLastEntry) {
  LiveTail tail(clock_);
  PollNow(tail, "p1", Request(std::nullopt));
  tail.Append("p1", 5, Entries({"a", "b", "c", "d", "e"}));
  TailRequest request = Request(0, 0, TailFilter{.name = ""});
  request.limit = 2;
  const TailResult first = PollNow(tail, "p1", request);
  EXPECT_THAT(Names(first), ElementsAre("a", "b"));
  EXPECT_EQ(first.next, 2);
  request.after = first.next;
  EXPECT_THAT(Names(PollNow(tail, "p1", request)), ElementsAre("c", "d"));
}

TEST_F(LiveTailTest, OneProjectNeverSeesAnothersSpans) {
  LiveTail tail(clock_);
  PollNow(tail, "p1", Request(std::nullopt));
  PollNow(tail, "p2", Request(std::nullopt));
  Answered waiting;
  ASSERT_TRUE(tail.Poll("p1", Request(0, 30'000), waiting.Callback()).ok());
  tail.Append("p2", 2, Entries({"p2-a", "p2-b"}));
  EXPECT_EQ(tail.Dispatch(), 0);
  EXPECT_FALSE(waiting.result.has_value());
  // Each project numbers its own spans.
  tail.Append("p1", 1, Entries({"p1-a"}));
  EXPECT_EQ(tail.Dispatch(), 1);
  ASSERT_TRUE(waiting.result.has_value());
  EXPECT_THAT(Names(*waiting.result), ElementsAre("p1-a"));
  EXPECT_THAT(Seqs(*waiting.result), ElementsAre(1));
  EXPECT_THAT(Names(PollNow(tail, "p2", Request(0))), ElementsAre("p2-a", "p2-b"));
  EXPECT_TRUE(PollNow(tail, "p3", Request(0)).entries.empty());
}

TEST_F(LiveTailTest, FiltersMatchEachFieldExactlyOrAtLeast) {
  TailEntry generation = Entry("chat");
  generation.type = model::ObservationType::kGeneration;
  generation.trace_name = "support";
  generation.model = "gpt-4o";
  generation.environment = "prod";
  generation.release = "v2";
  generation.user_id = "u1";
  generation.session_id = "s1";
  generation.cost_usd = 0.02;
  generation.end_time_ns = generation.start_time_ns + 1500 * kMs;
  TailEntry failed = Entry("search");
  failed.type = model::ObservationType::kTool;
  failed.status = model::Status::kError;
  TailEntry error_level = Entry("check");
  error_level.level = model::Level::kError;
  TailEntry open = Entry("open");
  open.end_time_ns = 0;
  TailEntry update = Entry("update");
  update.type.reset();

  struct Case {
    std::string name;
    TailFilter filter;
    std::vector<std::string> matching;
  };
  const std::vector<Case> cases = {
      {"none", {}, {"chat", "search", "check", "open", "update"}},
      {"type", {.type = model::ObservationType::kTool}, {"search"}},
      {"type span skips an update that did not say", {.type = model::ObservationType::kSpan}, {"check", "open"}},
      {"name", {.name = "chat"}, {"chat"}},
      {"name is exact", {.name = "cha"}, {}},
      {"trace_name", {.trace_name = "support"}, {"chat"}},
      {"model", {.model = "gpt-4o"}, {"chat"}},
      {"status error: status or level", {.error = true}, {"search", "check"}},
      {"status ok", {.error = false}, {"chat", "open", "update"}},
      {"environment", {.environment = "prod"}, {"chat"}},
      {"release", {.release = "v2"}, {"chat"}},
      {"user_id", {.user_id = "u1"}, {"chat"}},
      {"session_id", {.session_id = "s1"}, {"chat"}},
      {"min_latency_ms skips open spans", {.min_latency_ms = 10}, {"chat", "search", "check", "update"}},
      {"min_latency_ms", {.min_latency_ms = 1000}, {"chat"}},
      {"min_cost", {.min_cost = 0.01}, {"chat"}},
      {"min_cost above", {.min_cost = 0.05}, {}},
      {"several", {.type = model::ObservationType::kGeneration, .model = "gpt-4o", .min_cost = 0.01}, {"chat"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> matching;
    for (const TailEntry* e : {&generation, &failed, &error_level, &open, &update}) {
      if (c.filter.Matches(*e)) matching.push_back(e->name);
    }
    EXPECT_EQ(matching, c.matching);
  }
}

TEST_F(LiveTailTest, AWaitingRequestIsAnsweredWhenAMatchingSpanArrives) {
  LiveTail tail(clock_);
  Answered answered;
  ASSERT_TRUE(tail.Poll("p1", Request(std::nullopt, 30'000, TailFilter{.name = "wanted"}), answered.Callback()).ok());
  EXPECT_FALSE(answered.result.has_value());
  EXPECT_EQ(tail.waiting(), 1u);
  tail.Append("p1", 2, Entries({"other", "another"}));
  EXPECT_EQ(tail.Dispatch(), 0);
  EXPECT_FALSE(answered.result.has_value());
  tail.Append("p1", 2, Entries({"other", "wanted"}));
  EXPECT_EQ(tail.Dispatch(), 1);
  ASSERT_TRUE(answered.result.has_value());
  EXPECT_THAT(Seqs(*answered.result), ElementsAre(4));
  EXPECT_EQ(answered.result->next, 4);
  EXPECT_EQ(answered.result->dropped, 0);
  EXPECT_EQ(tail.waiting(), 0u);
}

TEST_F(LiveTailTest, AWaitingRequestIsAnsweredEmptyWhenItsWaitIsOver) {
  LiveTail tail(clock_);
  Answered answered;
  ASSERT_TRUE(tail.Poll("p1", Request(std::nullopt, 5'000, TailFilter{.name = "wanted"}), answered.Callback()).ok());
  tail.Append("p1", 1, Entries({"other"}));
  clock_.Advance(4'999 * kMs);
  EXPECT_EQ(tail.Dispatch(), 0);
  clock_.Advance(1 * kMs);
  EXPECT_EQ(tail.Dispatch(), 1);
  ASSERT_TRUE(answered.result.has_value());
  EXPECT_TRUE(answered.result->entries.empty());
  EXPECT_EQ(answered.result->next, 1);  // past what did not match
}

TEST_F(LiveTailTest, AWaitingRequestFallenBehindIsAnsweredWithTheDropCount) {
  LiveTail tail(clock_, {.max_entries = 2});
  Answered answered;
  ASSERT_TRUE(tail.Poll("p1", Request(std::nullopt, 30'000, TailFilter{.name = "wanted"}), answered.Callback()).ok());
  tail.Append("p1", 3, Entries({"a", "b", "c"}));
  EXPECT_EQ(tail.Dispatch(), 1);
  ASSERT_TRUE(answered.result.has_value());
  EXPECT_EQ(answered.result->dropped, 1);
  EXPECT_TRUE(answered.result->entries.empty());
  EXPECT_EQ(answered.result->next, 3);
}

TEST_F(LiveTailTest, ShutdownAnswersEveryWaitingRequestAndLaterOnesAtOnce) {
  LiveTail tail(clock_);
  Answered first, second;
  ASSERT_TRUE(tail.Poll("p1", Request(std::nullopt, 30'000), first.Callback()).ok());
  ASSERT_TRUE(tail.Poll("p2", Request(std::nullopt, 30'000), second.Callback()).ok());
  tail.Shutdown();
  ASSERT_TRUE(first.result.has_value());
  ASSERT_TRUE(second.result.has_value());
  EXPECT_TRUE(first.result->entries.empty());
  EXPECT_EQ(tail.waiting(), 0u);
  EXPECT_TRUE(PollNow(tail, "p1", Request(std::nullopt, 30'000)).entries.empty());
}

TEST_F(LiveTailTest, RefusesARequestBeyondTheWaitingBound) {
  LiveTail tail(clock_, {.max_waiting = 2});
  Answered a, b, c;
  ASSERT_TRUE(tail.Poll("p1", Request(std::nullopt, 30'000), a.Callback()).ok());
  ASSERT_TRUE(tail.Poll("p2", Request(std::nullopt, 30'000), b.Callback()).ok());
  absl::Status refused = tail.Poll("p1", Request(std::nullopt, 30'000), c.Callback());
  EXPECT_TRUE(absl::IsUnavailable(refused)) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("too many live tail requests"));
  EXPECT_FALSE(c.result.has_value());
  // One that need not wait is still answered.
  EXPECT_TRUE(PollNow(tail, "p1", Request(std::nullopt, 0)).entries.empty());
  tail.Shutdown();
}

TEST_F(LiveTailTest, TheThreadAnswersOnArrivalAndOnTimeout) {
  LiveTail tail(SystemClock::Get());
  tail.Start();
  absl::Notification arrived;
  std::optional<TailResult> on_arrival;
  ASSERT_TRUE(tail.Poll("p1", Request(std::nullopt, 30'000), [&](TailResult r) {
                    on_arrival = std::move(r);
                    arrived.Notify();
                  }).ok());
  tail.Append("p1", 1, Entries({"a"}));
  ASSERT_TRUE(arrived.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_THAT(Names(*on_arrival), ElementsAre("a"));

  absl::Notification timed_out;
  std::optional<TailResult> on_timeout;
  ASSERT_TRUE(tail.Poll("p1", Request(1, 1), [&](TailResult r) {
                    on_timeout = std::move(r);
                    timed_out.Notify();
                  }).ok());
  ASSERT_TRUE(timed_out.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_TRUE(on_timeout->entries.empty());
  EXPECT_EQ(on_timeout->next, 1);
}

TEST(TailEntriesOfTest, SummarizesObservationsAndFragmentsWithOneLinePreviews) {
  model::Observation root{.id = "r", .trace_id = "t", .name = "agent", .type = model::ObservationType::kAgent};
  root.start_time_ns = kNow;
  root.end_time_ns = kNow + 250 * kMs;
  root.input = std::string(300, 'x');
  root.output = Json{{"answer", "line one\nline two"}};
  root.trace_hints.user_id = "u1";
  model::Observation child{.id = "c", .trace_id = "t", .parent_id = "r", .name = "chat", .model = "gpt-4o"};
  child.trace_hints.trace_name = "support";
  child.cost.total = 0.5;
  model::ObservationFragment update{.observation = {.id = "c", .name = "chat-renamed"},
                                    .fields = model::kFieldName | model::kFieldEndTime,
                                    .kind = model::FragmentKind::kUpdate};
  const std::vector<TailEntry> entries =
      TailEntriesOf(store::WriteBatch{.project = "p1", .observations = {root, child}, .fragments = {update}});
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].trace_name, "agent");  // a root names its trace
  EXPECT_EQ(entries[0].input_preview, std::string(kTailPreviewChars, 'x') + "…");
  EXPECT_EQ(entries[0].output_preview, R"({"answer":"line one line two"})");
  EXPECT_EQ(entries[0].user_id, "u1");
  EXPECT_EQ(entries[0].latency_ms(), 250.0);
  EXPECT_EQ(entries[1].trace_name, "support");
  EXPECT_EQ(entries[1].parent_id, "r");
  EXPECT_EQ(entries[1].model, "gpt-4o");
  EXPECT_EQ(entries[1].cost_usd, 0.5);
  EXPECT_EQ(entries[1].input_preview, "");
  EXPECT_EQ(entries[1].latency_ms(), std::nullopt);
  EXPECT_TRUE(entries[2].update);
  EXPECT_EQ(entries[2].type, std::nullopt);  // an update that did not say
  EXPECT_EQ(entries[2].name, "chat-renamed");
  EXPECT_EQ(entries[2].trace_id, "");
}

TEST(TailEntriesOfTest, CutsPreviewsOnCodePoints) {
  model::Observation o{.id = "o", .trace_id = "t"};
  std::string text;
  for (int i = 0; i < 250; ++i) text += "é";
  o.input = text;
  const std::vector<TailEntry> entries = TailEntriesOf(store::WriteBatch{.project = "p", .observations = {o}});
  std::string expected;
  for (size_t i = 0; i < kTailPreviewChars; ++i) expected += "é";
  EXPECT_EQ(entries[0].input_preview, expected + "…");
}

TEST(ParseTailRequestTest, ReadsEveryParameter) {
  absl::StatusOr<TailRequest> request = ParseTailRequest(
      {{"after", "12"}, {"wait_ms", "0"}, {"limit", "5"}, {"type", "generation"}, {"name", "chat"},
       {"trace_name", "support"}, {"model", "gpt-4o"}, {"status", "error"}, {"environment", "prod"},
       {"release", "v2"}, {"user_id", "u"}, {"session_id", "s"}, {"min_latency_ms", "100"}, {"min_cost", "0.5"}});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->after, 12);
  EXPECT_EQ(request->wait_ms, 0);
  EXPECT_EQ(request->limit, 5);
  EXPECT_EQ(request->filter.type, model::ObservationType::kGeneration);
  EXPECT_EQ(request->filter.name, "chat");
  EXPECT_EQ(request->filter.trace_name, "support");
  EXPECT_EQ(request->filter.model, "gpt-4o");
  EXPECT_EQ(request->filter.error, true);
  EXPECT_EQ(request->filter.environment, "prod");
  EXPECT_EQ(request->filter.release, "v2");
  EXPECT_EQ(request->filter.user_id, "u");
  EXPECT_EQ(request->filter.session_id, "s");
  EXPECT_EQ(request->filter.min_latency_ms, 100);
  EXPECT_EQ(request->filter.min_cost, 0.5);

  absl::StatusOr<TailRequest> defaults = ParseTailRequest({{"name", ""}});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->after, std::nullopt);
  EXPECT_EQ(defaults->wait_ms, 25'000);
  EXPECT_EQ(defaults->limit, 100);
  EXPECT_EQ(defaults->filter.name, "");
}

TEST(ParseTailRequestTest, RefusesBadParametersNamingThem) {
  const std::vector<std::pair<query::QueryParams, std::string>> cases = {
      {{{"after", "-1"}}, "parameter 'after' must be an integer from 0"},
      {{{"after", "x"}}, "parameter 'after'"},
      {{{"wait_ms", "30001"}}, "parameter 'wait_ms' must be an integer from 0 to 30000, got '30001'"},
      {{{"limit", "0"}}, "parameter 'limit' must be an integer from 1 to 1000"},
      {{{"type", "spans"}}, "parameter 'type' must be one of span, generation"},
      {{{"status", "timeout"}}, "parameter 'status' must be ok or error"},
      {{{"min_cost", "-1"}}, "parameter 'min_cost' must be a non-negative number"},
      {{{"min_latency_ms", "nan"}}, "parameter 'min_latency_ms' must be a non-negative number"},
      {{{"tag", "x"}}, "unknown parameter 'tag'"},
      {{{"name", "a"}, {"name", "b"}}, "parameter 'name' is repeated"},
  };
  for (const auto& [params, message] : cases) {
    SCOPED_TRACE(message);
    absl::StatusOr<TailRequest> request = ParseTailRequest(params);
    ASSERT_TRUE(absl::IsInvalidArgument(request.status())) << request.status();
    EXPECT_THAT(std::string(request.status().message()), HasSubstr(message));
  }
}

TEST(TailResultJsonTest, ShowsEntriesWithNullForWhatIsUnknownAndWithholdsPreviewsWithoutRawIo) {
  TailEntry entry = Entry("chat");
  entry.seq = 7;
  entry.input_preview = "hello";
  entry.usage.input_tokens = 3;
  const TailResult result{.entries = {entry}, .next = 7, .dropped = 2};
  const Json json = TailResultJson(result, /*raw_io=*/true);
  EXPECT_EQ(json["next"], 7);
  EXPECT_EQ(json["dropped"], 2);
  EXPECT_FALSE(json.contains("raw_io_withheld"));
  const Json& e = json["data"][0];
  EXPECT_EQ(e["seq"], 7);
  EXPECT_EQ(e["id"], "o-chat");
  EXPECT_EQ(e["trace_id"], "t-chat");
  EXPECT_EQ(e["parent_id"], nullptr);
  EXPECT_EQ(e["type"], "span");
  EXPECT_EQ(e["model"], nullptr);
  EXPECT_EQ(e["status"], "unset");
  EXPECT_EQ(e["latency_ms"], 10.0);
  EXPECT_EQ(e["start_time"], "2027-01-15T08:00:00.000000Z");
  EXPECT_EQ(e["usage"]["input_tokens"], 3);
  EXPECT_EQ(e["cost"]["total"], 0.0);
  EXPECT_EQ(e["input_preview"], "hello");
  EXPECT_EQ(e["output_preview"], nullptr);

  const Json withheld = TailResultJson(result, /*raw_io=*/false);
  EXPECT_EQ(withheld["raw_io_withheld"], true);
  EXPECT_EQ(withheld["data"][0]["input_preview"], nullptr);
  EXPECT_EQ(withheld["data"][0]["name"], "chat");
}

}  // namespace
}  // namespace trackly::server
