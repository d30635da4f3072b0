// Conformance of Store::RewriteObservations (store/store.h): rewritten observations are stored
// and every trace and session summary still equals a recomputation.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "model/codec.h"
#include "model/summary.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store::conformance {
namespace {

using model::Observation;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kBase = 1'795'314'529'000'000'000;

// A generation of `trace_id` starting `start_ms` after kBase with a provided cost.
Observation Generation(const std::string& trace_id, const std::string& id, const std::string& parent_id,
                       int64_t start_ms, double cost) {
  Observation o;
  o.trace_id = trace_id;
  o.id = id;
  o.parent_id = parent_id;
  o.name = "chat";
  o.type = model::ObservationType::kGeneration;
  o.status = model::Status::kOk;
  o.model = "m";
  o.start_time_ns = kBase + start_ms * kMs;
  o.end_time_ns = o.start_time_ns + 10 * kMs;
  o.usage = model::Usage{.input_tokens = 100, .output_tokens = 10, .total_tokens = 110};
  o.cost = model::Cost{.input = cost / 2, .output = cost / 2, .total = cost, .source = model::CostSource::kComputed,
                       .price_id = "old"};
  return o;
}

absl::Status WriteAll(Store& store, const std::string& project, std::vector<Observation> observations) {
  return WriteAndWait(store, WriteBatch{.project = project, .observations = std::move(observations)});
}

// Sets every visited observation's cost to `total` under price id "new".
ObservationRewrite Reprice(double total) {
  return [total](Observation& o) {
    model::Cost cost{.input = total / 2, .output = total / 2, .total = total,
                     .source = model::CostSource::kComputed, .price_id = "new"};
    if (o.cost == cost) return false;
    o.cost = cost;
    return true;
  };
}

// The stored summary of `trace_id` equals SummarizeTrace over its stored observations.
void ExpectTraceEqualsRecomputation(Store& store, const std::string& project, const std::string& trace_id) {
  absl::StatusOr<TraceDetail> detail = store.GetTrace(project, trace_id);
  ASSERT_TRUE(detail.ok()) << detail.status();
  model::Trace recomputed = model::SummarizeTrace(detail->observations);
  EXPECT_EQ(detail->trace, recomputed) << "\n  stored:     " << model::DumpJson(model::ToJson(detail->trace))
                                       << "\n  recomputed: " << model::DumpJson(model::ToJson(recomputed));
}

TEST_P(StoreConformanceTest, RewriteStoresChangesAndKeepsSummariesExact) {
  if (!HasRewrite(*store_)) GTEST_SKIP() << "backend cannot rewrite observations (RewriteObservations is Unimplemented)";
  std::vector<Observation> batch;
  for (int t = 0; t < 3; ++t) {
    std::string trace = absl::StrCat("t", t);
    Observation root = Generation(trace, trace + "-root", "", t * 100, 1.0);
    root.type = model::ObservationType::kAgent;
    root.trace_hints.session_id = "s";
    batch.push_back(root);
    for (int i = 0; i < 4; ++i) batch.push_back(Generation(trace, absl::StrCat(trace, "-g", i), root.id, t * 100 + i, 1.0));
  }
  ASSERT_TRUE(WriteAll(*store_, "p", batch).ok());

  absl::StatusOr<RewriteStats> stats = store_->RewriteObservations(RewriteRange{.project = "p"}, Reprice(0.5));
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->observations_visited, 15);
  EXPECT_EQ(stats->observations_rewritten, 15);
  EXPECT_EQ(stats->traces_rewritten, 3);

  for (int t = 0; t < 3; ++t) {
    std::string trace = absl::StrCat("t", t);
    ExpectTraceEqualsRecomputation(*store_, "p", trace);
    absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", trace);
    ASSERT_TRUE(detail.ok());
    for (const Observation& o : detail->observations) EXPECT_EQ(o.cost.price_id, "new") << o.id;
  }
  absl::StatusOr<SessionDetail> session = store_->GetSession("p", "s");
  ASSERT_TRUE(session.ok()) << session.status();
  ASSERT_EQ(session->traces.size(), 3u);
  EXPECT_TRUE(SameSession(session->session, model::SummarizeSession("s", session->traces)));

