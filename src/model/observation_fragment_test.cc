#include "model/observation_fragment.h"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "model/codec.h"

namespace trackly::model {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kBase = 1'795'314'529'000'000'000;

ObservationFragment Fragment(std::string event_id, FragmentKind kind, int64_t event_ms, uint64_t fields,
                             Observation observation) {
  observation.id = "obs-1";
  return ObservationFragment{.observation = std::move(observation),
                             .fields = fields,
                             .kind = kind,
                             .event_time_ns = kBase + event_ms * kMs,
                             .event_id = std::move(event_id)};
}

// A create, two updates (one carrying the trace id only), a repeat of an update and a late
// trace-level update, as Langfuse and LangSmith clients send them.
std::vector<ObservationFragment> TypicalFragments() {
  std::vector<ObservationFragment> fragments;
  {
    Observation o;
    o.trace_id = "trace-1";
    o.name = "draft";
    o.type = ObservationType::kGeneration;
    o.parent_id = "trace-1";
    o.start_time_ns = kBase + 5 * kMs;
    o.model = "gpt-4o-mini";
    o.input = Json::array({Json{{"role", "user"}, {"content", "hi"}}});
    o.metadata = Json{{"a", 1}, {"keep", "yes"}};
    o.events = {Event{.name = "created", .time_ns = kBase + 5 * kMs}};
    fragments.push_back(Fragment("e-create", FragmentKind::kCreate, 10,
                                 kFieldName | kFieldType | kFieldParent | kFieldStartTime | kFieldModel |
                                     kFieldInput | kFieldMetadata | kFieldEvents,
                                 std::move(o)));
  }
  {
    Observation o;  // no trace id: the update does not repeat it
    o.end_time_ns = kBase + 50 * kMs;
    o.output = "hello";
    o.usage = Usage{.input_tokens = 9, .output_tokens = 25, .total_tokens = 34};
    o.metadata = Json{{"b", 2}};
    o.events = {Event{.name = "first-token", .time_ns = kBase + 30 * kMs}};
    fragments.push_back(Fragment("e-update-1", FragmentKind::kUpdate, 20,
                                 kFieldEndTime | kFieldOutput | kFieldUsage | kFieldMetadata | kFieldEvents,
                                 std::move(o)));
  }
  {
    Observation o;
    o.trace_id = "trace-1";
    o.level = Level::kError;
    o.status = Status::kError;
    o.status_message = "boom";
    o.metadata = Json{{"a", 3}};
    o.trace_hints.trace_metadata = Json{{"tenant", "acme"}};
    fragments.push_back(Fragment("e-update-2", FragmentKind::kUpdate, 30,
                                 kFieldLevel | kFieldStatus | kFieldMetadata | kFieldTraceMetadata,
                                 std::move(o)));
  }
  // The same event again (a client retry), with content that would show if it were applied twice.
  fragments.push_back(fragments[1]);
  {
    Observation o;  // an update stamped at the same time as the create: the create goes first
    o.name = "draft (renamed)";
    o.start_time_ns = kBase + 7 * kMs;  // later than the create's start: the earliest start stays
    o.trace_hints.tags = {"b", "a"};
    fragments.push_back(
        Fragment("e-update-0", FragmentKind::kUpdate, 10, kFieldName | kFieldStartTime | kFieldTags, std::move(o)));
  }
  return fragments;
}

TEST(MergeFragmentsTest, AppliesFragmentsInEventOrder) {
  Observation merged = MergeFragments(TypicalFragments());

  Observation expected;
  expected.id = "obs-1";
  expected.trace_id = "trace-1";
  expected.name = "draft (renamed)";
  expected.type = ObservationType::kGeneration;
  expected.parent_id = "trace-1";
  expected.start_time_ns = kBase + 5 * kMs;
  expected.end_time_ns = kBase + 50 * kMs;
  expected.model = "gpt-4o-mini";
  expected.input = Json::array({Json{{"role", "user"}, {"content", "hi"}}});
  expected.output = "hello";
  expected.usage = Usage{.input_tokens = 9, .output_tokens = 25, .total_tokens = 34};
  expected.metadata = Json{{"a", 3}, {"b", 2}, {"keep", "yes"}};
  expected.events = {Event{.name = "created", .time_ns = kBase + 5 * kMs},
                     Event{.name = "first-token", .time_ns = kBase + 30 * kMs}};
  expected.level = Level::kError;
  expected.status = Status::kError;
  expected.status_message = "boom";
  expected.trace_hints.trace_metadata = Json{{"tenant", "acme"}};
  expected.trace_hints.tags = {"b", "a"};
  EXPECT_EQ(merged, expected) << DumpJson(ToJson(merged));
}

TEST(MergeFragmentsTest, EveryArrivalOrderGivesTheSameObservation) {
  std::vector<ObservationFragment> fragments = TypicalFragments();
  const Observation in_order = MergeFragments(fragments);
  std::vector<size_t> order(fragments.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  int permutations = 0;
  do {
    std::vector<ObservationFragment> arrived;
    for (size_t i : order) arrived.push_back(fragments[i]);
    Observation merged = MergeFragments(arrived);
    ASSERT_EQ(merged, in_order) << "permutation " << permutations << ": " << DumpJson(ToJson(merged));
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(permutations, 120);
}

TEST(MergeFragmentsTest, RepeatedEventIsAppliedOnce) {
  std::vector<ObservationFragment> fragments = TypicalFragments();
  fragments.push_back(fragments[0]);
  fragments.push_back(fragments[0]);
  EXPECT_EQ(MergeFragments(fragments).events.size(), 2u);
}

TEST(MergeFragmentsTest, LaterSetFieldWinsAndUnsetFieldSaysNothing) {
  Observation first;
  first.model = "a";
  first.provider = "openai";
  first.output = "one";
  Observation second;
  second.model = "b";  // provider empty: kFieldModel sets both
  second.output = "two";
  std::vector<ObservationFragment> fragments = {
      Fragment("1", FragmentKind::kCreate, 1, kFieldModel | kFieldOutput, first),
      Fragment("2", FragmentKind::kUpdate, 2, kFieldModel, second),  // output not in the mask
  };
  Observation merged = MergeFragments(fragments);
  EXPECT_EQ(merged.model, "b");
  EXPECT_EQ(merged.provider, "");
  EXPECT_EQ(merged.output, "one");
}

TEST(MergeFragmentsTest, CreateGoesBeforeUpdateOfTheSameTime) {
  Observation create;
  create.name = "from create";
  Observation update;
  update.name = "from update";
  std::vector<ObservationFragment> fragments = {
      Fragment("z", FragmentKind::kUpdate, 1, kFieldName, update),
      Fragment("a", FragmentKind::kCreate, 1, kFieldName, create),
  };
  EXPECT_EQ(MergeFragments(fragments).name, "from update");
}

TEST(MergeFragmentsTest, NonObjectMetadataReplaces) {
  Observation first;
  first.metadata = Json{{"a", 1}};
  Observation second;
  second.metadata = "plain";
  std::vector<ObservationFragment> fragments = {
      Fragment("1", FragmentKind::kCreate, 1, kFieldMetadata, first),
      Fragment("2", FragmentKind::kUpdate, 2, kFieldMetadata, second),
  };
  EXPECT_EQ(MergeFragments(fragments).metadata, Json("plain"));
}

TEST(MergeFragmentsTest, NoFragmentsGiveADefaultObservation) {
  EXPECT_EQ(MergeFragments({}), Observation());
}

}  // namespace
}  // namespace trackly::model
