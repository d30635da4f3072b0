// Conformance of WriteBatch::fragments (store/store.h, model/observation_fragment.h): what is
// stored is the merge of every fragment of an id, whatever order and batches they came in.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "model/codec.h"
#include "model/observation_fragment.h"
#include "model/summary.h"
#include "store/conformance/store_conformance.h"

namespace trackly::store::conformance {
namespace {

using model::FragmentKind;
using model::Observation;
using model::ObservationFragment;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kBase = 1'795'314'529'000'000'000;

ObservationFragment Piece(std::string event_id, FragmentKind kind, int64_t event_ms, uint64_t fields, Observation o) {
  return ObservationFragment{.observation = std::move(o),
                             .fields = fields,
                             .kind = kind,
                             .event_time_ns = kBase + event_ms * kMs,
                             .event_id = std::move(event_id)};
}

Observation Ids(std::string id, std::string trace_id = "") {
  Observation o;
  o.id = std::move(id);
  o.trace_id = std::move(trace_id);
  return o;
}

// One trace as a Langfuse client sends it: the trace (a root) created and later updated, a span
// created and then ended, a generation created and updated with usage, and a child of the span.
std::vector<ObservationFragment> TraceFragments() {
  using namespace model;  // the field mask constants
  std::vector<ObservationFragment> f;
  {
    Observation o = Ids("t1", "t1");
    o.name = "research";
    o.start_time_ns = kBase;
    o.trace_hints.trace_name = "research";
    o.trace_hints.user_id = "u1";
    o.trace_hints.session_id = "s1";
    o.trace_hints.tags = {"x"};
    o.trace_hints.trace_metadata = {{"channel", "web"}};
    f.push_back(Piece("ev-trace-1", FragmentKind::kCreate, 0,
                      kFieldName | kFieldStartTime | kFieldTraceName | kFieldUserId | kFieldSessionId |
                          kFieldTags | kFieldTraceMetadata,
                      o));
  }
  {
    Observation o = Ids("span", "t1");
    o.name = "retrieve";
    o.parent_id = "t1";
    o.start_time_ns = kBase + 5 * kMs;
    o.input = {{"q", "why"}};
    f.push_back(Piece("ev-span-create", FragmentKind::kCreate, 1,
                      kFieldName | kFieldParent | kFieldStartTime | kFieldInput, o));
  }
  {
    Observation o = Ids("span");  // the update does not repeat the trace id
    o.end_time_ns = kBase + 20 * kMs;
    o.output = {{"docs", 2}};
    o.metadata = {{"top_k", 2}};
    f.push_back(Piece("ev-span-update", FragmentKind::kUpdate, 2, kFieldEndTime | kFieldOutput | kFieldMetadata, o));
  }
  {
    Observation o = Ids("child", "t1");
    o.name = "embed";
    o.parent_id = "span";
    o.type = ObservationType::kEmbedding;
    o.start_time_ns = kBase + 6 * kMs;
    o.end_time_ns = kBase + 9 * kMs;
    f.push_back(Piece("ev-child", FragmentKind::kCreate, 3,
                      kFieldName | kFieldParent | kFieldType | kFieldStartTime | kFieldEndTime, o));
  }
  {
    Observation o = Ids("gen", "t1");
    o.name = "draft";
    o.parent_id = "t1";
    o.type = ObservationType::kGeneration;
    o.start_time_ns = kBase + 21 * kMs;
    o.model = "gpt-4o-mini";
    f.push_back(Piece("ev-gen-create", FragmentKind::kCreate, 4,
                      kFieldName | kFieldParent | kFieldType | kFieldStartTime | kFieldModel, o));
  }
  {
    Observation o = Ids("gen", "t1");
    o.end_time_ns = kBase + 80 * kMs;
    o.usage = model::Usage{.input_tokens = 100, .output_tokens = 20, .total_tokens = 120};
    o.level = model::Level::kWarning;
    f.push_back(Piece("ev-gen-update", FragmentKind::kUpdate, 5, kFieldEndTime | kFieldUsage | kFieldLevel, o));
  }
  {
    Observation o = Ids("t1", "t1");
    o.start_time_ns = kBase + 79 * kMs;  // SDKs stamp every trace update; the first start stays
    o.trace_hints.trace_output = "answer";
    o.trace_hints.trace_metadata = {{"done", true}};
    f.push_back(Piece("ev-trace-2", FragmentKind::kCreate, 6,
                      kFieldStartTime | kFieldTraceOutput | kFieldTraceMetadata, o));
  }
  return f;
}

// Prices every merged generation at 1 USD per 1000 tokens, as a cost engine would.
ObservationRewrite PricePerThousand() {
  return [](Observation& o) {
    if (o.type != model::ObservationType::kGeneration || o.usage.empty()) return false;
    o.cost = model::Cost{.total = o.usage.total_tokens / 1000.0, .source = model::CostSource::kComputed};
    return true;
  };
}

absl::Status WriteFragments(Store& store, const std::string& project, std::vector<ObservationFragment> fragments) {
  return WriteAndWait(store, WriteBatch{.project = project,
                                        .observations = {},
                                        .fragments = std::move(fragments),
                                        .finish_merged = PricePerThousand()});
}

// Writes each fragment in a batch of its own, in the given order.
void WriteOneByOne(Store& store, const std::string& project, const std::vector<ObservationFragment>& fragments) {
  for (const ObservationFragment& fragment : fragments) {
    ASSERT_TRUE(WriteFragments(store, project, {fragment}).ok()) << fragment.event_id;
  }
}

void ExpectSameTrace(Store& store, const std::string& project, const std::string& reference_project,
                     const std::string& trace_id = "t1") {
  absl::StatusOr<TraceDetail> got = store.GetTrace(project, trace_id);
  absl::StatusOr<TraceDetail> want = store.GetTrace(reference_project, trace_id);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(want.ok()) << want.status();
  EXPECT_EQ(got->trace, want->trace) << "\n  got:  " << model::DumpJson(model::ToJson(got->trace))
                                     << "\n  want: " << model::DumpJson(model::ToJson(want->trace));
  ASSERT_EQ(got->observations.size(), want->observations.size());
  for (size_t i = 0; i < got->observations.size(); ++i) {
    EXPECT_EQ(got->observations[i], want->observations[i])
        << "\n  got:  " << model::DumpJson(model::ToJson(got->observations[i]))
        << "\n  want: " << model::DumpJson(model::ToJson(want->observations[i]));
  }
  EXPECT_EQ(got->trace, model::SummarizeTrace(got->observations));
}

TEST_P(StoreConformanceTest, FragmentsInOneBatchStoreTheirMerge) {
  ASSERT_TRUE(WriteFragments(*store_, "p", TraceFragments()).ok());
  absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", "t1");
  ASSERT_TRUE(detail.ok()) << detail.status();
  ASSERT_EQ(detail->observations.size(), 4u);
  const Observation& root = detail->observations[0];
  EXPECT_EQ(root.id, "t1");
  EXPECT_EQ(root.start_time_ns, kBase);
  EXPECT_EQ(root.trace_hints.trace_metadata, (model::Json{{"channel", "web"}, {"done", true}}));
  const Observation& span = detail->observations[1];
  EXPECT_EQ(span.id, "span");
  EXPECT_EQ(span.trace_id, "t1");
  EXPECT_EQ(span.end_time_ns, kBase + 20 * kMs);
  EXPECT_EQ(span.output, (model::Json{{"docs", 2}}));
  const Observation& gen = detail->observations[3];
  EXPECT_EQ(gen.id, "gen");
  EXPECT_EQ(gen.model, "gpt-4o-mini");
  EXPECT_EQ(gen.usage.total_tokens, 120);
  // Model and usage came in different fragments; finish_merged priced their merge.
  EXPECT_EQ(gen.cost.total, 0.12);
  EXPECT_EQ(gen.cost.source, model::CostSource::kComputed);

  EXPECT_EQ(detail->trace.name, "research");
  EXPECT_EQ(detail->trace.user_id, "u1");
  EXPECT_EQ(detail->trace.session_id, "s1");
  EXPECT_EQ(detail->trace.output, model::Json("answer"));
  EXPECT_EQ(detail->trace.cost.total, 0.12);
  EXPECT_TRUE(detail->trace.has_root);
  EXPECT_EQ(detail->trace, model::SummarizeTrace(detail->observations));
  absl::StatusOr<SessionDetail> session = store_->GetSession("p", "s1");
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->session.cost.total, 0.12);
}

TEST_P(StoreConformanceTest, FragmentsInReverseOrderAndSeparateBatchesGiveTheInOrderResult) {
  std::vector<ObservationFragment> fragments = TraceFragments();
  WriteOneByOne(*store_, "in-order", fragments);
  std::reverse(fragments.begin(), fragments.end());  // updates before creates, children before parents
  WriteOneByOne(*store_, "reversed", fragments);
  ExpectSameTrace(*store_, "reversed", "in-order");
}

TEST_P(StoreConformanceTest, FragmentsInRandomOrdersGiveTheInOrderResult) {
  std::vector<ObservationFragment> fragments = TraceFragments();
  ASSERT_TRUE(WriteFragments(*store_, "in-order", fragments).ok());
  std::mt19937 random(7);  // seeded: the same orders on every run
  for (int round = 0; round < 5; ++round) {
    std::shuffle(fragments.begin(), fragments.end(), random);
    // Random batch boundaries as well as a random order.
    std::string project = absl::StrCat("shuffled-", round);
    for (size_t i = 0; i < fragments.size();) {
      size_t n = std::min(fragments.size() - i, size_t{1} + random() % 3);
      ASSERT_TRUE(WriteFragments(*store_, project,
                                 std::vector<ObservationFragment>(fragments.begin() + i, fragments.begin() + i + n))
                      .ok());
      i += n;
    }
    ExpectSameTrace(*store_, project, "in-order");
  }
}

TEST_P(StoreConformanceTest, RepeatedFragmentsAreStoredOnce) {
  std::vector<ObservationFragment> fragments = TraceFragments();
  ASSERT_TRUE(WriteFragments(*store_, "once", fragments).ok());
  // The same events again (a client retrying whole batches), once in one batch and once split.
  std::vector<ObservationFragment> twice = fragments;
  twice.insert(twice.end(), fragments.begin(), fragments.end());
  ASSERT_TRUE(WriteFragments(*store_, "twice", twice).ok());
  WriteOneByOne(*store_, "twice", fragments);
  ExpectSameTrace(*store_, "twice", "once");
}

TEST_P(StoreConformanceTest, PatchInALaterBatchChangesTheStoredObservation) {
  std::vector<ObservationFragment> fragments = TraceFragments();
  std::vector<ObservationFragment> first(fragments.begin(), fragments.begin() + 5);  // up to the gen create
  ASSERT_TRUE(WriteFragments(*store_, "p", first).ok());
  absl::StatusOr<TraceDetail> before = store_->GetTrace("p", "t1");
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->trace.usage.total_tokens, 0);
  EXPECT_EQ(before->trace.end_time_ns, kBase + 20 * kMs);  // the span's end