  // Idempotent: the same rewrite again changes nothing.
  stats = store_->RewriteObservations(RewriteRange{.project = "p"}, Reprice(0.5));
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->observations_visited, 15);
  EXPECT_EQ(stats->observations_rewritten, 0);
  EXPECT_EQ(stats->traces_rewritten, 0);
}

TEST_P(StoreConformanceTest, RewriteVisitsOnlyTheRangeAndTheProject) {
  if (!HasRewrite(*store_)) GTEST_SKIP() << "backend cannot rewrite observations (RewriteObservations is Unimplemented)";
  ASSERT_TRUE(WriteAll(*store_, "p", {Generation("t", "a", "", 0, 1), Generation("t", "b", "a", 10, 1),
                                      Generation("t", "c", "a", 20, 1)})
                  .ok());
  ASSERT_TRUE(WriteAll(*store_, "q", {Generation("t", "b", "", 10, 1)}).ok());
  RewriteRange range{.project = "p", .from_ns = kBase + 10 * kMs, .to_ns = kBase + 20 * kMs};
  absl::StatusOr<RewriteStats> stats = store_->RewriteObservations(range, Reprice(3));
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->observations_visited, 1);
  EXPECT_EQ(stats->observations_rewritten, 1);
  absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", "t");
  ASSERT_TRUE(detail.ok());
  std::map<std::string, double> cost_by_id;
  for (const Observation& o : detail->observations) cost_by_id[o.id] = o.cost.total;
  EXPECT_EQ(cost_by_id, (std::map<std::string, double>{{"a", 1}, {"b", 3}, {"c", 1}}));
  ExpectTraceEqualsRecomputation(*store_, "p", "t");
  EXPECT_EQ(store_->GetTrace("q", "t")->observations.at(0).cost.total, 1);
}

TEST_P(StoreConformanceTest, RewriteThatChangesAnIdIsInvalidArgumentAndWritesNothing) {
  if (!HasRewrite(*store_)) GTEST_SKIP() << "backend cannot rewrite observations (RewriteObservations is Unimplemented)";
  ASSERT_TRUE(WriteAll(*store_, "p", {Generation("t", "a", "", 0, 1)}).ok());
  absl::StatusOr<RewriteStats> stats = store_->RewriteObservations(RewriteRange{.project = "p"}, [](Observation& o) {
    o.id = "other";
    o.cost.total = 9;
    return true;
  });
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", "t");
  ASSERT_TRUE(detail.ok());
  ASSERT_EQ(detail->observations.size(), 1u);
  EXPECT_EQ(detail->observations[0].id, "a");
  EXPECT_EQ(detail->observations[0].cost.total, 1);
}

TEST_P(StoreConformanceTest, BadRewriteRangeIsInvalidArgument) {
  if (!HasRewrite(*store_)) GTEST_SKIP() << "backend cannot rewrite observations (RewriteObservations is Unimplemented)";
  EXPECT_EQ(store_->RewriteObservations(RewriteRange{}, Reprice(1)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->RewriteObservations(RewriteRange{.project = "p", .from_ns = 5, .to_ns = 5}, Reprice(1))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, RewriteOfManyTracesAndALargeOneKeepsLaterWritesExact) {
  if (!HasRewrite(*store_)) GTEST_SKIP() << "backend cannot rewrite observations (RewriteObservations is Unimplemented)";
  // More traces than fit one transaction of the SQLite backend, and one trace large enough to be
  // kept in its summary cache, which must not serve the pre-rewrite costs afterwards.
  std::vector<Observation> batch;
  for (int t = 0; t < 300; ++t) batch.push_back(Generation(absl::StrCat("t", t), "g", "", t, 1));
  for (int i = 0; i < 700; ++i) {
    batch.push_back(Generation("big", absl::StrCat("g", i), i == 0 ? "" : "g0", 1000 + i, 1));
  }
  ASSERT_TRUE(WriteAll(*store_, "p", batch).ok());
  absl::StatusOr<RewriteStats> stats = store_->RewriteObservations(RewriteRange{.project = "p"}, Reprice(2));
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->observations_rewritten, 1000);
  EXPECT_EQ(stats->traces_rewritten, 301);
  ASSERT_TRUE(WriteAll(*store_, "p", {Generation("big", "late", "g0", 5000, 4)}).ok());
  ExpectTraceEqualsRecomputation(*store_, "p", "big");
  ExpectTraceEqualsRecomputation(*store_, "p", "t299");
}

}  // namespace
}  // namespace trackly::store::conformance
