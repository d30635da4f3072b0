#include "cli/trace_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace trackly::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kBase = 1'795'314'529'000'000'000;  // 2026-11-22T02:28:49Z

// Display column (in code points) where `needle` ends in `line`, or -1.
int EndColumn(const std::string& line, const std::string& needle) {
  size_t at = line.find(needle);
  if (at == std::string::npos) return -1;
  size_t end = at + needle.size();
  int column = 0;
  for (size_t i = 0; i < end; ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++column;
  }
  return column;
}
int StartColumn(const std::string& line, const std::string& needle) {
  int end = EndColumn(line, needle);
  if (end < 0) return -1;
  int width = 0;
  for (unsigned char c : needle) {
    if ((c & 0xC0) != 0x80) ++width;
  }
  return end - width;
}

model::Observation Obs(std::string id, std::string parent, std::string name, int64_t start_ms,
                       int64_t end_ms) {
  model::Observation o;
  o.id = std::move(id);
  o.trace_id = "t1";
  o.parent_id = std::move(parent);
  o.name = std::move(name);
  o.start_time_ns = kBase + start_ms * kMs;
  o.end_time_ns = kBase + end_ms * kMs;
  o.status = model::Status::kOk;
  return o;
}

model::Trace TraceNamed(std::string id, std::string name, double latency_ms) {
  model::Trace t;
  t.id = std::move(id);
  t.name = std::move(name);
  t.start_time_ns = kBase;
  t.end_time_ns = kBase + static_cast<int64_t>(latency_ms * kMs);
  t.status = model::Status::kOk;
  return t;
}

struct DurationCase {
  double ms;
  std::string text;
};

TEST(FormatDurationMsTest, PicksAReadableUnit) {
  const std::vector<DurationCase> cases = {
      {0, "0.0ms"},     {0.42, "0.4ms"},      {523, "523ms"},     {2410, "2.41s"},
      {59'994, "59.99s"}, {185'000, "3m05s"}, {3'900'000, "1h05m"}, {-1, "-"},
  };
  for (const auto& c : cases) EXPECT_EQ(FormatDurationMs(c.ms), c.text) << c.ms;
}

TEST(FormatTokensTest, GroupsThousandsAndShowsNoneAsDash) {
  EXPECT_EQ(FormatTokens(0), "-");
  EXPECT_EQ(FormatTokens(999), "999");
  EXPECT_EQ(FormatTokens(1000), "1,000");
  EXPECT_EQ(FormatTokens(1234567), "1,234,567");
}

TEST(FormatCostTest, FourDecimalsAndTinyAmounts) {
  EXPECT_EQ(FormatCost(0), "-");
  EXPECT_EQ(FormatCost(0.01234), "$0.0123");
  EXPECT_EQ(FormatCost(12.5), "$12.5000");
  EXPECT_EQ(FormatCost(0.00001), "<$0.0001");
}

TEST(FormatTraceListTest, EmptyListSaysSo) {
  EXPECT_EQ(FormatTraceList({}), std::vector<std::string>{"no traces"});
}

