#include "cli/demo_runs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "model/json.h"

namespace trackly::cli {
namespace {

using ::testing::SizeIs;

constexpr int64_t kNow = 1'795'314'529'557'123'456;
constexpr int64_t kNowMicros = kNow / 1000 * 1000;

bool IsLowerHex(const std::string& s, size_t length) {
  return s.size() == length && s.find_first_not_of("0123456789abcdef") == std::string::npos &&
         s.find_first_not_of('0') != std::string::npos;
}

// Checks what every run must satisfy for a receiver: well-formed unique ids, one root per trace,
// every parent present in the same trace, children inside their parent's time range, the run
// ending now.
void ExpectWellFormed(const DemoRun& run) {
  SCOPED_TRACE(run.name);
  ASSERT_FALSE(run.spans.empty());
  absl::flat_hash_map<std::string, const model::RawSpan*> by_id;
  for (const model::RawSpan& span : run.spans) {
    EXPECT_TRUE(IsLowerHex(span.trace_id, 32)) << span.trace_id;
    EXPECT_TRUE(IsLowerHex(span.span_id, 16)) << span.span_id;
    EXPECT_TRUE(by_id.emplace(span.span_id, &span).second) << "duplicate " << span.span_id;
    ASSERT_NE(span.scope, nullptr);
    EXPECT_TRUE(span.scope->resource_attributes.contains("service.name"));
    EXPECT_LE(span.start_time_ns, span.end_time_ns) << span.name;
    EXPECT_EQ(span.start_time_ns % 1000, 0);
    EXPECT_TRUE(span.attributes.is_object());
  }
  std::set<std::string> traces_with_root;
  int64_t last_end = 0;
  for (const model::RawSpan& span : run.spans) {
    last_end = std::max(last_end, span.end_time_ns);
    if (span.parent_span_id.empty()) {
      EXPECT_TRUE(traces_with_root.insert(span.trace_id).second) << "two roots in " << span.trace_id;
      continue;
    }
    auto parent = by_id.find(span.parent_span_id);
    ASSERT_NE(parent, by_id.end()) << span.name << " has a dangling parent";
    EXPECT_EQ(parent->second->trace_id, span.trace_id);
    EXPECT_GE(span.start_time_ns, parent->second->start_time_ns) << span.name;
    EXPECT_LE(span.end_time_ns, parent->second->end_time_ns) << span.name;
  }
  EXPECT_EQ(std::set<std::string>(run.trace_ids.begin(), run.trace_ids.end()), traces_with_root);
  EXPECT_EQ(last_end, kNowMicros);
}

int CountWhere(const DemoRun& run, const std::function<bool(const model::RawSpan&)>& pred) {
  return static_cast<int>(std::count_if(run.spans.begin(), run.spans.end(), pred));
}

std::string Op(const model::RawSpan& span) {
  return span.attributes.value("gen_ai.operation.name", "");
}

TEST(DemoRunBuilderTest, EveryRunIsWellFormed) {
  DemoRunBuilder builder(kNow, 7);
  std::vector<DemoRun> runs = builder.All();
  ASSERT_THAT(runs, SizeIs(4));
  absl::flat_hash_set<std::string> trace_ids;
  for (const DemoRun& run : runs) {
    ExpectWellFormed(run);
    for (const std::string& id : run.trace_ids) EXPECT_TRUE(trace_ids.insert(id).second);
  }
}

TEST(DemoRunBuilderTest, SameSeedSameRuns) {
  std::vector<DemoRun> a = DemoRunBuilder(kNow, 42).All();
  std::vector<DemoRun> b = DemoRunBuilder(kNow, 42).All();
  std::vector<DemoRun> c = DemoRunBuilder(kNow, 43).All();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].trace_ids, b[i].trace_ids);
    ASSERT_EQ(a[i].spans.size(), b[i].spans.size());
    for (size_t j = 0; j < a[i].spans.size(); ++j) {
      EXPECT_EQ(a[i].spans[j].span_id, b[i].spans[j].span_id);
      EXPECT_EQ(a[i].spans[j].attributes, b[i].spans[j].attributes);
    }
  }
  EXPECT_NE(a[0].trace_ids, c[0].trace_ids);
}

TEST(DemoRunBuilderTest, ResearchAssistantHasFourStepsAndAGenAiCall) {
  DemoRun run = DemoRunBuilder(kNow, 1).ResearchAssistant();
  EXPECT_THAT(run.spans, SizeIs(8));
  ASSERT_THAT(run.trace_ids, SizeIs(1));
  const model::RawSpan& root = run.spans.front();
  EXPECT_EQ(root.name, "research_assistant");
  std::vector<std::string> steps;
  for (const model::RawSpan& span : run.spans) {
    if (span.parent_span_id == root.span_id) steps.push_back(span.name);
  }
  EXPECT_EQ(steps, (std::vector<std::string>{"rewrite_question", "retrieve_context", "draft_answer",
                                             "summarize"}));

  auto retrieve = std::find_if(run.spans.begin(), run.spans.end(),
                               [](const model::RawSpan& s) { return s.name == "retrieve_context"; });
  EXPECT_EQ(retrieve->attributes["openinference.span.kind"], "RETRIEVER");
  EXPECT_TRUE(retrieve->attributes.contains("retrieval.documents.0.document.content"));
  EXPECT_TRUE(retrieve->attributes.contains("retrieval.documents.1.document.score"));
  EXPECT_FALSE(retrieve->attributes.contains("retrieval.documents.2.document.id"));

  auto draft = std::find_if(run.spans.begin(), run.spans.end(),
                            [](const model::RawSpan& s) { return s.name == "draft_answer"; });
  auto llm = std::find_if(run.spans.begin(), run.spans.end(), [&](const model::RawSpan& s) {
    return s.parent_span_id == draft->span_id;
  });
  ASSERT_NE(llm, run.spans.end());
  EXPECT_EQ(llm->name, "chat gpt-4o");
  EXPECT_EQ(llm->kind, model::SpanKind::kClient);
  EXPECT_EQ(llm->attributes["gen_ai.request.model"], "gpt-4o");
  EXPECT_EQ(llm->attributes["gen_ai.provider.name"], "openai");
  EXPECT_GT(llm->attributes["gen_ai.usage.input_tokens"].get<int64_t>(), 1000);
  EXPECT_GT(llm->attributes["gen_ai.usage.output_tokens"].get<int64_t>(), 100);
  // Messages are JSON strings in the GenAI message shape.
  model::Json input = model::Json::parse(llm->attributes["gen_ai.input.messages"].get<std::string>());
  EXPECT_EQ(input[0]["role"], "user");
  EXPECT_EQ(input[0]["parts"][0]["type"], "text");
  model::Json output = model::Json::parse(llm->attributes["gen_ai.output.messages"].get<std::string>());
  EXPECT_EQ(output[0]["finish_reason"], "stop");
  EXPECT_EQ(CountWhere(run, [](const model::RawSpan& s) { return Op(s) == "embeddings"; }), 1);
}