  ASSERT_TRUE(WriteFragments(*store_, "p", std::vector<ObservationFragment>(fragments.begin() + 5, fragments.end())).ok());
  absl::StatusOr<TraceDetail> after = store_->GetTrace("p", "t1");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->trace.usage.total_tokens, 120);
  EXPECT_EQ(after->trace.end_time_ns, kBase + 80 * kMs);
  ASSERT_TRUE(WriteFragments(*store_, "in-one", fragments).ok());
  ExpectSameTrace(*store_, "p", "in-one");
}

TEST_P(StoreConformanceTest, PatchAfterReopenMergesWithFragmentsStoredBefore) {
  std::vector<ObservationFragment> fragments = TraceFragments();
  ASSERT_TRUE(WriteFragments(*store_, "p", std::vector<ObservationFragment>(fragments.begin(), fragments.begin() + 5)).ok());
  Reopen();
  ASSERT_TRUE(WriteFragments(*store_, "p", std::vector<ObservationFragment>(fragments.begin() + 5, fragments.end())).ok());
  ASSERT_TRUE(WriteFragments(*store_, "in-one", fragments).ok());
  ExpectSameTrace(*store_, "p", "in-one");
}

TEST_P(StoreConformanceTest, MergeWithoutTraceIdOrStartIsPendingUntilCompleted) {
  using namespace model;
  Observation update = Ids("gen");  // neither trace id nor start time
  update.end_time_ns = kBase + 50 * kMs;
  update.output = "late";
  ASSERT_TRUE(WriteFragments(*store_, "p", {Piece("u", FragmentKind::kUpdate, 2, kFieldEndTime | kFieldOutput, update)}).ok());
  Observation no_start = Ids("gen", "t9");
  no_start.name = "named";
  ASSERT_TRUE(WriteFragments(*store_, "p", {Piece("n", FragmentKind::kUpdate, 3, kFieldName, no_start)}).ok());
  EXPECT_EQ(store_->GetTrace("p", "t9").status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<TracePage> page = store_->ListTraces(TraceQuery{.project = "p"});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->traces, ::testing::IsEmpty());

  Observation create = Ids("gen", "t9");
  create.start_time_ns = kBase;
  ASSERT_TRUE(WriteFragments(*store_, "p", {Piece("c", FragmentKind::kCreate, 1, kFieldStartTime, create)}).ok());
  absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", "t9");
  ASSERT_TRUE(detail.ok()) << detail.status();
  ASSERT_EQ(detail->observations.size(), 1u);
  EXPECT_EQ(detail->observations[0].name, "named");
  EXPECT_EQ(detail->observations[0].output, model::Json("late"));
  EXPECT_EQ(detail->observations[0].end_time_ns, kBase + 50 * kMs);
}

