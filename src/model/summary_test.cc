#include "model/summary.h"

#include <algorithm>
#include <map>
#include <random>

#include <gtest/gtest.h>

namespace trackly::model {
namespace {

Observation Obs(std::string id, std::string parent, int64_t start_ms, int64_t end_ms,
                ObservationType type = ObservationType::kSpan) {
  Observation o;
  o.id = std::move(id);
  o.trace_id = "t1";
  o.parent_id = std::move(parent);
  o.name = o.id;
  o.type = type;
  o.start_time_ns = (1000 + start_ms) * 1'000'000;
  o.end_time_ns = (1000 + end_ms) * 1'000'000;
  return o;
}

std::vector<Observation> AgentRun() {
  std::vector<Observation> obs;
  Observation root = Obs("root", "", 0, 1000, ObservationType::kAgent);
  root.trace_hints.session_id = "s1";
  root.trace_hints.tags = {"b"};
  root.input = "question";
  root.usage.input_tokens = 999;  // a wrapper repeating its children's total: not counted
  obs.push_back(root);
  Observation gen = Obs("gen", "root", 10, 400, ObservationType::kGeneration);
  gen.model = "gpt-4o";
  gen.usage = Usage{.input_tokens = 100, .output_tokens = 20, .total_tokens = 120};
  gen.cost = Cost{.total = 0.5};
  gen.trace_hints.user_id = "u1";
  gen.trace_hints.tags = {"a", "b"};
  obs.push_back(gen);
  Observation tool = Obs("tool", "root", 400, 900, ObservationType::kTool);
  tool.status = Status::kError;
  tool.retry_count = 1;
  tool.cost = Cost{.total = 0.25};  // a paid API with no model call below it: counted
  obs.push_back(tool);
  obs.push_back(Obs("ret", "root", 5, 9, ObservationType::kRetriever));
  return obs;
}

TEST(SummaryTest, SumsLeafCarriersAndCounts) {
  Trace t = SummarizeTrace(AgentRun());
  EXPECT_EQ(t.id, "t1");
  EXPECT_EQ(t.name, "root");
  EXPECT_TRUE(t.has_root);
  EXPECT_EQ(t.status, Status::kError);
  EXPECT_EQ(t.session_id, "s1");
  EXPECT_EQ(t.user_id, "u1");
  EXPECT_EQ(t.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t.models, (std::vector<std::string>{"gpt-4o"}));
  EXPECT_EQ(t.usage.input_tokens, 100);
  EXPECT_DOUBLE_EQ(t.cost.total, 0.75);
  EXPECT_EQ(t.counts.observations, 4);
  EXPECT_EQ(t.counts.generations, 1);
  EXPECT_EQ(t.counts.tool_calls, 1);
  EXPECT_EQ(t.counts.retrievals, 1);
  EXPECT_EQ(t.counts.errors, 1);
  EXPECT_EQ(t.counts.retries, 1);
  EXPECT_EQ(t.input, "question");
  EXPECT_DOUBLE_EQ(t.latency_ms(), 1000);
}

TEST(SummaryTest, ResultDoesNotDependOnOrder) {
  std::vector<Observation> obs = AgentRun();
  Trace want = SummarizeTrace(obs);
  std::mt19937 rng(7);
  for (int i = 0; i < 20; ++i) {
    std::shuffle(obs.begin(), obs.end(), rng);
    EXPECT_EQ(SummarizeTrace(obs), want);
  }
}

TEST(SummaryTest, TraceWithoutRootIsIncompleteAndUnset) {
  std::vector<Observation> obs = {Obs("child", "missing-root", 10, 20)};
  Trace t = SummarizeTrace(obs);
  EXPECT_FALSE(t.has_root);
  EXPECT_EQ(t.status, Status::kUnset);
  EXPECT_EQ(t.name, "child");
}

TEST(SummaryTest, CyclicParentsDoNotLoop) {
  Observation a = Obs("a", "b", 0, 1);
  Observation b = Obs("b", "a", 0, 1);
  a.usage.input_tokens = 1;
  b.usage.input_tokens = 2;
  std::vector<Observation> obs = {a, b};
  Trace t = SummarizeTrace(obs);  // terminates; both are each other's ancestor
  EXPECT_EQ(t.counts.observations, 2);
}

TEST(SummaryTest, SessionSumsTraces) {
  Trace t1 = SummarizeTrace(AgentRun());
  Trace t2 = t1;
  t2.id = "t2";
  t2.status = Status::kOk;
  t2.start_time_ns += 5'000'000'000;
  t2.end_time_ns += 5'000'000'000;
  std::vector<Trace> traces = {t1, t2};
  Session s = SummarizeSession("s1", traces);
  EXPECT_EQ(s.trace_count, 2);
  EXPECT_EQ(s.error_count, 1);
  EXPECT_EQ(s.user_id, "u1");
  EXPECT_EQ(s.usage.input_tokens, 200);
  EXPECT_EQ(s.counts.tool_calls, 2 * t1.counts.tool_calls);
  EXPECT_EQ(s.counts.generations, 2 * t1.counts.generations);
  EXPECT_GT(t1.counts.tool_calls, 0);
  EXPECT_EQ(s.first_time_ns, t1.start_time_ns);
  EXPECT_EQ(s.last_time_ns, t2.end_time_ns);
}

// Random rewrites, arrivals and departures of traces, applied to the summary one change at a
// time: the result always equals the recomputation (amounts up to rounding), and the update
// declines only when a removed trace held the first or last time and nothing reaches it.
TEST(SummaryTest, SessionUpdatesEqualRecomputation) {
  std::mt19937_64 rng(7);
  auto pick = [&](int n) { return static_cast<int64_t>(rng() % static_cast<uint64_t>(n)); };
  auto random_trace = [&](std::string id) {
    Trace t;
    t.id = std::move(id);
    t.start_time_ns = pick(4) == 0 ? 0 : 1'000 + pick(100);
    t.end_time_ns = pick(4) == 0 ? 0 : t.start_time_ns + pick(50);
    t.status = pick(3) == 0 ? Status::kError : Status::kOk;
    t.user_id = pick(2) == 0 ? "" : "u" + std::to_string(pick(3));
    t.counts = TraceCounts{.observations = 1 + pick(9), .generations = pick(3), .tool_calls = pick(3)};
    t.usage = Usage{.input_tokens = pick(500), .output_tokens = pick(200), .total_tokens = pick(700)};
    t.cost = Cost{.input = pick(100) * 0.0001, .output = pick(100) * 0.0003, .total = pick(100) * 0.0007};
    return t;
  };
  std::map<std::string, Trace> in_session;
  Session session = SummarizeSession("s", {});
  int declined = 0;
  for (int step = 0; step < 2000; ++step) {
    std::vector<Trace> removed, added;
    for (int n = 1 + static_cast<int>(pick(3)); n > 0; --n) {
      std::string id = "t" + std::to_string(pick(12));
      if (std::ranges::any_of(added, [&](const Trace& t) { return t.id == id; })) continue;
      auto it = in_session.find(id);
      if (it != in_session.end()) removed.push_back(it->second);
      if (it == in_session.end() || pick(4) != 0) {  // else the trace leaves the session
        added.push_back(random_trace(id));
        in_session[id] = added.back();
      } else {
        in_session.erase(it);
      }
    }
    std::vector<Trace> all;
    for (const auto& [id, t] : in_session) all.push_back(t);
    Session expected = SummarizeSession("s", all);
    std::optional<Session> updated = UpdateSessionSummary(session, removed, added);
    if (!updated) {
      ++declined;
      session = expected;
      continue;
    }
    if (ChangesSessionUser(removed, added)) updated->user_id = expected.user_id;
    EXPECT_NEAR(updated->cost.total, expected.cost.total, 1e-9) << "step " << step;
    EXPECT_NEAR(updated->cost.input, expected.cost.input, 1e-9) << "step " << step;
    EXPECT_NEAR(updated->cost.output, expected.cost.output, 1e-9) << "step " << step;
    updated->cost = expected.cost;
    ASSERT_EQ(*updated, expected) << "step " << step;
    session = *std::move(updated);
  }
  // Most changes apply without a recomputation; some must decline (a departure of the first).
  EXPECT_GT(declined, 0);
  EXPECT_LT(declined, 1000);
}

TEST(SummaryTest, SessionUpdateLeavesUnchangedAmountsExact) {
  Trace t = SummarizeTrace(AgentRun());
  t.cost = Cost{.input = 0.1, .output = 0.2, .total = 0.3};
  Trace other = t;
  other.id = "t2";
  other.cost.total = 0.7;
  std::vector<Trace> both = {t, other};
  Session s = SummarizeSession("s1", both);
  Trace rewritten = t;
  rewritten.counts.observations += 1;  // a late span without spend
  std::vector<Trace> removed = {t};
  std::vector<Trace> added = {rewritten};
  std::optional<Session> updated = UpdateSessionSummary(s, removed, added);
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(updated->cost, s.cost);
  EXPECT_EQ(updated->counts.observations, s.counts.observations + 1);
}

// A sub-agent whose tool makes its own model call: the sub-agent's subtree holds that call's spend
// once, even though the sub-agent repeats its children's usage as a wrapper.
std::vector<Observation> NestedAgents() {
  std::vector<Observation> obs = AgentRun();
  Observation sub = Obs("sub", "root", 100, 800, ObservationType::kAgent);
  sub.usage.input_tokens = 555;  // wrapper total: not a leaf carrier
  obs.push_back(sub);
  obs.push_back(Obs("sub-tool", "sub", 110, 700, ObservationType::kTool));
  Observation inner = Obs("inner-gen", "sub-tool", 120, 600, ObservationType::kGeneration);
  inner.usage = Usage{.input_tokens = 40, .output_tokens = 2, .total_tokens = 42};
  inner.cost = Cost{.total = 0.125};
  inner.status = Status::kError;
  obs.push_back(inner);
  return obs;
}

const SubtreeTotals& TotalsOf(const std::vector<Observation>& obs, const std::vector<SubtreeTotals>& totals,
                              std::string_view id) {
  for (size_t i = 0; i < obs.size(); ++i) {
    if (obs[i].id == id) return totals[i];
  }
  ADD_FAILURE() << "no observation " << id;
  static const SubtreeTotals kNone;
  return kNone;
}

TEST(SummaryTest, SubtreesSumTheirLeafCarriers) {
  const std::vector<Observation> obs = NestedAgents();
  const std::vector<SubtreeTotals> totals = SummarizeSubtrees(obs);
  ASSERT_EQ(totals.size(), obs.size());

  const SubtreeTotals& sub = TotalsOf(obs, totals, "sub");
  EXPECT_EQ(sub.usage.input_tokens, 40);
  EXPECT_DOUBLE_EQ(sub.cost.total, 0.125);
  EXPECT_EQ(sub.counts.observations, 3);
  EXPECT_EQ(sub.counts.generations, 1);
  EXPECT_EQ(sub.counts.tool_calls, 1);
  EXPECT_EQ(sub.counts.errors, 1);

  const SubtreeTotals& gen = TotalsOf(obs, totals, "gen");
  EXPECT_EQ(gen.usage.input_tokens, 100);
  EXPECT_EQ(gen.counts.observations, 1);

  // The root's subtree is the whole trace: equal to the trace summary's totals.
  const Trace trace = SummarizeTrace(obs);
  const SubtreeTotals& root = TotalsOf(obs, totals, "root");
  EXPECT_EQ(root.counts, trace.counts);
  EXPECT_EQ(root.usage, trace.usage);
  EXPECT_DOUBLE_EQ(root.cost.total, trace.cost.total);
  EXPECT_DOUBLE_EQ(root.cost.total, 0.875);
}

TEST(SummaryTest, SubtreesOfOrphansAndCyclesCountThemselves) {
  std::vector<Observation> obs;
  Observation orphan = Obs("orphan", "missing", 0, 10, ObservationType::kGeneration);
  orphan.cost = Cost{.total = 1};
  obs.push_back(orphan);
  obs.push_back(Obs("a", "b", 0, 10));
  obs.push_back(Obs("b", "a", 0, 10));
  obs.push_back(Obs("self", "self", 0, 10));
  const std::vector<SubtreeTotals> totals = SummarizeSubtrees(obs);
  EXPECT_DOUBLE_EQ(TotalsOf(obs, totals, "orphan").cost.total, 1);
  for (std::string_view id : {"a", "b", "self"}) EXPECT_EQ(TotalsOf(obs, totals, id).counts.observations, 1) << id;
}

TEST(SummaryTest, DeepChainsAreLinear) {
  // 200,000 nested spans: a walk per node up to the root would take minutes; this takes a moment.
  std::vector<Observation> obs;
  constexpr int kDepth = 200'000;
  obs.reserve(kDepth);
  for (int i = 0; i < kDepth; ++i) obs.push_back(Obs("s" + std::to_string(i), i == 0 ? "" : "s" + std::to_string(i - 1), i, i + 1));
  obs.back().usage.input_tokens = 7;
  const std::vector<SubtreeTotals> totals = SummarizeSubtrees(obs);
  EXPECT_EQ(totals.front().counts.observations, kDepth);
  EXPECT_EQ(totals.front().usage.input_tokens, 7);
}

}  // namespace
}  // namespace trackly::model
