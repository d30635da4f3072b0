#include "analysis/workflow_graph.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "analysis/test_trace.h"
#include "base/status.h"

namespace trackly::analysis {
namespace {

using namespace testing;  // NOLINT: the builders of test_trace.h

// A span named `name` (ids need not be names here: several spans share a name).
Observation Step(std::string id, std::string parent, std::string name, int64_t start_ms, int64_t end_ms,
                 ObservationType type = ObservationType::kSpan) {
  Observation o = Obs(std::move(id), std::move(parent), start_ms, end_ms, type);
  o.name = std::move(name);
  return o;
}

Observation Agent(std::string id, std::string parent, std::string name, int64_t start_ms, int64_t end_ms) {
  return Step(std::move(id), std::move(parent), std::move(name), start_ms, end_ms, ObservationType::kAgent);
}

Observation Chat(std::string id, std::string parent, std::string name, int64_t start_ms, int64_t end_ms,
                 double cost_usd = 0, int64_t total_tokens = 0) {
  Observation o = Gen(std::move(id), std::move(parent), start_ms, end_ms);
  o.name = std::move(name);
  o.cost.total = cost_usd;
  o.usage.total_tokens = total_tokens;
  return o;
}

// A planner agent: plan, `searches` × search, answer, as siblings.
std::vector<Observation> PlannerRun(int searches, int search_ms = 10) {
  std::vector<Observation> run = {Agent("root", "", "planner", 0, 1000), Chat("plan", "root", "plan", 0, 10)};
  for (int k = 0; k < searches; ++k) {
    run.push_back(Tool("s" + std::to_string(k), "root", 10 + 50 * k, 10 + 50 * k + search_ms, "search"));
  }
  run.push_back(Chat("answer", "root", "answer", 900, 950));
  return run;
}

std::vector<std::vector<Observation>> Repeated(const std::vector<Observation>& run, int times) {
  return std::vector<std::vector<Observation>>(static_cast<size_t>(times), run);
}

template <typename... Runs>
std::vector<std::vector<Observation>> RunsOf(Runs... runs) {
  return {std::move(runs)...};
}

// One line per node, indented by depth: "<key> runs=R calls=C per_run=P".
std::vector<std::string> NodeLines(const WorkflowGraph& g) {
  std::vector<std::string> lines;
  for (const WorkflowNode& n : g.nodes) {
    lines.push_back(absl::StrCat(std::string(2 * static_cast<size_t>(n.depth - 1), ' '), n.key, " runs=", n.runs,
                                 " calls=", n.calls, " per_run=", n.calls_per_run));
  }
  return lines;
}

// One line per kThen edge: "<from path> then <to key> runs=R count=C".
std::vector<std::string> ThenLines(const WorkflowGraph& g) {
  std::vector<std::string> lines;
  for (const WorkflowEdge& e : g.edges) {
    if (e.kind != WorkflowEdgeKind::kThen) continue;
    lines.push_back(absl::StrCat(WorkflowPath(g, e.from), " then ", g.nodes[static_cast<size_t>(e.to)].key,
                                 " runs=", e.runs, " count=", e.count));
  }
  return lines;
}

TEST(WorkflowGraphTest, AggregatesStepsByPathAndSequences) {
  struct Case {
    const char* name;
    std::vector<std::vector<Observation>> runs;
    std::vector<std::string> nodes;
    std::vector<std::string> thens;
  };
  std::vector<Observation> optional = PlannerRun(1);
  optional.push_back(Tool("calc", "root", 500, 510, "calculator"));
  const Case cases[] = {
      {"OneRun",
       RunsOf(PlannerRun(1)),
       {"agent:planner runs=1 calls=1 per_run=1", "  generation:answer runs=1 calls=1 per_run=1",
        "  generation:plan runs=1 calls=1 per_run=1", "  tool:search runs=1 calls=1 per_run=1"},
       {"agent:planner > generation:plan then tool:search runs=1 count=1",
        "agent:planner > tool:search then generation:answer runs=1 count=1"}},
      {"ManyIdenticalRunsAddUp",
       Repeated(PlannerRun(1), 5),
       {"agent:planner runs=5 calls=5 per_run=1", "  generation:answer runs=5 calls=5 per_run=1",
        "  generation:plan runs=5 calls=5 per_run=1", "  tool:search runs=5 calls=5 per_run=1"},
       {"agent:planner > generation:plan then tool:search runs=5 count=5",
        "agent:planner > tool:search then generation:answer runs=5 count=5"}},
      {"LoopIsASelfEdgeWithItsCount",
       RunsOf(PlannerRun(3), PlannerRun(1)),
       {"agent:planner runs=2 calls=2 per_run=1", "  generation:answer runs=2 calls=2 per_run=1",
        "  generation:plan runs=2 calls=2 per_run=1", "  tool:search runs=2 calls=4 per_run=2"},
       {"agent:planner > generation:plan then tool:search runs=2 count=2",
        "agent:planner > tool:search then generation:answer runs=2 count=2",
        "agent:planner > tool:search then tool:search runs=1 count=2"}},
      {"OptionalBranchIsInFewerRuns",
       RunsOf(PlannerRun(1), PlannerRun(1), PlannerRun(1), optional),
       {"agent:planner runs=4 calls=4 per_run=1", "  generation:answer runs=4 calls=4 per_run=1",
        "  generation:plan runs=4 calls=4 per_run=1", "  tool:calculator runs=1 calls=1 per_run=0.25",
        "  tool:search runs=4 calls=4 per_run=1"},
       {"agent:planner > generation:plan then tool:search runs=4 count=4",
        "agent:planner > tool:calculator then generation:answer runs=1 count=1",
        "agent:planner > tool:search then generation:answer runs=3 count=3",
        "agent:planner > tool:search then tool:calculator runs=1 count=1"}},
      {"SameKeyUnderAnotherParentIsAnotherNode",
       RunsOf(std::vector<Observation>{Agent("root", "", "main", 0, 100), Agent("p", "root", "planner", 0, 40),
                                       Tool("t1", "p", 10, 20, "search"), Agent("w", "root", "writer", 50, 90),
                                       Tool("t2", "w", 60, 70, "search")}),
       {"agent:main runs=1 calls=1 per_run=1", "  agent:planner runs=1 calls=1 per_run=1",
        "    tool:search runs=1 calls=1 per_run=1", "  agent:writer runs=1 calls=1 per_run=1",
        "    tool:search runs=1 calls=1 per_run=1"},
       {"agent:main > agent:planner then agent:writer runs=1 count=1"}},
      {"OrphanIsARootFollowingTheRoot",
       RunsOf(std::vector<Observation>{Agent("root", "", "planner", 0, 100), Tool("t", "root", 10, 20, "search"),
                                       Tool("late", "missing", 200, 210, "notify")}),
       {"agent:planner runs=1 calls=1 per_run=1", "  tool:search runs=1 calls=1 per_run=1",
        "tool:notify runs=1 calls=1 per_run=1"},
       {"agent:planner then tool:notify runs=1 count=1"}},
      {"ParentCycleIsCutAtItsEarliestMember",
       // a → b → c → a: b starts first and becomes the root; d hangs below c.
       RunsOf(std::vector<Observation>{Obs("a", "c", 20, 30), Obs("b", "a", 10, 50), Obs("c", "b", 15, 40),
                                       Obs("d", "c", 16, 17)}),
       {"span:b runs=1 calls=1 per_run=1", "  span:c runs=1 calls=1 per_run=1",
        "    span:a runs=1 calls=1 per_run=1", "    span:d runs=1 calls=1 per_run=1"},
       {"span:b > span:c > span:d then span:a runs=1 count=1"}},
      {"EmptyRunCountsAsARun",
       RunsOf(PlannerRun(0), std::vector<Observation>{}),
       {"agent:planner runs=1 calls=1 per_run=0.5", "  generation:answer runs=1 calls=1 per_run=0.5",
        "  generation:plan runs=1 calls=1 per_run=0.5"},
       {"agent:planner > generation:plan then generation:answer runs=1 count=1"}},
      {"NoRuns", {}, {}, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const WorkflowGraph g = BuildWorkflowGraph(c.runs);
    EXPECT_EQ(g.totals.runs, static_cast<int64_t>(c.runs.size()));
    EXPECT_EQ(NodeLines(g), c.nodes);
    EXPECT_EQ(ThenLines(g), c.thens);
    // One kContains edge per node below a root, with the child's figures.
    int64_t contains = 0;
    for (const WorkflowEdge& e : g.edges) {
      if (e.kind != WorkflowEdgeKind::kContains) continue;
      ++contains;
      const WorkflowNode& child = g.nodes[static_cast<size_t>(e.to)];
      EXPECT_EQ(child.parent, e.from);
      EXPECT_EQ(e.runs, child.runs);
      EXPECT_EQ(e.count, child.calls);
    }
    EXPECT_EQ(contains, std::count_if(g.nodes.begin(), g.nodes.end(), [](const WorkflowNode& n) { return n.parent >= 0; }));
  }
}

TEST(WorkflowGraphTest, NodeFiguresAreExactPercentilesAndPerCallMeans) {
  // Ten runs whose search takes 10, 20, …, 100 ms and whose model call costs 0.5 and 1.5 USD in
  // turn; the third run's search fails.
  std::vector<std::vector<Observation>> runs;
  for (int i = 0; i < 10; ++i) {
    std::vector<Observation> run = PlannerRun(1, 10 * (i + 1));
    run[1].cost.total = i % 2 == 0 ? 0.5 : 1.5;
    run[1].usage = {.input_tokens = 100, .output_tokens = 20, .total_tokens = 120};
    if (i == 2) run[2].status = Status::kError;
    runs.push_back(std::move(run));
  }
  const WorkflowGraph g = BuildWorkflowGraph(runs);
  ASSERT_EQ(g.nodes.size(), 4u);
  const WorkflowNode& plan = g.nodes[2];
  const WorkflowNode& search = g.nodes[3];
  ASSERT_EQ(search.key, "tool:search");
  // Lower rank: sorted[floor(0.5 · 9)] = 50 ms, sorted[floor(0.95 · 9)] = 90 ms.
  EXPECT_EQ(search.latency_p50_ms, 50);
  EXPECT_EQ(search.latency_p95_ms, 90);
  EXPECT_EQ(search.errors, 1);
  ASSERT_EQ(plan.key, "generation:plan");
  EXPECT_EQ(plan.cost_usd, 10);
  EXPECT_EQ(plan.mean_cost_usd, 1);
  EXPECT_EQ(plan.input_tokens, 1000);
  EXPECT_EQ(plan.output_tokens, 200);
  EXPECT_EQ(plan.total_tokens, 1200);
  EXPECT_EQ(plan.mean_total_tokens, 120);
  EXPECT_EQ(plan.latency_p50_ms, 10);
}

TEST(WorkflowGraphTest, OpenSpanRunsToItsTracesLastTime) {
  const WorkflowGraph g = BuildWorkflowGraph(
      RunsOf(std::vector<Observation>{Agent("root", "", "planner", 0, kOpen), Tool("t", "root", 100, 400, "search")}));
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].latency_p50_ms, 400);
  EXPECT_EQ(g.totals.latency_p50_ms, 400);
}

TEST(WorkflowGraphTest, RunTotalsArePerRunMeansAndRunLatencyPercentiles) {
  // A wrapper repeating its model call's cost and usage is not counted twice.
  auto run = [](int searches, int64_t end_ms) {
    std::vector<Observation> r = PlannerRun(searches);
    r[0].end_time_ns = Ns(end_ms);
    r[0].cost.total = 0.25;
    r[1].cost.total = 0.25;
    r[1].usage.total_tokens = 100;
    return r;
  };
  const WorkflowGraph g = BuildWorkflowGraph(RunsOf(run(1, 1000), run(2, 2000), run(3, 3000), run(6, 4000)));
  EXPECT_EQ(g.totals, (WorkflowRunTotals{.runs = 4,
                                         .spans_per_run = 6,
                                         .model_calls_per_run = 2,
                                         .tool_calls_per_run = 3,
                                         .errors_per_run = 0,
                                         .cost_per_run_usd = 0.25,
                                         .total_tokens_per_run = 100,
                                         .latency_p50_ms = 2000,
                                         .latency_p95_ms = 3000}));
}

TEST(WorkflowGraphTest, DoesNotDependOnTheOrderOfRunsOrObservations) {
  std::vector<std::vector<Observation>> runs;
  for (int i = 0; i < 12; ++i) {
    std::vector<Observation> run = PlannerRun(1 + i % 4, 5 + i);
    run[1].cost.total = 0.25 * (i % 3);
    if (i % 5 == 0) run.push_back(Tool("calc", "root", 700, 720, "calculator"));
    runs.push_back(std::move(run));
  }
  const WorkflowGraph want = BuildWorkflowGraph(runs);
  std::mt19937 rng(7);
  for (int trial = 0; trial < 5; ++trial) {
    std::shuffle(runs.begin(), runs.end(), rng);
    for (std::vector<Observation>& run : runs) std::shuffle(run.begin(), run.end(), rng);
    EXPECT_EQ(BuildWorkflowGraph(runs), want) << "trial " << trial;
  }
}

TEST(WorkflowGraphTest, PathsAreCutToTheirLastSteps) {
  const WorkflowGraph g = BuildWorkflowGraph(RunsOf(Chain(5)));
  ASSERT_EQ(g.nodes.size(), 5u);
  EXPECT_EQ(WorkflowPath(g, 4), "span:s0 > span:s1 > span:s2 > span:s3 > span:s4");
  EXPECT_EQ(WorkflowPath(g, 4, 3), "… > span:s3 > span:s4");
  EXPECT_EQ(WorkflowPath(g, 5), "");
  EXPECT_EQ(WorkflowPath(g, -1), "");
}

// Release A of a research agent, or release B after a prompt change: B searches 3× as often and,
// in 40 % of the runs, fetches a page after its last search. Latencies jitter the same way in both.
std::vector<std::vector<Observation>> Release(bool b, int runs, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<Observation>> out;
  for (int i = 0; i < runs; ++i) {
    std::vector<Observation> run = {Agent("root", "", "researcher", 0, 2000),
                                    Chat("plan", "root", "plan", 0, 100, 0.001, 500),
                                    Step("research", "root", "research", 100, 1100),
                                    Chat("answer", "root", "answer", 1100, 1300, 0.002, 900)};
    const int searches = (1 + i % 2) * (b ? 3 : 1);
    int64_t at = 100;
    for (int k = 0; k < searches; ++k) {
      run.push_back(Tool("s" + std::to_string(k), "research", at, at + 10 + rng() % 10, "search"));
      at += 30;
    }
    if (b && i % 5 < 2) run.push_back(Tool("fetch", "research", at, at + 10 + rng() % 10, "fetch_page"));
    out.push_back(std::move(run));
  }
  return out;
}

std::string Figure(double before, double after) { return absl::StrCat(before, "->", after); }

// One line per finding of the diff, paths as WorkflowPath gives them.
std::vector<std::string> DiffLines(const WorkflowGraph& before, const WorkflowGraph& after,
                                   const WorkflowGraphDiff& diff) {
  std::vector<std::string> lines;
  for (int32_t n : diff.new_nodes) lines.push_back("new node " + WorkflowPath(after, n));
  for (int32_t n : diff.vanished_nodes) lines.push_back("vanished node " + WorkflowPath(before, n));
  auto edge = [](const WorkflowGraph& g, int32_t k) {
    const WorkflowEdge& e = g.edges[static_cast<size_t>(k)];
    return WorkflowPath(g, e.from) + " then " + g.nodes[static_cast<size_t>(e.to)].key;
  };
  for (int32_t k : diff.new_edges) lines.push_back("new edge " + edge(after, k));
  for (int32_t k : diff.vanished_edges) lines.push_back("vanished edge " + edge(before, k));
  for (const WorkflowNodeChange& c : diff.moved_nodes) {
    EXPECT_EQ(WorkflowPath(before, c.before), WorkflowPath(after, c.after));
    std::string line = "moved " + WorkflowPath(after, c.after);
    if (c.calls_per_run_moved) absl::StrAppend(&line, " calls_per_run ", Figure(c.calls_per_run_before, c.calls_per_run_after));
    if (c.latency_p50_moved) absl::StrAppend(&line, " p50 ", Figure(c.latency_p50_ms_before, c.latency_p50_ms_after));
    if (c.latency_p95_moved) absl::StrAppend(&line, " p95 ", Figure(c.latency_p95_ms_before, c.latency_p95_ms_after));
    if (c.mean_cost_moved) absl::StrAppend(&line, " mean_cost ", Figure(c.mean_cost_usd_before, c.mean_cost_usd_after));
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::vector<Observation>> WithCost(std::vector<std::vector<Observation>> runs, double plan_cost_usd) {
  for (std::vector<Observation>& run : runs) run[1].cost.total = plan_cost_usd;
  return runs;
}

TEST(WorkflowGraphTest, DiffReportsNewVanishedAndMovedSteps) {
  struct Case {
    const char* name;
    std::vector<std::vector<Observation>> before;
    std::vector<std::vector<Observation>> after;
    std::vector<std::string> want;
  };
  std::vector<Observation> with_calculator = PlannerRun(1);
  with_calculator.push_back(Tool("calc", "root", 500, 510, "calculator"));
  const Case cases[] = {
      {"IdenticalRunsChangeNothing", Repeated(PlannerRun(2), 3), Repeated(PlannerRun(2), 3), {}},
      {"ReleaseBAddsFetchPageAfterSearchAndSearchesThreeTimesMore",
       Release(false, 100, 1),
       Release(true, 100, 2),
       {"new node agent:researcher > span:research > tool:fetch_page",
        "new edge agent:researcher > span:research > tool:search then tool:fetch_page",
        "moved agent:researcher > span:research > tool:search calls_per_run 1.5->4.5"}},
      {"BackToReleaseAVanishesTheBranch",
       Release(true, 100, 2),
       Release(false, 100, 1),
       {"vanished node agent:researcher > span:research > tool:fetch_page",
        "vanished edge agent:researcher > span:research > tool:search then tool:fetch_page",
        "moved agent:researcher > span:research > tool:search calls_per_run 4.5->1.5"}},
      {"NewBranchReportsEveryNodeAndItsEdges",
       Repeated(PlannerRun(1), 2),
       RunsOf(PlannerRun(1), with_calculator),
       {"new node agent:planner > tool:calculator",
        "new edge agent:planner > tool:calculator then generation:answer",
        "new edge agent:planner > tool:search then tool:calculator"}},
      {"SlowerStepBeyondBothThresholdsMoved",
       Repeated(PlannerRun(1, 100), 4),
       Repeated(PlannerRun(1, 200), 4),
       {"moved agent:planner > tool:search p50 100->200 p95 100->200"}},
      {"LatencyDoubledUnderTheFloorDidNotMove", Repeated(PlannerRun(1, 10), 4), Repeated(PlannerRun(1, 20), 4), {}},
      {"LatencyOverTheFloorUnderTheRatioDidNotMove",
       Repeated(PlannerRun(1, 400), 4),
       Repeated(PlannerRun(1, 470), 4),
       {}},
      {"CostlierCallMoved",
       WithCost(Repeated(PlannerRun(1), 4), 0.001),
       WithCost(Repeated(PlannerRun(1), 4), 0.002),
       {"moved agent:planner > generation:plan mean_cost 0.001->0.002"}},
      {"OneMoreCallPerRunInFewRunsIsUnderTheFloor",
       Repeated(PlannerRun(1), 10),
       RunsOf(PlannerRun(2), PlannerRun(1), PlannerRun(1), PlannerRun(1), PlannerRun(1), PlannerRun(1),
              PlannerRun(1), PlannerRun(1), PlannerRun(1), PlannerRun(1)),
       {"new edge agent:planner > tool:search then tool:search"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const WorkflowGraph before = BuildWorkflowGraph(c.before);
    const WorkflowGraph after = BuildWorkflowGraph(c.after);
    const WorkflowGraphDiff diff = DiffWorkflowGraphs(before, after);
    EXPECT_EQ(DiffLines(before, after, diff), c.want);
    EXPECT_EQ(diff.before_totals, before.totals);
    EXPECT_EQ(diff.after_totals, after.totals);
  }
}

TEST(WorkflowGraphTest, DiffGivesPerRunTotalsBeforeAndAfter) {
  const WorkflowGraphDiff diff =
      DiffWorkflowGraphs(BuildWorkflowGraph(Release(false, 100, 1)), BuildWorkflowGraph(Release(true, 100, 2)));
  EXPECT_EQ(diff.before_totals.runs, 100);
  EXPECT_EQ(diff.after_totals.runs, 100);
  EXPECT_DOUBLE_EQ(diff.before_totals.tool_calls_per_run, 1.5);
  EXPECT_DOUBLE_EQ(diff.after_totals.tool_calls_per_run, 4.9);  // 4.5 searches + 0.4 page fetches
  EXPECT_EQ(diff.before_totals.model_calls_per_run, 2);
  EXPECT_EQ(diff.after_totals.model_calls_per_run, 2);
  EXPECT_NEAR(diff.before_totals.cost_per_run_usd, 0.003, 1e-12);
  EXPECT_NEAR(diff.after_totals.cost_per_run_usd, 0.003, 1e-12);
  EXPECT_EQ(diff.before_totals.latency_p50_ms, 2000);
  EXPECT_EQ(diff.after_totals.latency_p50_ms, 2000);
}

TEST(WorkflowGraphTest, OptionsSetTheThresholds) {
  const WorkflowGraph before = BuildWorkflowGraph(Repeated(PlannerRun(1, 10), 4));
  const WorkflowGraph after = BuildWorkflowGraph(Repeated(PlannerRun(1, 20), 4));
  const WorkflowGraphDiff diff = DiffWorkflowGraphs(before, after, {.latency_min_delta_ms = 5});
  ASSERT_EQ(diff.moved_nodes.size(), 1u);
  EXPECT_EQ(WorkflowPath(after, diff.moved_nodes[0].after), "agent:planner > tool:search");
  EXPECT_TRUE(diff.moved_nodes[0].latency_p50_moved);
  EXPECT_FALSE(diff.moved_nodes[0].calls_per_run_moved);
}

TEST(WorkflowGraphTest, HundredThousandDeepRunNeedsNoDeepStack) {
  constexpr int kDepth = 100'000;
  std::vector<Observation> chain = Chain(kDepth);
  const WorkflowGraph before = BuildWorkflowGraph(RunsOf(chain));
  ASSERT_EQ(before.nodes.size(), static_cast<size_t>(kDepth));
  EXPECT_EQ(before.nodes.back().depth, kDepth);
  EXPECT_EQ(before.nodes.back().key, "span:s99999");
  EXPECT_EQ(before.edges.size(), static_cast<size_t>(kDepth - 1));  // containment only
  EXPECT_EQ(WorkflowPath(before, kDepth - 1, 3), "… > span:s99998 > span:s99999");

  chain[kDepth / 2].name = "renamed";
  const WorkflowGraph after = BuildWorkflowGraph(RunsOf(chain));
  const WorkflowGraphDiff diff = DiffWorkflowGraphs(before, after);
  EXPECT_EQ(diff.new_nodes.size(), static_cast<size_t>(kDepth / 2));
  EXPECT_EQ(diff.vanished_nodes.size(), static_cast<size_t>(kDepth / 2));
  EXPECT_EQ(WorkflowPath(after, diff.new_nodes.front(), 2), "… > span:renamed");
  EXPECT_TRUE(DiffWorkflowGraphs(before, before).moved_nodes.empty());
}

TEST(WorkflowGraphTest, HundredThousandSiblingsAreOneLoop) {
  std::vector<Observation> run = {Agent("root", "", "batch", 0, 200'000)};
  for (int i = 0; i < 100'000; ++i) run.push_back(Tool("t" + std::to_string(i), "root", i, i + 1, "embed"));
  const WorkflowGraph g = BuildWorkflowGraph(RunsOf(run));
  EXPECT_EQ(ThenLines(g), (std::vector<std::string>{"agent:batch > tool:embed then tool:embed runs=1 count=99999"}));
  EXPECT_EQ(g.nodes[1].calls, 100'000);
}

// The sum of the runs' rollups, added in the order given.
model::WorkflowRollup SumOfRollups(const std::vector<std::vector<Observation>>& runs) {
  model::WorkflowRollup sum;
  for (const std::vector<Observation>& run : runs) sum.Add(WorkflowRollupOfRun(run));
  return sum;
}

// `got` (from rollups) equals `want` (exact) but for percentiles within the sketch's 1 % and costs
// summed from nano-USD-rounded values (at most 0.5e-9 USD per span or run away).
void ExpectGraphFromRollup(const WorkflowGraph& got, const WorkflowGraph& want, const std::string& label) {
  SCOPED_TRACE(label);
  auto near_ms = [](double a, double b) { return std::abs(a - b) <= 0.01 * std::abs(b) + 1e-9; };
  auto near_usd = [](double a, double b, int64_t n) { return std::abs(a - b) <= 1e-9 * static_cast<double>(n) + 1e-12; };
  ASSERT_EQ(got.nodes.size(), want.nodes.size());
  for (size_t i = 0; i < want.nodes.size(); ++i) {
    WorkflowNode g = got.nodes[i];
    const WorkflowNode& w = want.nodes[i];
    EXPECT_TRUE(near_ms(g.latency_p50_ms, w.latency_p50_ms)) << w.key << " p50 " << g.latency_p50_ms << " vs " << w.latency_p50_ms;
    EXPECT_TRUE(near_ms(g.latency_p95_ms, w.latency_p95_ms)) << w.key << " p95 " << g.latency_p95_ms << " vs " << w.latency_p95_ms;
    EXPECT_TRUE(near_usd(g.cost_usd, w.cost_usd, w.calls)) << w.key << " cost " << g.cost_usd << " vs " << w.cost_usd;
    EXPECT_TRUE(near_usd(g.mean_cost_usd, w.mean_cost_usd, 1)) << w.key;
    g.latency_p50_ms = w.latency_p50_ms;
    g.latency_p95_ms = w.latency_p95_ms;
    g.cost_usd = w.cost_usd;
    g.mean_cost_usd = w.mean_cost_usd;
    EXPECT_EQ(g, w) << "node " << i;
  }
  EXPECT_EQ(got.edges, want.edges);
  WorkflowRunTotals t = got.totals;
  EXPECT_TRUE(near_ms(t.latency_p50_ms, want.totals.latency_p50_ms)) << t.latency_p50_ms << " vs " << want.totals.latency_p50_ms;
  EXPECT_TRUE(near_ms(t.latency_p95_ms, want.totals.latency_p95_ms)) << t.latency_p95_ms << " vs " << want.totals.latency_p95_ms;
  EXPECT_TRUE(near_usd(t.cost_per_run_usd, want.totals.cost_per_run_usd, 1)) << t.cost_per_run_usd;
  t.latency_p50_ms = want.totals.latency_p50_ms;
  t.latency_p95_ms = want.totals.latency_p95_ms;
  t.cost_per_run_usd = want.totals.cost_per_run_usd;
  EXPECT_EQ(t, want.totals);
}

// Sets of runs for the rollup tests: shapes of the other tests plus costs that do not round to
// nano-USD, open spans, errors and an empty run.
std::vector<std::pair<std::string, std::vector<std::vector<Observation>>>> RollupCases() {
  std::vector<Observation> optional = PlannerRun(1);
  optional.push_back(Tool("calc", "root", 500, 510, "calculator"));
  std::vector<std::vector<Observation>> priced;
  for (int i = 0; i < 25; ++i) {
    std::vector<Observation> run = PlannerRun(1 + i % 3, 7 * (i + 1));
    run[0].cost.total = 0.1 / 3 * (i % 4);  // a wrapper repeating its call's cost
    run[1].cost.total = 0.1 / 3 * (i % 4);
    run[1].usage = {.input_tokens = 10 + i, .output_tokens = i, .total_tokens = 10 + 2 * i};
    if (i % 7 == 0) run[2].status = Status::kError;
    if (i % 6 == 0) run.back().end_time_ns = 0;  // open: runs to the trace's last time
    priced.push_back(std::move(run));
  }
  std::vector<std::vector<Observation>> mixed = Release(false, 30, 3);
  for (std::vector<Observation>& run : Release(true, 30, 4)) mixed.push_back(std::move(run));
  return {
      {"OneRun", RunsOf(PlannerRun(1))},
      {"LoopsAndOptionalBranch", RunsOf(PlannerRun(3), PlannerRun(1), optional, PlannerRun(2))},
      {"PricedErroredAndOpenSpans", priced},
      {"TwoReleases", mixed},
      {"EmptyRunCounts", RunsOf(PlannerRun(2), std::vector<Observation>{})},
      {"DeepChain", RunsOf(Chain(50), Chain(20))},
  };
}

TEST(WorkflowGraphTest, GraphOfSummedRollupsIsTheGraphOfTheRuns) {
  for (const auto& [name, runs] : RollupCases()) {
    ExpectGraphFromRollup(WorkflowGraphOfRollup(SumOfRollups(runs)), BuildWorkflowGraph(runs), name);
  }
}

TEST(WorkflowGraphTest, SummedRollupDoesNotDependOnTheOrderOfRuns) {
  std::mt19937 rng(11);
  for (auto [name, runs] : RollupCases()) {
    model::WorkflowRollup want = SumOfRollups(runs);
    want.Compact();
    const WorkflowGraph want_graph = WorkflowGraphOfRollup(want);
    for (int trial = 0; trial < 3; ++trial) {
      std::shuffle(runs.begin(), runs.end(), rng);
      for (std::vector<Observation>& run : runs) std::shuffle(run.begin(), run.end(), rng);
      const model::WorkflowRollup got = SumOfRollups(runs);
      // Node numbers follow the order runs were added in; the graph and every sum do not.
      EXPECT_EQ(WorkflowGraphOfRollup(got), want_graph) << name << " trial " << trial;
      EXPECT_EQ(got.totals(), want.totals()) << name << " trial " << trial;
    }
  }
}

TEST(WorkflowGraphTest, TakingARunBackRestoresThePreviousRollup) {
  for (const auto& [name, runs] : RollupCases()) {
    SCOPED_TRACE(name);
    const model::WorkflowRollup before = SumOfRollups(runs);
    model::WorkflowRollup changed = before;
    std::vector<Observation> extra = PlannerRun(4, 33);
    extra.push_back(Tool("late", "root", 960, 990, "only_in_this_run"));
    const model::WorkflowRollup rollup = WorkflowRollupOfRun(extra);
    changed.Add(rollup);
    EXPECT_NE(WorkflowGraphOfRollup(changed), WorkflowGraphOfRollup(before));
    changed.Add(rollup, -1);
    // The nodes the run added stay with zero values until Compact; the graph skips them already.
    EXPECT_EQ(WorkflowGraphOfRollup(changed), WorkflowGraphOfRollup(before));
    changed.Compact();
    model::WorkflowRollup compacted = before;
    compacted.Compact();
    EXPECT_EQ(changed, compacted);
  }
  // Every run taken back leaves nothing.
  model::WorkflowRollup sum = SumOfRollups(RunsOf(PlannerRun(2), PlannerRun(1)));
  sum.Add(WorkflowRollupOfRun(PlannerRun(1)), -1);
  sum.Add(WorkflowRollupOfRun(PlannerRun(2)), -1);
  EXPECT_TRUE(sum.IsZero());
  EXPECT_EQ(WorkflowGraphOfRollup(sum), WorkflowGraph{});
}

TEST(WorkflowGraphTest, RollupOfARunKeepsItsCostsInNanoUsdAndDurationsInMicroseconds) {
  std::vector<Observation> run = PlannerRun(2, 25);
  run[1].cost.total = 0.1 / 3;
  run[1].usage.total_tokens = 70;
  const model::WorkflowRollup rollup = WorkflowRollupOfRun(run);
  EXPECT_EQ(rollup.totals().runs, 1);
  EXPECT_EQ(rollup.totals().spans, 5);
  EXPECT_EQ(rollup.totals().model_calls, 2);
  EXPECT_EQ(rollup.totals().tool_calls, 2);
  EXPECT_EQ(rollup.totals().cost_nusd, 33'333'333);
  EXPECT_EQ(rollup.totals().total_tokens, 70);
  EXPECT_EQ(rollup.totals().latency.count(), 1);
  ASSERT_EQ(rollup.nodes().size(), 4u);
  EXPECT_EQ(rollup.nodes()[0].key, "agent:planner");
  const model::WorkflowRollup::Node& search = rollup.nodes()[2];
  ASSERT_EQ(search.key, "tool:search");
  EXPECT_EQ(search.parent, 0);
  EXPECT_EQ(search.values.calls, 2);
  EXPECT_EQ(search.values.runs, 1);
  EXPECT_NEAR(search.values.latency.Quantile(0.5), 25'000, 250);
  EXPECT_EQ(rollup.nodes()[1].values.cost_nusd, 33'333'333);
  // One contains edge per child, one then edge per distinct transition.
  EXPECT_EQ(rollup.edges().size(), 3u + 3u);
}

}  // namespace
}  // namespace trackly::analysis