TEST(DemoRunBuilderTest, ToolAgentFailsOnceThenRetries) {
  DemoRun run = DemoRunBuilder(kNow, 1).ToolAgentWithRetry();
  EXPECT_THAT(run.spans, SizeIs(5));
  std::vector<const model::RawSpan*> tools;
  for (const model::RawSpan& s : run.spans) {
    if (Op(s) == "execute_tool") tools.push_back(&s);
  }
  ASSERT_THAT(tools, SizeIs(2));
  const model::RawSpan& failed = *tools[0];
  EXPECT_EQ(failed.status_code, model::StatusCode::kError);
  EXPECT_FALSE(failed.status_message.empty());
  ASSERT_THAT(failed.events, SizeIs(1));
  EXPECT_EQ(failed.events[0].name, "exception");
  EXPECT_TRUE(failed.events[0].attributes.contains("exception.type"));
  EXPECT_TRUE(failed.events[0].attributes.contains("exception.stacktrace"));
  const model::RawSpan& retried = *tools[1];
  EXPECT_EQ(retried.status_code, model::StatusCode::kOk);
  EXPECT_EQ(retried.attributes["gen_ai.tool.name"], failed.attributes["gen_ai.tool.name"]);
  EXPECT_EQ(retried.attributes["trackly.retry_count"], 1);
  EXPECT_GT(retried.start_time_ns, failed.end_time_ns);
  EXPECT_EQ(CountWhere(run, [](const model::RawSpan& s) { return Op(s) == "chat"; }), 2);
}

TEST(DemoRunBuilderTest, MultiAgentHasAPlannerAndThreeSubAgents) {
  DemoRun run = DemoRunBuilder(kNow, 1).MultiAgent();
  EXPECT_THAT(run.spans, SizeIs(60));
  auto planner = std::find_if(run.spans.begin(), run.spans.end(),
                              [](const model::RawSpan& s) { return s.name == "invoke_agent planner"; });
  ASSERT_NE(planner, run.spans.end());
  std::vector<std::string> sub_agents;
  for (const model::RawSpan& s : run.spans) {
    if (s.parent_span_id == planner->span_id && Op(s) == "invoke_agent") sub_agents.push_back(s.name);
  }
  EXPECT_EQ(sub_agents, (std::vector<std::string>{"invoke_agent researcher", "invoke_agent analyst",
                                                  "invoke_agent writer"}));
  EXPECT_GE(CountWhere(run, [](const model::RawSpan& s) { return Op(s) == "chat"; }), 20);
  EXPECT_GE(CountWhere(run, [](const model::RawSpan& s) { return Op(s) == "execute_tool"; }), 20);
  EXPECT_TRUE(std::any_of(run.spans.begin(), run.spans.end(), [](const model::RawSpan& s) {
    return s.attributes.value("gen_ai.request.model", "") == "claude-3-5-sonnet";
  }));
}

TEST(DemoRunBuilderTest, ChatSessionSharesSessionAndUserAcrossThreeTraces) {
  DemoRun run = DemoRunBuilder(kNow, 1).ChatSession();
  ASSERT_THAT(run.trace_ids, SizeIs(3));
  std::set<std::string> sessions;
  std::set<std::string> users;
  std::set<std::string> traces;
  for (const model::RawSpan& s : run.spans) {
    ASSERT_TRUE(s.attributes.contains("session.id")) << s.name;
    ASSERT_TRUE(s.attributes.contains("user.id")) << s.name;
    sessions.insert(s.attributes["session.id"].get<std::string>());
    users.insert(s.attributes["user.id"].get<std::string>());
    traces.insert(s.trace_id);
  }
  EXPECT_THAT(sessions, SizeIs(1));
  EXPECT_THAT(users, SizeIs(1));
  EXPECT_THAT(traces, SizeIs(3));
  // Turns follow each other: each trace starts after the previous one ended.
  std::vector<const model::RawSpan*> roots;
  for (const model::RawSpan& s : run.spans) {
    if (s.parent_span_id.empty()) roots.push_back(&s);
  }
  ASSERT_THAT(roots, SizeIs(3));
  EXPECT_GT(roots[1]->start_time_ns, roots[0]->end_time_ns);
  EXPECT_GT(roots[2]->start_time_ns, roots[1]->end_time_ns);
}

}  // namespace
}  // namespace trackly::cli
