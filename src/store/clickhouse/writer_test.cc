// The writer's shortcut for traces written in one batch (writer.h SummaryInputsOf): what it
// computes from the rows it inserted must be what reading those rows back returns, and the check
// that decides between the two must see every row another write left. Against a real
// clickhouse-server (test_server.h), registered by clickhouse_store_test.cc in the same binary.
#include "store/clickhouse/writer.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "model/codec.h"
#include "model/summary.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/database_test_base.h"
#include "store/clickhouse/http_client.h"
#include "store/clickhouse/queries.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/rows.h"
#include "store/clickhouse/schema.h"
#include "store/clickhouse/test_server.h"
#include "store/sqlite/payload.h"

namespace trackly::store::clickhouse {
namespace {

constexpr size_t kCompressMinBytes = 4096;  // ClickHouseStoreOptions' default

// Not thread-safe (a gtest fixture): a fresh database with the store's tables, and a Database
// over it for writing rows directly.
class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kClickHouseServerBinary, X_OK) != 0) GTEST_SKIP() << kClickHouseServerBinary << " is not installed";
    absl::StatusOr<const TestServer*> server = TestServerEnvironment::Server();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *server;
    database_ = NewDatabaseName();
    absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = OpenStore();  // creates the tables
    ASSERT_TRUE(store.ok()) << store.status();
    client_ = std::make_unique<HttpClient>(server_->client_options());
    absl::StatusOr<ServerInfo> info = DescribeServer(*client_);
    ASSERT_TRUE(info.ok()) << info.status();
    db_ = std::make_unique<Database>(*client_, database_, *info);
  }
  void TearDown() override {
    if (client_ != nullptr) {
      EXPECT_TRUE(client_->Query(absl::StrCat("DROP DATABASE IF EXISTS ", database_)).ok());
    }
  }

  absl::StatusOr<std::unique_ptr<ClickHouseStore>> OpenStore() {
    return ClickHouseStore::Open(ClickHouseStoreOptions{.server = server_->client_options(), .database = database_});
  }

  const TestServer* server_ = nullptr;
  std::string database_;
  std::unique_ptr<HttpClient> client_;
  std::unique_ptr<Database> db_;
};

model::Observation Span(std::string trace_id, std::string id, std::string parent_id, int64_t start_ns) {
  model::Observation o;
  o.trace_id = std::move(trace_id);
  o.id = std::move(id);
  o.parent_id = std::move(parent_id);
  o.name = "step";
  o.start_time_ns = start_ns;
  o.end_time_ns = start_ns + 2'000'000;
  return o;
}

constexpr int64_t kStartNs = 1'795'314'529'000'000'000;