TEST_P(StoreConformanceTest, FragmentsAndWholeObservationsMixInOneBatch) {
  Observation whole = Ids("whole", "t1");
  whole.parent_id = "t1";
  whole.name = "whole";
  whole.start_time_ns = kBase + 30 * kMs;
  whole.end_time_ns = kBase + 31 * kMs;
  ASSERT_TRUE(WriteAndWait(*store_, WriteBatch{.project = "p", .observations = {whole}, .fragments = TraceFragments(),
                                               .finish_merged = PricePerThousand()})
                  .ok());
  absl::StatusOr<TraceDetail> detail = store_->GetTrace("p", "t1");
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ(detail->observations.size(), 5u);
  EXPECT_EQ(detail->trace, model::SummarizeTrace(detail->observations));
}

TEST_P(StoreConformanceTest, FragmentsOfProjectsAreSeparate) {
  std::vector<ObservationFragment> fragments = TraceFragments();
  ASSERT_TRUE(WriteFragments(*store_, "a", std::vector<ObservationFragment>(fragments.begin(), fragments.begin() + 5)).ok());
  // The rest goes to another project: it must not complete project a's observations.
  ASSERT_TRUE(WriteFragments(*store_, "b", std::vector<ObservationFragment>(fragments.begin() + 5, fragments.end())).ok());
  absl::StatusOr<TraceDetail> a = store_->GetTrace("a", "t1");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->trace.usage.total_tokens, 0);
  absl::StatusOr<TraceDetail> b = store_->GetTrace("b", "t1");
  ASSERT_TRUE(b.ok()) << b.status();
  // In b only the trace update and the generation update arrived; the latter has no start: pending.
  ASSERT_EQ(b->observations.size(), 1u);
  EXPECT_EQ(b->observations[0].id, "t1");
}

TEST_P(StoreConformanceTest, FragmentWithoutEventIdIsInvalidArgument) {
  std::vector<ObservationFragment> fragments = TraceFragments();
  fragments[2].event_id.clear();
  EXPECT_EQ(WriteFragments(*store_, "p", fragments).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetTrace("p", "t1").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace trackly::store::conformance
