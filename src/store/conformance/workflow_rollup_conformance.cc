// Conformance of the workflow rollups (Store::RecordWorkflowRuns / QueryWorkflowRollup,
// store/store.h): what a query answers is the sum of the runs it selects by name, hour,
// environment and release; re-recording a run replaces it; erasure and summary expiry take runs
// back; durable; another project never sees them; invalid input is InvalidArgument.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store::conformance {
namespace {

using model::WorkflowRollup;

constexpr int64_t kMinuteNs = int64_t{60} * 1'000'000'000;
// 06:00 UTC of a day (so hours 0 to 17 after it are that day), and a run time in the middle of
// hour `h` after it.
constexpr int64_t kHour0 = (1'795'314'529'000'000'000 / kNanosPerDay) * kNanosPerDay + 6 * kNanosPerHour;
constexpr int64_t At(int h) { return kHour0 + h * kNanosPerHour + 30 * kMinuteNs; }

bool HasWorkflowRollups(Store& store) {
  return !absl::IsUnimplemented(store.QueryWorkflowRollup(WorkflowRollupQuery{}).status());
}

#define WORKFLOW_TEST_SETUP() \
  if (!HasWorkflowRollups(*store_)) GTEST_SKIP() << "backend has no workflow rollups (Unimplemented)"

// The rollup of one run: a root step "agent:<agent>" calling "tool:<tool>" `calls` times in a row,
// each call taking `call_us`, the run costing `cost_nusd`.
WorkflowRollup RunRollup(const std::string& agent, const std::string& tool, int calls, int64_t call_us,
                         int64_t cost_nusd = 0) {
  WorkflowRollup rollup;
  const int32_t root = rollup.FindOrAddNode(-1, absl::StrCat("agent:", agent));
  model::WorkflowNodeValues& r = rollup.mutable_node(root);
  r.runs = 1;
  r.calls = 1;
  r.latency.Add(call_us * calls + 1000);
  const int32_t child = rollup.FindOrAddNode(root, absl::StrCat("tool:", tool));
  model::WorkflowNodeValues& c = rollup.mutable_node(child);
  c.runs = 1;
  c.calls = calls;
  c.cost_nusd = cost_nusd;
  c.total_tokens = 10 * calls;
  for (int k = 0; k < calls; ++k) c.latency.Add(call_us);
  rollup.mutable_edge({.kind = 0, .from = root, .to = child}) = {.runs = 1, .count = calls};
  if (calls > 1) rollup.mutable_edge({.kind = 1, .from = child, .to = child}) = {.runs = 1, .count = calls - 1};
  model::WorkflowTotalsValues& t = rollup.mutable_totals();
  t.runs = 1;
  t.spans = 1 + calls;
  t.tool_calls = calls;
  t.cost_nusd = cost_nusd;
  t.total_tokens = 10 * calls;
  t.latency.Add(call_us * calls + 1000);
  return rollup;
}

WorkflowRun RunOf(std::string trace_id, std::string name, std::string environment, std::string release, int hour,
                WorkflowRollup rollup) {
  return WorkflowRun{.trace_id = std::move(trace_id), .name = std::move(name), .environment = std::move(environment),
                     .release = std::move(release), .start_ns = At(hour), .rollup = std::move(rollup)};
}

// A rollup as sums by path, so two rollups compare equal whatever order their nodes were added in
// (a backend merges its cells in an order of its own).
struct Canonical {
  model::WorkflowTotalsValues totals;
  std::map<std::string, model::WorkflowNodeValues> nodes;                     // by path
  std::map<std::tuple<int32_t, std::string, std::string>, model::WorkflowEdgeValues> edges;  // (kind, from, to)
  bool operator==(const Canonical&) const = default;
};

Canonical CanonicalOf(const WorkflowRollup& rollup) {
  WorkflowRollup compact = rollup;
  compact.Compact();
  Canonical out;
  out.totals = compact.totals();
  std::vector<std::string> paths;
  for (const WorkflowRollup::Node& node : compact.nodes()) {
    paths.push_back(node.parent < 0 ? node.key : absl::StrCat(paths[static_cast<size_t>(node.parent)], " > ", node.key));
    out.nodes[paths.back()] = node.values;
  }
  for (const auto& [key, values] : compact.edges()) {
    out.edges[{key.kind, paths[static_cast<size_t>(key.from)], paths[static_cast<size_t>(key.to)]}] = values;
  }
  return out;
}

WorkflowRollup Sum(const std::vector<WorkflowRollup>& rollups) {
  WorkflowRollup sum;
  for (const WorkflowRollup& rollup : rollups) sum.Add(rollup);
  return sum;
}

// Queries and expects the sum of `want`.
void ExpectRollup(Store& store, const WorkflowRollupQuery& query, const std::vector<WorkflowRollup>& want,
                  const std::string& label) {
  SCOPED_TRACE(label);
  absl::StatusOr<WorkflowRollup> got = store.QueryWorkflowRollup(query);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(CanonicalOf(*got), CanonicalOf(Sum(want)));
  if (want.empty()) {
    EXPECT_TRUE(got->IsZero());
  }
}

TEST_P(StoreConformanceTest, WorkflowRollupQuerySelectsByNameHourEnvironmentAndRelease) {
  WORKFLOW_TEST_SETUP();
  const WorkflowRollup a = RunRollup("planner", "search", 2, 10'000, 1'500);
  const WorkflowRollup b = RunRollup("planner", "search", 3, 20'000, 2'500);
  const WorkflowRollup c = RunRollup("planner", "fetch", 1, 40'000);
  const WorkflowRollup d = RunRollup("writer", "draft", 1, 5'000);
  ASSERT_TRUE(store_->RecordWorkflowRuns("p", {RunOf("t1", "planner", "prod", "v1", 0, a),
                                               RunOf("t2", "planner", "prod", "v2", 1, b),
                                               RunOf("t3", "planner", "staging", "v1", 30, c),
                                               RunOf("t4", "writer", "prod", "v1", 0, d)})
                  .ok());
  struct Case {
    const char* name;
    WorkflowRollupQuery query;
    std::vector<WorkflowRollup> want;
  };
  const Case cases[] = {
      {"AllOfAName", {.project = "p", .name = "planner"}, {a, b, c}},
      {"AnotherName", {.project = "p", .name = "writer"}, {d}},
      {"UnknownNameIsEmpty", {.project = "p", .name = "nobody"}, {}},
      {"Environment", {.project = "p", .name = "planner", .environment = "prod"}, {a, b}},
      {"Release", {.project = "p", .name = "planner", .release = "v1"}, {a, c}},
      {"EnvironmentAndRelease", {.project = "p", .name = "planner", .environment = "prod", .release = "v1"}, {a}},
      {"EmptyEnvironmentIsAValue", {.project = "p", .name = "planner", .environment = ""}, {}},
      {"OneHour", {.project = "p", .name = "planner", .from_ns = kHour0 + kNanosPerHour, .to_ns = kHour0 + 2 * kNanosPerHour}, {b}},
      // Every hour that overlaps the range counts whole.
      {"HoursOverlappingTheRange", {.project = "p", .name = "planner", .from_ns = At(0) + kMinuteNs, .to_ns = At(1) - 15 * kMinuteNs}, {a, b}},
      {"FromOnly", {.project = "p", .name = "planner", .from_ns = kHour0 + 2 * kNanosPerHour}, {c}},
      {"ToOnly", {.project = "p", .name = "planner", .to_ns = kHour0 + 2 * kNanosPerHour}, {a, b}},
      {"RangeWithNoRuns", {.project = "p", .name = "planner", .from_ns = kHour0 + 2 * kNanosPerHour, .to_ns = kHour0 + 30 * kNanosPerHour}, {}},
  };
  for (const Case& c : cases) ExpectRollup(*store_, c.query, c.want, c.name);
}

TEST_P(StoreConformanceTest, WorkflowRunRecordedAgainReplacesItsContribution) {
  WORKFLOW_TEST_SETUP();
  const WorkflowRollup first = RunRollup("planner", "search", 2, 10'000, 1'000);
  const WorkflowRollup other = RunRollup("planner", "search", 1, 30'000, 7);
  ASSERT_TRUE(store_->RecordWorkflowRuns("p", {RunOf("t1", "planner", "prod", "v1", 0, first),
                                               RunOf("t2", "planner", "prod", "v1", 0, other)})
                  .ok());
  // Re-evaluated after a late span: another hour, release and shape.
  const WorkflowRollup second = RunRollup("planner", "fetch", 4, 15'000, 2'000);
  ASSERT_TRUE(store_->RecordWorkflowRuns("p", {RunOf("t1", "planner", "prod", "v2", 5, second)}).ok());
  ExpectRollup(*store_, {.project = "p", .name = "planner"}, {other, second}, "AllRunsOnce");
  ExpectRollup(*store_, {.project = "p", .name = "planner", .release = "v1"}, {other}, "OldCellLostIt");
  ExpectRollup(*store_, {.project = "p", .name = "planner", .release = "v2"}, {second}, "NewCellHasIt");
  // Recording it unchanged, or twice in one call, still counts it once; so does a renamed run,
  // which leaves its old name.
  ASSERT_TRUE(store_->RecordWorkflowRuns("p", {RunOf("t1", "planner", "prod", "v2", 5, second)}).ok());
  ASSERT_TRUE(store_->RecordWorkflowRuns("p", {RunOf("t2", "planner", "prod", "v1", 0, first),
                                               RunOf("t2", "planner", "prod", "v1", 0, other)})
                  .ok());
  ExpectRollup(*store_, {.project = "p", .name = "planner"}, {other, second}, "RecordedAgain");
  ASSERT_TRUE(store_->RecordWorkflowRuns("p", {RunOf("t2", "planner-v2", "prod", "v1", 0, other)}).ok());
  ExpectRollup(*store_, {.project = "p", .name = "planner"}, {second}, "RenamedLeft");
  ExpectRollup(*store_, {.project = "p", .name = "planner-v2"}, {other}, "RenamedArrived");
  // A change below a step whose own values stay the same (the root takes 21 ms either way).
  const WorkflowRollup same_root_before = RunRollup("planner", "search", 2, 10'000);
  const WorkflowRollup same_root_after = RunRollup("planner", "search", 1, 20'000);
  ASSERT_TRUE(store_->RecordWorkflowRuns("p", {RunOf("t3", "planner", "prod", "v3", 0, same_root_before)}).ok());
  ASSERT_TRUE(store_->RecordWorkflowRuns("p", {RunOf("t3", "planner", "prod", "v3", 0, same_root_after)}).ok());
  ExpectRollup(*store_, {.project = "p", .name = "planner", .release = "v3"}, {same_root_after}, "ChildChangedOnly");
  ASSERT_TRUE(store_->RecordWorkflowRuns("p", {RunOf("t3", "planner", "prod", "v3", 0, same_root_before)}).ok());
  ExpectRollup(*store_, {.project = "p", .name = "planner", .release = "v3"}, {same_root_before}, "ChildChangedBack");
  ExpectRollup(*store_, {.project = "p", .name = "planner"}, {second, same_root_before}, "OthersUntouched");
  Reopen();
  ExpectRollup(*store_, {.project = "p", .name = "planner"}, {second, same_root_before}, "Durable");
  ExpectRollup(*store_, {.project = "p", .name = "planner-v2"}, {other}, "DurableToo");
}

// The trace `trace_id` of project "p": one root span at `start_ns`.
void WriteTrace(Store& store, const std::string& project, const std::string& trace_id, int64_t start_ns) {
  model::Observation root;
  root.id = absl::StrCat(trace_id, "-root");
  root.trace_id = trace_id;
  root.name = "planner";
  root.start_time_ns = start_ns;
  root.end_time_ns = start_ns + kMinuteNs;
  ASSERT_TRUE(WriteAndWait(store, WriteBatch{.project = project, .observations = {root}}).ok());
}

TEST_P(StoreConformanceTest, EraseTakesBackTheWorkflowRunOfATrace) {
  WORKFLOW_TEST_SETUP();
  if (!HasErase(*store_)) GTEST_SKIP() << "backend cannot erase";
  const WorkflowRollup a = RunRollup("planner", "search", 2, 10'000, 1'000);
  const WorkflowRollup b = RunRollup("planner", "search", 3, 12'000, 500);
  ASSERT_NO_FATAL_FAILURE(WriteTrace(*store_, "p", "t1", At(0)));
  ASSERT_NO_FATAL_FAILURE(WriteTrace(*store_, "p", "t2", At(0)));
  ASSERT_TRUE(store_->RecordWorkflowRuns("p", {RunOf("t1", "planner", "", "", 0, a), RunOf("t2", "planner", "", "", 0, b)}).ok());
  ASSERT_TRUE(store_->Erase(EraseRequest{.project = "p", .trace_id = "t1"}).ok());
  ExpectRollup(*store_, {.project = "p", .name = "planner"}, {b}, "OneLeft");
  ASSERT_TRUE(store_->Erase(EraseRequest{.project = "p", .trace_id = "t2"}).ok());
  ExpectRollup(*store_, {.project = "p", .name = "planner"}, {}, "NoneLeft");
  // A trace recorded again after its erasure counts anew.
  ASSERT_NO_FATAL_FAILURE(WriteTrace(*store_, "p", "t1", At(0)));
  ASSERT_TRUE(store_->RecordWorkflowRuns("p", {RunOf("t1", "planner", "", "", 0, a)}).ok());
  ExpectRollup(*store_, {.project = "p", .name = "planner"}, {a}, "RecordedAgain");
}

TEST_P(StoreConformanceTest, SummaryExpiryDropsTheWorkflowRunsOfOldHours) {
  WORKFLOW_TEST_SETUP();
  if (!HasExpire(*store_)) GTEST_SKIP() << "backend cannot expire";
  // Hours 0 and 1 are in day D, hour 48 two days later.
  const int64_t day = DayOf(At(0));
  const WorkflowRollup old_run = RunRollup("planner", "search", 2, 10'000);
  const WorkflowRollup new_run = RunRollup("planner", "search", 1, 10'000);
  const WorkflowRollup orphan = RunRollup("planner", "fetch", 1, 10'000);  // its trace was never stored
  ASSERT_NO_FATAL_FAILURE(WriteTrace(*store_, "p", "old", At(0)));
  ASSERT_NO_FATAL_FAILURE(WriteTrace(*store_, "p", "new", At(48)));
  ASSERT_NO_FATAL_FAILURE(WriteTrace(*store_, "q", "old", At(0)));
  ASSERT_TRUE(store_->RecordWorkflowRuns("p", {RunOf("old", "planner", "", "", 0, old_run), RunOf("new", "planner", "", "", 48, new_run),
                                               RunOf("orphan", "planner", "", "", 1, orphan)})
                  .ok());
  ASSERT_TRUE(store_->RecordWorkflowRuns("q", {RunOf("old", "planner", "", "", 0, old_run)}).ok());
  // Payload expiry alone keeps them.
  ASSERT_TRUE(store_->Expire(ExpireRequest{.project = "p", .payload_before_day = day + 1}).ok());
  ExpectRollup(*store_, {.project = "p", .name = "planner"}, {old_run, new_run, orphan}, "PayloadExpiryKeeps");
  ASSERT_TRUE(store_->Expire(ExpireRequest{.project = "p", .summary_before_day = day + 1}).ok());
  ExpectRollup(*store_, {.project = "p", .name = "planner"}, {new_run}, "OldHoursGone");
  ExpectRollup(*store_, {.project = "q", .name = "planner"}, {old_run}, "OtherProjectKeeps");
  // A kept run recorded again still counts once.
  ASSERT_TRUE(store_->RecordWorkflowRuns("p", {RunOf("new", "planner", "", "", 48, new_run)}).ok());
  ExpectRollup(*store_, {.project = "p", .name = "planner"}, {new_run}, "StillOnce");
}

TEST_P(StoreConformanceTest, WorkflowRunsOfAnotherProjectAreNeverSeen) {
  WORKFLOW_TEST_SETUP();
  const WorkflowRollup a = RunRollup("planner", "search", 2, 10'000);
  const WorkflowRollup b = RunRollup("planner", "search", 5, 10'000);
  ASSERT_TRUE(store_->RecordWorkflowRuns("p", {RunOf("t1", "planner", "", "", 0, a)}).ok());
  // The same trace id in another project is another run.
  ASSERT_TRUE(store_->RecordWorkflowRuns("q", {RunOf("t1", "planner", "", "", 0, b)}).ok());
  ExpectRollup(*store_, {.project = "p", .name = "planner"}, {a}, "p");
  ExpectRollup(*store_, {.project = "q", .name = "planner"}, {b}, "q");
  ExpectRollup(*store_, {.project = "r", .name = "planner"}, {}, "r");
  if (HasErase(*store_)) {
    ASSERT_TRUE(store_->Erase(EraseRequest{.project = "q", .trace_id = "t1"}).ok());
    ExpectRollup(*store_, {.project = "p", .name = "planner"}, {a}, "ErasureInQ");
  }
}

TEST_P(StoreConformanceTest, WorkflowRollupsRejectInvalidInput) {
  WORKFLOW_TEST_SETUP();
  const WorkflowRollup a = RunRollup("planner", "search", 1, 10'000);
  struct RecordCase {
    const char* name;
    std::string project;
    std::vector<WorkflowRun> runs;
    std::string message;
  };
  const RecordCase records[] = {
      {"NoProject", "", {RunOf("t1", "planner", "", "", 0, a)}, "project"},
      {"NoTraceId", "p", {RunOf("", "planner", "", "", 0, a)}, "trace_id"},
      {"NoName", "p", {RunOf("t1", "planner", "", "", 0, a), RunOf("t2", "", "", "", 0, a)}, "name"},
  };
  for (const RecordCase& c : records) {
    absl::Status status = store_->RecordWorkflowRuns(c.project, c.runs);
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << c.name << ": " << status;
    EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr(c.message)) << c.name;
  }
  // Nothing of a rejected call was recorded.
  ExpectRollup(*store_, {.project = "p", .name = "planner"}, {}, "NothingRecorded");
  struct QueryCase {
    const char* name;
    WorkflowRollupQuery query;
    std::string message;
  };
  const QueryCase queries[] = {
      {"NoProject", {.name = "planner"}, "project"},
      {"NoName", {.project = "p"}, "name"},
      {"EmptyRange", {.project = "p", .name = "planner", .from_ns = At(1), .to_ns = At(1)}, "from"},
      {"ReversedRange", {.project = "p", .name = "planner", .from_ns = At(2), .to_ns = At(1)}, "from"},
  };
  for (const QueryCase& c : queries) {
    absl::Status status = store_->QueryWorkflowRollup(c.query).status();
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << c.name << ": " << status;
    EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr(c.message)) << c.name;
  }
  EXPECT_TRUE(store_->RecordWorkflowRuns("p", {}).ok());
}

}  // namespace
}  // namespace trackly::store::conformance