// Observations that exercise every branch of what a summary read selects and decodes: roots with
// a small, a compressed and an expired payload, children with and without trace-level text, an
// expired child, and values that JSON does not carry as they are (invalid UTF-8, NaN).
std::vector<model::Observation> AwkwardTraces() {
  std::vector<model::Observation> out;
  model::Observation root = Span("t1", "root", "", kStartNs);
  root.type = model::ObservationType::kAgent;
  root.input = model::Json{{"question", "what happened?"}};
  root.output = "it worked";
  root.trace_hints.trace_name = "agent run";
  root.trace_hints.session_id = "s1";
  root.trace_hints.user_id = "u1";
  root.trace_hints.tags = {"b", "a"};
  root.trace_hints.trace_metadata = {{"team", "search"}};
  out.push_back(root);
  model::Observation generation = Span("t1", "gen", "root", kStartNs + 1'000);
  generation.type = model::ObservationType::kGeneration;
  generation.model = "gpt-4o-mini";
  generation.usage = model::Usage{.input_tokens = 400, .output_tokens = 90, .total_tokens = 490};
  generation.cost = model::Cost{.input = 0.0004, .output = 0.0009, .total = 0.0013,
                                .source = model::CostSource::kComputed, .price_id = "p-1"};
  generation.input = model::Json::array({model::Json{{"role", "user"}, {"content", "hi"}}});
  generation.attributes = {{"gen_ai.system", "openai"}};
  generation.events.push_back(model::Event{.name = "first token", .time_ns = kStartNs + 5'000});
  generation.trace_hints.trace_input = "the trace's own input";
  generation.trace_hints.trace_output = model::Json{{"answer", 42}};
  out.push_back(generation);
  model::Observation tool = Span("t1", "tool", "gen", kStartNs + 2'000);
  tool.type = model::ObservationType::kTool;
  tool.tool = model::ToolRef{.name = "search", .call_id = "call-1"};
  tool.status = model::Status::kError;
  tool.status_message = "timed out";
  tool.name = std::string("bad \xff\xfe utf-8");
  tool.cost.total = std::nan("");
  out.push_back(tool);

  model::Observation big = Span("t2", "root", "", kStartNs + 10'000);
  big.input = std::string(3 * kCompressMinBytes, 'x');  // compressed payload
  big.trace_hints.session_id = "s1";
  out.push_back(big);
  model::Observation expired_child = Span("t2", "old", "root", kStartNs + 11'000);
  expired_child.payload_expired = true;
  expired_child.input = "gone";
  out.push_back(expired_child);

  model::Observation expired_root = Span("t3", "root", "", kStartNs + 20'000);
  expired_root.payload_expired = true;
  expired_root.output = "gone too";
  expired_root.trace_hints.trace_input = "gone as well";
  out.push_back(expired_root);
  return out;
}

std::map<std::string, model::Observation> ById(std::vector<model::Observation> observations) {
  std::map<std::string, model::Observation> out;
  for (model::Observation& o : observations) {
    std::string key = absl::StrCat(o.trace_id, "/", o.id);
    out.emplace(std::move(key), std::move(o));
  }
  return out;
}

TEST_F(WriterTest, SummaryInputsOfTheInsertedRowsAreWhatReadingThemBackReturns) {
  const std::vector<model::Observation> observations = AwkwardTraces();
  RowBinaryWriter rows;
  ObservationsByTrace computed;
  int exact_summaries = 0;  // of observations that are not roots: copied rather than decoded
  int inexact_summaries = 0;
  for (model::Observation o : observations) {
    sqlite::FloorTimesToMicros(o);
    const std::string payload = sqlite::EncodePayload(o, kCompressMinBytes);
    SummaryColumn summary;
    AppendObservationRow(rows, "p", RetentionClass{}, /*version=*/7, o, payload, &summary);
    if (!o.parent_id.empty()) ++(summary.exact ? exact_summaries : inexact_summaries);
    const std::string trace_id = o.trace_id;
    absl::StatusOr<model::Observation> input = SummaryInputsOfRow(std::move(o), payload, summary);
    ASSERT_TRUE(input.ok()) << input.status();
    computed[trace_id].push_back(*std::move(input));
  }
  ASSERT_TRUE(db_->Insert(InsertObservationSql(), rows.data()).ok());

  absl::StatusOr<ObservationsByTrace> read =
      ReadObservationsOfTraces(*db_, "p", {"t1", "t2", "t3"}, ObservationDetail::kSummaryInputs);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), computed.size());
  for (auto& [trace_id, stored] : *read) {
    SCOPED_TRACE(trace_id);
    std::map<std::string, model::Observation> expected = ById(computed[trace_id]);
    std::map<std::string, model::Observation> actual = ById(stored);
    EXPECT_EQ(actual, expected);
    EXPECT_EQ(model::SummarizeTrace(stored), model::SummarizeTrace(computed[trace_id]));
  }
  // The branches the cases are for were taken.
  const std::map<std::string, model::Observation> t1 = ById(computed["t1"]);
  EXPECT_EQ(t1.at("t1/root").input, observations[0].input);  // a root keeps its payload
  EXPECT_TRUE(t1.at("t1/gen").input.is_null());              // a child is its summary
  EXPECT_EQ(t1.at("t1/gen").trace_hints.trace_input, "the trace's own input");  // with its trace_payload
  EXPECT_EQ(ById(computed["t2"]).at("t2/root").input, observations[3].input);   // decompressed
  EXPECT_TRUE(ById(computed["t3"]).at("t3/root").payload_expired);
  EXPECT_GT(exact_summaries, 0);
  EXPECT_GT(inexact_summaries, 0);
}

TEST(ObservationRowTest, WritingInPlaceGivesTheSameRowAndLeavesTheObservationAsItWas) {
  for (const model::Observation& original : AwkwardTraces()) {
    SCOPED_TRACE(original.id);
    const std::string payload = sqlite::EncodePayload(original, kCompressMinBytes);
    RowBinaryWriter copied;
    SummaryColumn copied_summary;
    AppendObservationRow(copied, "p", RetentionClass{}, 7, original, payload, &copied_summary);
    model::Observation in_place = original;
    RowBinaryWriter swapped;
    SummaryColumn swapped_summary;
    AppendObservationRow(swapped, "p", RetentionClass{}, 7, in_place, payload, &swapped_summary);
    EXPECT_EQ(swapped.data(), copied.data());
    EXPECT_EQ(swapped_summary.text, copied_summary.text);
    EXPECT_EQ(swapped_summary.exact, copied_summary.exact);
    std::string after;
    std::string before;
    model::AppendJson(in_place, &after);
    model::AppendJson(original, &before);
    EXPECT_EQ(after, before);  // as JSON: a NaN is never == itself
  }
}

TEST_F(WriterTest, RowVersionsCountEveryStoredRowOfATrace) {
  auto insert = [&](uint64_t version, const std::vector<model::Observation>& observations) {
    RowBinaryWriter rows;
    for (const model::Observation& o : observations) {
      AppendObservationRow(rows, "p", RetentionClass{}, version, o, sqlite::EncodePayload(o, kCompressMinBytes));
    }
    ASSERT_TRUE(db_->Insert(InsertObservationSql(), rows.data()).ok());
  };
  insert(10, {Span("t1", "a", "", kStartNs), Span("t1", "b", "a", kStartNs)});
  insert(20, {Span("t1", "a", "", kStartNs)});  // a newer version of a row: both rows count until merged
  insert(15, {Span("t2", "a", "", kStartNs)});
  RowBinaryWriter other;
  const model::Observation elsewhere = Span("t2", "x", "", kStartNs);
  AppendObservationRow(other, "another project", RetentionClass{}, 99, elsewhere,
                       sqlite::EncodePayload(elsewhere, kCompressMinBytes));
  ASSERT_TRUE(db_->Insert(InsertObservationSql(), other.data()).ok());

  absl::StatusOr<std::map<std::string, TraceRowVersions>> versions =
      ReadTraceRowVersions(*db_, "p", {"t1", "t2", "t3"});
  ASSERT_TRUE(versions.ok()) << versions.status();
  auto as_tuple = [](const TraceRowVersions& v) { return std::make_tuple(v.rows, v.min_version, v.max_version); };
  ASSERT_EQ(versions->size(), 2u);  // t3 has no rows
  EXPECT_EQ(as_tuple(versions->at("t1")), std::make_tuple(3u, 10u, 20u));
  EXPECT_EQ(as_tuple(versions->at("t2")), std::make_tuple(1u, 15u, 15u));  // not another project's row
}

// The shortcut is taken for a trace whose stored rows are all the batch's own, and for no other:
// not for one with spans of an earlier batch, nor for one written again (a retry). Another
// project's rows of the same trace id do not count.
TEST_F(WriterTest, TakesSummaryInputsFromTheInsertOnlyForATraceWithNoOtherRows) {
  RetentionClasses classes;
  Writer writer(*db_, SystemClock::Get(), classes, /*max_queue_observations=*/1000, kCompressMinBytes);
  struct Step {
    std::string name;
    std::string project;
    std::vector<model::Observation> observations;
    int64_t from_insert;  // of the batch's traces
  };
  const std::vector<Step> steps = {
      {"a new trace, whole", "p", {Span("t1", "root", "", kStartNs), Span("t1", "a", "root", kStartNs)}, 1},
      {"a new trace, and a span more of the first", "p",
       {Span("t2", "root", "", kStartNs), Span("t1", "b", "root", kStartNs)}, 1},
      {"the same batch again", "p", {Span("t2", "root", "", kStartNs), Span("t1", "b", "root", kStartNs)}, 0},
      {"a trace id another project has too", "q", {Span("t1", "root", "", kStartNs)}, 1},
      {"two new traces", "p", {Span("t3", "root", "", kStartNs), Span("t4", "root", "", kStartNs)}, 2},
  };
  for (const Step& step : steps) {
    SCOPED_TRACE(step.name);
    const int64_t before = writer.summaries_from_insert();
    ASSERT_TRUE(WriteAndWait(writer, WriteBatch{.project = step.project, .observations = step.observations}).ok());
    EXPECT_EQ(writer.summaries_from_insert() - before, step.from_insert);
  }
}

// A batch's texts (WriteBatch::observation_json, as the spool ships it) are stored as the
// payloads of their observations; an observation without one is encoded. Each text here is the
// observation's JSON, pretty-printed: parsed the same, but not what the writer would encode.
TEST_F(WriterTest, StoresABatchsTextsAsThePayloads) {
  RetentionClasses classes;
  Writer writer(*db_, SystemClock::Get(), classes, /*max_queue_observations=*/1000, kCompressMinBytes);
  std::vector<model::Observation> observations = {Span("t1", "root", "", kStartNs), Span("t1", "a", "root", kStartNs),
                                                  Span("t1", "b", "root", kStartNs)};
  observations[2].input = std::string(3 * kCompressMinBytes, 'y');  // compressed either way
  std::vector<std::string> texts;
  for (const model::Observation& o : observations) texts.push_back(model::ToJson(o).dump(2));
  WriteBatch batch{.project = "p", .observations = observations};
  batch.observation_json = {texts[0], "", texts[2]};  // "a" has none
  ASSERT_TRUE(WriteAndWait(writer, std::move(batch)).ok());

  absl::StatusOr<std::string> rows =
      db_->Select("SELECT id, payload FROM observations WHERE project = 'p' ORDER BY id FORMAT RowBinary");
  ASSERT_TRUE(rows.ok()) << rows.status();
  RowBinaryReader in(*rows, "reading the payloads");
  std::map<std::string, std::string> payloads;
  while (!in.AtEnd()) {
    std::string id = in.String();
    payloads[id] = in.String();
  }
  ASSERT_TRUE(in.status().ok()) << in.status();
  ASSERT_EQ(payloads.size(), 3u);
  EXPECT_EQ(payloads["root"], texts[0]);
  EXPECT_EQ(payloads["a"], sqlite::EncodePayload(observations[1], kCompressMinBytes));
  EXPECT_EQ(payloads["b"], sqlite::EncodeJsonPayload(texts[2], kCompressMinBytes));
  EXPECT_NE(payloads["b"], sqlite::EncodePayload(observations[2], kCompressMinBytes));
  for (const model::Observation& o : observations) {
    absl::StatusOr<model::Observation> back = sqlite::DecodePayload(payloads[o.id]);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, o);
  }
}

// The writer keeps its insert buffer between writes and frees it after a second with nothing to
// write: writes of every size, before and after it was freed, store every row once (counted
// without FINAL, so a row sent twice would show).
TEST_F(WriterTest, StoresEveryRowWhetherItsInsertBufferWasKeptOrFreed) {
  RetentionClasses classes;
  Writer writer(*db_, SystemClock::Get(), classes, /*max_queue_observations=*/10'000, kCompressMinBytes);
  std::vector<std::string> traces;
  for (const int spans : {2000, 10, 3000, 0, 5}) {  // 0: wait until the writer has freed its buffer
    if (spans == 0) {
      absl::SleepFor(absl::Milliseconds(1500));
      continue;
    }
    traces.push_back(absl::StrCat("t", traces.size()));
    std::vector<model::Observation> observations;
    for (int i = 0; i < spans; ++i) {
      observations.push_back(Span(traces.back(), absl::StrCat("s", i), i == 0 ? "" : "s0", kStartNs + i));
      observations.back().input = std::string(100, 'x');
    }
    ASSERT_TRUE(WriteAndWait(writer, WriteBatch{.project = "p", .observations = observations}).ok());
  }
  absl::StatusOr<std::string> rows = db_->Select(
      "SELECT trace_id, toUInt64(count()), toUInt64(uniqExact(id)) FROM observations WHERE project = 'p' "
      "GROUP BY trace_id ORDER BY trace_id FORMAT RowBinary");
  ASSERT_TRUE(rows.ok()) << rows.status();
  RowBinaryReader in(*rows, "counting the rows");
  std::map<std::string, std::pair<uint64_t, uint64_t>> counts;
  while (!in.AtEnd()) {
    std::string trace_id = in.String();
    const uint64_t stored = in.UInt64();
    counts[trace_id] = {stored, in.UInt64()};
  }
  ASSERT_TRUE(in.status().ok()) << in.status();
  const std::map<std::string, std::pair<uint64_t, uint64_t>> expected = {
      {"t0", {2000, 2000}}, {"t1", {10, 10}}, {"t2", {3000, 3000}}, {"t3", {5, 5}}};
  EXPECT_EQ(counts, expected);
}

// One write of the store, on node `node`.
struct NodeWrite {
  int node = 0;
  std::vector<model::Observation> observations;
};

model::Observation Generation(std::string trace_id, std::string id, std::string parent_id, int tokens) {
  model::Observation o = Span(std::move(trace_id), std::move(id), std::move(parent_id), kStartNs + tokens * 1'000);
  o.type = model::ObservationType::kGeneration;
  o.model = "m";
  o.usage = model::Usage{.input_tokens = tokens, .output_tokens = 1, .total_tokens = tokens + 1};
  o.trace_hints.session_id = "s";
  return o;
}

// Whichever way a trace's spans arrive (whole in one batch, where the writer takes the summary
// inputs from its insert, or spread, repeated or concurrent, where it must read them back), its
// summary, its session's and its metrics equal a recomputation from what is stored.
TEST_F(WriterTest, SummariesEqualARecomputationWhateverWayTheSpansArrived) {
  struct Case {
    std::string name;
    std::vector<NodeWrite> writes;
  };
  const model::Observation root = Generation("t", "root", "", 1);
  const model::Observation a = Generation("t", "a", "root", 10);
  const model::Observation b = Generation("t", "b", "root", 100);
  model::Observation a_again = a;
  a_again.usage.input_tokens = 1000;
  a_again.trace_hints.session_id = "s2";  // the trace moves to another session
  const std::vector<Case> cases = {
      {"whole trace in one batch", {{0, {root, a, b}}}},
      {"spans in two batches", {{0, {root, a}}, {0, {b}}}},
      {"the same batch twice (a retry)", {{0, {root, a, b}}, {0, {root, a, b}}}},
      {"a span replaced by a later batch", {{0, {root, a, b}}, {0, {a_again}}}},
      {"a span replaced by a later batch that holds it alone", {{0, {root}}, {0, {a}}, {0, {a_again}}}},
      {"two nodes, one batch each", {{0, {root, a}}, {1, {b}}}},
      {"two nodes writing the same spans", {{0, {root, a, b}}, {1, {root, a_again, b}}}},
      {"a span twice in one batch", {{0, {root, a, b, a_again}}}},
      {"a span twice in one batch, the later copy first", {{0, {a_again, root, b, a}}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(client_->Query(absl::StrCat("DROP DATABASE IF EXISTS ", database_)).ok());
    database_ = NewDatabaseName();  // TearDown drops the last one
    std::vector<std::unique_ptr<ClickHouseStore>> nodes;
    for (int i = 0; i < 2; ++i) {
      absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = OpenStore();
      ASSERT_TRUE(store.ok()) << store.status();
      nodes.push_back(*std::move(store));
    }
    for (const NodeWrite& write : c.writes) {
      ASSERT_TRUE(WriteAndWait(*nodes[write.node], WriteBatch{.project = "p", .observations = write.observations}).ok());
    }
    // Another project's trace of the same id, written whole, changes nothing of p's.
    ASSERT_TRUE(WriteAndWait(*nodes[1], WriteBatch{.project = "q", .observations = {root}}).ok());

    absl::StatusOr<TraceDetail> detail = nodes[0]->GetTrace("p", "t");
    ASSERT_TRUE(detail.ok()) << detail.status();
    EXPECT_EQ(detail->trace, model::SummarizeTrace(detail->observations));
    int64_t input_tokens = 0;
    for (const model::Observation& o : detail->observations) input_tokens += o.usage.input_tokens;

    for (const std::string session_id : {"s", "s2"}) {
      std::vector<model::Trace> traces;
      if (detail->trace.session_id == session_id) traces.push_back(detail->trace);
      absl::StatusOr<SessionDetail> session = nodes[1]->GetSession("p", session_id);
      if (traces.empty()) {
        // Never had the trace, or lost it: absent or a tombstone.
        EXPECT_TRUE(!session.ok() || session->session.trace_count == 0) << session_id;
        continue;
      }
      ASSERT_TRUE(session.ok()) << session.status();
      EXPECT_EQ(session->session, model::SummarizeSession(session_id, traces));
    }

    absl::StatusOr<MetricsResult> metrics = nodes[0]->QueryMetrics(
        MetricsQuery{.project = "p", .measures = {Measure::kCount, Measure::kInputTokens}});
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    ASSERT_EQ(metrics->rows.size(), 1u);
    EXPECT_EQ(metrics->rows[0].values[0], static_cast<double>(detail->observations.size()));
    EXPECT_EQ(metrics->rows[0].values[1], static_cast<double>(input_tokens));
  }
}

// Rows of one insert share a version, so the writer sends one copy of an observation a batch
// holds several times: the last, as if the copies were written in turn.
TEST_F(WriterTest, TheLastCopyOfAnObservationInABatchIsTheOneStored) {
  model::Observation first = Generation("t", "a", "root", 10);
  model::Observation last = first;
  last.usage.input_tokens = 1000;
  const model::Observation root = Generation("t", "root", "", 1);
  const model::Observation other = Generation("u", "a", "", 5);  // another trace, the same span id
  struct Case {
    std::string name;
    std::vector<model::Observation> batch;
  };
  const std::vector<Case> cases = {
      {"copies apart, other spans between", {first, root, other, last}},
      {"copies next to each other", {root, first, last, other}},
      {"three copies", {first, other, first, root, last}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(client_->Query(absl::StrCat("DROP DATABASE IF EXISTS ", database_)).ok());
    database_ = NewDatabaseName();  // TearDown drops the last one
    absl::StatusOr<std::unique_ptr<ClickHouseStore>> store = OpenStore();
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE(WriteAndWait(**store, WriteBatch{.project = "p", .observations = c.batch}).ok());
    absl::StatusOr<TraceDetail> detail = (*store)->GetTrace("p", "t");
    ASSERT_TRUE(detail.ok()) << detail.status();
    ASSERT_EQ(detail->observations.size(), 2u);
    const auto a = std::find_if(detail->observations.begin(), detail->observations.end(),
                                [](const model::Observation& o) { return o.id == "a"; });
    ASSERT_NE(a, detail->observations.end());
    EXPECT_EQ(a->usage.input_tokens, 1000);
    EXPECT_EQ(detail->trace, model::SummarizeTrace(detail->observations));
    absl::StatusOr<TraceDetail> other_trace = (*store)->GetTrace("p", "u");
    ASSERT_TRUE(other_trace.ok()) << other_trace.status();
    EXPECT_EQ(other_trace->observations.size(), 1u);
  }
}

}  // namespace
}  // namespace trackly::store::clickhouse