TEST(FormatTraceListTest, AlignsColumnsAndMarksErrors) {
  std::vector<model::Trace> traces = {TraceNamed("aaaa", "short", 523),
                                      TraceNamed("bbbbbbbb", "a much longer trace name", 125'000)};
  traces[0].usage.total_tokens = 1234;
  traces[0].cost.total = 0.0123;
  traces[1].status = model::Status::kError;

  std::vector<std::string> lines = FormatTraceList(traces);
  ASSERT_THAT(lines, SizeIs(3));
  const std::string& header = lines[0];
  // Right-aligned numbers end under their header; left-aligned text starts under it.
  EXPECT_EQ(EndColumn(lines[1], "523ms"), EndColumn(header, "LATENCY"));
  EXPECT_EQ(EndColumn(lines[2], "2m05s"), EndColumn(header, "LATENCY"));
  EXPECT_EQ(EndColumn(lines[1], "1,234"), EndColumn(header, "TOKENS"));
  EXPECT_EQ(EndColumn(lines[1], "$0.0123"), EndColumn(header, "COST"));
  EXPECT_EQ(StartColumn(lines[1], "short"), StartColumn(header, "NAME"));
  EXPECT_EQ(StartColumn(lines[2], "a much longer"), StartColumn(header, "NAME"));
  EXPECT_EQ(StartColumn(lines[2], "error"), StartColumn(header, "STATUS"));
  EXPECT_EQ(StartColumn(lines[1], "2026-11-22 02:28:49"), StartColumn(header, "START"));

  EXPECT_THAT(lines[2], StartsWith(kErrorMark));
  EXPECT_FALSE(absl::StrContains(lines[1], kErrorMark));
}

TEST(FormatTraceListTest, CutsLongNamesWithEllipsis) {
  std::vector<model::Trace> traces = {TraceNamed("a", std::string(100, 'x'), 1)};
  std::vector<std::string> lines = FormatTraceList(traces);
  EXPECT_THAT(lines[1], HasSubstr(std::string(39, 'x') + "…"));
  EXPECT_FALSE(absl::StrContains(lines[1], std::string(41, 'x')));
}

TEST(FormatTraceListTest, NewlinesInNamesDoNotBreakRows) {
  std::vector<model::Trace> traces = {TraceNamed("a", "two\nlines", 1)};
  std::vector<std::string> lines = FormatTraceList(traces);
  EXPECT_THAT(lines[1], HasSubstr("two lines"));
}

// The rows of the tree table (after the summary lines and the table header).
std::vector<std::string> TreeRows(const std::vector<std::string>& lines) {
  auto header = std::find_if(lines.begin(), lines.end(),
                             [](const std::string& l) { return absl::StrContains(l, "OBSERVATION"); });
  return {header + 1, lines.end()};
}

TEST(FormatTraceTreeTest, IndentsChildrenInStartOrder) {
  std::vector<model::Observation> obs = {
      Obs("c2", "root", "second_child", 50, 90),
      Obs("root", "", "agent_run", 0, 100),
      Obs("g1", "c1", "grandchild", 12, 20),
      Obs("c1", "root", "first_child", 10, 40),
  };
  obs[1].type = model::ObservationType::kAgent;
  obs[3].type = model::ObservationType::kGeneration;
  obs[3].usage.input_tokens = 1000;
  obs[3].usage.output_tokens = 234;
  obs[3].cost.total = 0.0042;

  const std::vector<std::string> lines = FormatTraceTree(TraceNamed("t1", "agent_run", 100), obs);
  std::vector<std::string> rows = TreeRows(lines);
  ASSERT_THAT(rows, SizeIs(4));
  EXPECT_EQ(StartColumn(rows[0], "agent agent_run"), 3);
  EXPECT_EQ(StartColumn(rows[1], "generation first_child"), 5);
  EXPECT_EQ(StartColumn(rows[2], "span grandchild"), 7);
  EXPECT_EQ(StartColumn(rows[3], "span second_child"), 5);
  // Durations right-aligned in one column; tokens use total = input + output.
  EXPECT_EQ(EndColumn(rows[0], "100ms"), EndColumn(rows[1], "30ms"));
  EXPECT_EQ(EndColumn(rows[1], "30ms"), EndColumn(rows[2], "8.0ms"));
  EXPECT_THAT(rows[1], HasSubstr("1,234"));
  EXPECT_THAT(rows[1], HasSubstr("$0.0042"));
  // The root's own cost is empty; its subtree holds the generation's, in the SUBTREE COST column.
  const std::string& header = lines[lines.size() - rows.size() - 1];
  EXPECT_EQ(EndColumn(rows[0], "$0.0042"), EndColumn(header, "SUBTREE COST"));
  EXPECT_THAT(rows[3], Not(HasSubstr("$")));  // a leaf has no subtree column
}

TEST(FormatTraceTreeTest, MarksErrorsWithTheirMessage) {
  std::vector<model::Observation> obs = {Obs("root", "", "run", 0, 100),
                                         Obs("tool", "root", "execute_tool get_weather", 10, 20)};
  obs[1].status = model::Status::kError;
  obs[1].error_type = "httpx.ReadTimeout";
  obs[1].status_message = "timed out\nafter 5s";
  model::Trace trace = TraceNamed("t1", "run", 100);
  trace.status = model::Status::kError;

  std::vector<std::string> lines = FormatTraceTree(trace, obs);
  std::vector<std::string> rows = TreeRows(lines);
  ASSERT_THAT(rows, SizeIs(2));
  EXPECT_FALSE(absl::StrContains(rows[0], kErrorMark));
  EXPECT_THAT(rows[1], StartsWith(kErrorMark));
  EXPECT_THAT(rows[1], HasSubstr("error httpx.ReadTimeout: timed out after 5s"));
  EXPECT_THAT(lines[1], HasSubstr(absl::StrCat("status ", kErrorMark, " error")));
}

TEST(FormatTraceTreeTest, ShowsOrphansAtTopLevelWithANote) {
  std::vector<model::Observation> obs = {Obs("root", "", "run", 0, 100),
                                         Obs("lost", "not-here", "late_child", 5, 10),
                                         Obs("kid", "lost", "orphans_child", 6, 8)};
  std::vector<std::string> rows = TreeRows(FormatTraceTree(TraceNamed("t1", "run", 100), obs));
  ASSERT_THAT(rows, SizeIs(3));
  EXPECT_EQ(StartColumn(rows[1], "span late_child"), 3);
  EXPECT_THAT(rows[1], HasSubstr("(parent not-here not received)"));
  EXPECT_EQ(StartColumn(rows[2], "span orphans_child"), 5);
}

TEST(FormatTraceTreeTest, ShowsEveryObservationOfAParentCycleOnce) {
  std::vector<model::Observation> obs = {Obs("a", "b", "first", 0, 10), Obs("b", "a", "second", 1, 5),
                                         Obs("self", "self", "own_parent", 2, 3)};
  std::vector<std::string> rows = TreeRows(FormatTraceTree(TraceNamed("t1", "x", 10), obs));
  ASSERT_THAT(rows, SizeIs(3));
  EXPECT_THAT(rows[0], HasSubstr("first  (parent cycle)"));
  EXPECT_EQ(StartColumn(rows[1], "span second"), 5);
  EXPECT_THAT(rows[2], HasSubstr("own_parent  (parent cycle)"));
}

TEST(FormatTraceTreeTest, OpenSpansShowOpen) {
  std::vector<model::Observation> obs = {Obs("root", "", "run", 0, 100)};
  obs[0].end_time_ns = 0;
  std::vector<std::string> rows = TreeRows(FormatTraceTree(TraceNamed("t1", "run", 100), obs));
  EXPECT_THAT(rows[0], HasSubstr("open"));
}

TEST(FormatTraceTreeTest, HundredThousandDeepTraceDoesNotOverflowAndStaysNarrow) {
  constexpr int kDepth = 100'000;
  std::vector<model::Observation> obs;
  obs.reserve(kDepth);
  for (int i = 0; i < kDepth; ++i) {
    obs.push_back(Obs(absl::StrCat("s", i), i == 0 ? "" : absl::StrCat("s", i - 1),
                      absl::StrCat("step_", i), i, 2 * kDepth - i));
  }
  std::vector<std::string> rows = TreeRows(FormatTraceTree(TraceNamed("t1", "deep", 2 * kDepth), obs));
  ASSERT_THAT(rows, SizeIs(kDepth));
  EXPECT_THAT(rows.back(), HasSubstr("[depth 99999] span step_99999"));
  for (const std::string& row : rows) ASSERT_LT(row.size(), 250u);
}

TEST(FormatTraceTreeTest, WideTraceKeepsStartOrderAmongSiblings) {
  std::vector<model::Observation> obs = {Obs("root", "", "run", 0, 1000)};
  for (int i = 9; i >= 0; --i) obs.push_back(Obs(absl::StrCat("c", i), "root", absl::StrCat("child_", i), 10 + i, 20 + i));
  std::vector<std::string> rows = TreeRows(FormatTraceTree(TraceNamed("t1", "run", 1000), obs));
  ASSERT_THAT(rows, SizeIs(11));
  for (int i = 0; i < 10; ++i) EXPECT_THAT(rows[i + 1], HasSubstr(absl::StrCat("child_", i, " "))) << i;
}

TEST(FormatRunInsightTest, ShowsCountersStopReasonAndEachFinding) {
  analysis::RunProfile profile{.observations = 9, .model_calls = 4, .tool_calls = 3, .retrievals = 1, .retries = 2,
                               .errors = 1, .max_depth = 3, .planning_iterations = 3,
                               .stop_reason = analysis::StopReason::kTokenLimit,
                               .stop_observation_id = "g4", .stop_evidence = "finish_reason \"length\""};
  std::vector<analysis::Finding> findings = {
      {.kind = analysis::FindingKind::kRepeatedToolCall, .message = "search called 3 times", .observation_ids = {"a"}}};
  EXPECT_THAT(FormatRunInsight(profile, findings),
              ElementsAre("Run: 4 model calls, 3 tool calls, 1 retrievals, 2 retries, 1 errors, depth 3, 3 plan-act rounds",
                          "Stopped: token_limit (finish_reason \"length\")",
                          absl::StrCat(kFindingMark, " repeated_tool_call: search called 3 times")));
  EXPECT_THAT(FormatRunInsight(analysis::RunProfile(), {}),
              ElementsAre(HasSubstr("Run: 0 model calls"), "Stopped: unknown", "No findings."));
}

TEST(FormatTraceDiffTest, MarksEachStepAndShowsTotalsAndLineDiffs) {
  const model::Json totals_a = {{"steps", 2}, {"latency_ms", 1000.0}, {"input_tokens", 0}, {"output_tokens", 0},
                                {"total_tokens", 100}, {"cost", 0.001}, {"errors", 0}};
  model::Json totals_b = totals_a;
  totals_b["latency_ms"] = 1500.0;
  totals_b["steps"] = 3;
  auto step = [](const char* kind, const char* key, int depth, model::Json a, model::Json b) {
    return model::Json{{"kind", kind}, {"key", key}, {"depth", depth}, {"a", a}, {"b", b},
                       {"changes", model::Json::array()}, {"latency_delta_ms", 0.0},
                       {"tokens_delta", {{"input", 0}, {"output", 0}, {"total", 0}}}, {"cost_delta", 0.0}};
  };
  model::Json changed = step("changed", "generation:chat", 2, {{"id", "g"}, {"name", "chat"}}, {{"id", "g2"}, {"name", "chat"}});
  changed["changes"] = {"latency", "output"};
  changed["latency_delta_ms"] = 500.0;
  changed["output_diff"] = {{{"op", "removed"}, {"text", "old answer"}}, {{"op", "added"}, {"text", "new answer"}}};
  const model::Json diff = {
      {"a", {{"trace_id", "A"}, {"name", "agent"}, {"totals", totals_a}}},
      {"b", {{"trace_id", "B"}, {"name", "agent"}, {"totals", totals_b}}},
      {"counts", {{"same", 1}, {"changed", 1}, {"added", 1}, {"removed", 0}}},
      {"steps", {step("same", "span:agent", 1, {{"id", "r"}, {"name", "agent"}}, {{"id", "r2"}, {"name", "agent"}}),
                 changed, step("added", "tool:search", 2, nullptr, {{"id", "t"}, {"name", "search"}})}}};
  EXPECT_THAT(FormatTraceDiff(diff),
              ElementsAre("a: A  agent  [baseline]", "b: B  agent",
                          HasSubstr("Latency 1.00s → 1.50s (+500ms)"), "Steps: 1 same, 1 changed, 1 added, 0 removed", "",
                          "= span:agent  \"agent\"",
                          "~   generation:chat  \"chat\"  [latency, output]  latency +500ms, tokens +0, cost +$0",
                          "      output:", "      - old answer", "      + new answer", "+   tool:search  \"search\""));
}

// An entry of GET /api/v1/tail, with `overrides` replacing fields.
model::Json TailEntry(model::Json overrides = model::Json::object()) {
  model::Json entry = {{"seq", 1}, {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}, {"id", "00f067aa0ba902b7"},
                       {"type", "generation"}, {"name", "chat"}, {"model", "gpt-4o"}, {"status", "ok"},
                       {"level", "DEFAULT"}, {"start_time", "2026-11-22T03:04:05.557000Z"},
                       {"end_time", "2026-11-22T03:04:06.790000Z"}, {"latency_ms", 1233.0},
                       {"usage", {{"input_tokens", 1000}, {"output_tokens", 234}, {"total_tokens", 1234}}},
                       {"cost", {{"total", 0.0123}, {"currency", "USD"}}}, {"update", false}};
  entry.update(overrides);
  return entry;
}

TEST(FormatTailLineTest, ShowsOneSpanInFixedColumns) {
  EXPECT_EQ(FormatTailLine(TailEntry()),
            "03:04:05.557     4bf92f35  generation  chat                              gpt-4o                   "
            "1.23s      1,234    $0.0123  ok");
  // The same columns whatever the values' widths.
  const std::string other = FormatTailLine(
      TailEntry({{"name", "a much longer name than the column has room for"}, {"model", nullptr}}));
  for (const std::string needle : {"1.23s", "1,234", "$0.0123"}) {
    EXPECT_EQ(EndColumn(other, needle), EndColumn(FormatTailLine(TailEntry()), needle)) << other;
  }
  EXPECT_THAT(other, HasSubstr("a much longer name than the col…"));
}

TEST(FormatTailLineTest, MarksErrorsAndShowsWhatIsNotKnown) {
  struct Case {
    model::Json overrides;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {{{"status", "error"}}, {kErrorMark, "  error"}},
      {{{"level", "ERROR"}}, {kErrorMark, "ok ERROR"}},
      {{{"latency_ms", nullptr}, {"end_time", nullptr}}, {"    open"}},
      {{{"type", nullptr}, {"update", true}, {"start_time", nullptr}, {"latency_ms", nullptr}},
       {"-" + std::string(16, ' ') + "4bf92f35  update", "       -"}},
      {{{"trace_id", nullptr}, {"usage", {{"input_tokens", 5}, {"output_tokens", 2}, {"total_tokens", 0}}}},
       {"-" + std::string(9, ' ') + "generation", "      7  "}},
      {{{"name", "line\nbreak"}}, {"line break"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.overrides.dump());
    const std::string line = FormatTailLine(TailEntry(c.overrides));
    for (const std::string& part : c.parts) EXPECT_THAT(line, HasSubstr(part));
    EXPECT_EQ(line.find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace trackly::cli
