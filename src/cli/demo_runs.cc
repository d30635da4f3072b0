#include "cli/demo_runs.h"

#include <algorithm>
#include <array>
#include <deque>
#include <memory>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status.h"
#include "model/json.h"

namespace trackly::cli {
namespace {

using model::Json;
using model::RawScope;
using model::RawSpan;
using model::SpanKind;
using model::StatusCode;

constexpr int64_t kNsPerMs = 1'000'000;

// Model names as providers report them in responses.
constexpr std::string_view kGpt4o = "gpt-4o";
constexpr std::string_view kGpt4oResponse = "gpt-4o-2024-08-06";
constexpr std::string_view kClaude = "claude-3-5-sonnet";
constexpr std::string_view kClaudeResponse = "claude-3-5-sonnet-20241022";
constexpr std::string_view kEmbeddingModel = "text-embedding-3-small";

std::shared_ptr<const RawScope> MakeScope(std::string_view service_name, std::string_view scope_name,
                                          std::string_view scope_version) {
  auto scope = std::make_shared<RawScope>();
  scope->resource_attributes = {
      {"service.name", service_name},
      {"service.version", "1.4.2"},
      {"deployment.environment.name", "production"},
      {"telemetry.sdk.name", "opentelemetry"},
      {"telemetry.sdk.language", "python"},
      {"telemetry.sdk.version", "1.27.0"},
  };
  scope->scope_name = scope_name;
  scope->scope_version = scope_version;
  return scope;
}

// GenAI message JSON (wire-formats.md §2.2).
Json TextMessage(std::string_view role, std::string_view text) {
  return {{"role", role}, {"parts", Json::array({{{"type", "text"}, {"content", text}}})}};
}
Json OutputText(std::string_view text, std::string_view finish_reason = "stop") {
  Json message = TextMessage("assistant", text);
  message["finish_reason"] = finish_reason;
  return message;
}
Json ToolCallMessage(std::string_view call_id, std::string_view tool, const Json& arguments) {
  return {{"role", "assistant"},
          {"parts", Json::array({{{"type", "tool_call"},
                                  {"id", call_id},
                                  {"name", tool},
                                  {"arguments", arguments}}})},
          {"finish_reason", "tool_call"}};
}
Json ToolResponseMessage(std::string_view call_id, const Json& response) {
  return {{"role", "tool"},
          {"parts", Json::array({{{"type", "tool_call_response"},
                                  {"id", call_id},
                                  {"response", response}}})}};
}
Json SystemInstructions(std::string_view text) {
  return Json::array({{{"type", "text"}, {"content", text}}});
}

struct ChatCall {
  std::string_view provider;        // gen_ai.provider.name
  std::string_view request_model;
  std::string_view response_model;
  Json system_instructions;         // null when none
  Json input_messages = Json::array();
  Json output_messages = Json::array();
  int64_t input_tokens = 0;         // includes cache_read_tokens
  int64_t output_tokens = 0;
  int64_t cache_read_tokens = 0;
  double temperature = 0.2;
  int64_t max_tokens = 1024;
};

// Not thread-safe. Collects the spans of one run with times relative to the run's start, then
// shifts them so the run ends at "now".
class RunRecorder {
 public:
  RunRecorder(std::mt19937_64& rng, std::shared_ptr<const RawScope> scope)
      : rng_(rng), scope_(std::move(scope)) {}

  std::string NewTrace() {
    std::string id = RandomHex(16);
    trace_ids_.push_back(id);
    return id;
  }

  // Adds a span; the reference stays valid until Finish (spans live in a deque).
  RawSpan& Add(const std::string& trace_id, const RawSpan* parent, std::string name, SpanKind kind,
               int64_t start_ns, int64_t duration_ns) {
    RawSpan& span = spans_.emplace_back();
    span.trace_id = trace_id;
    span.span_id = RandomHex(8);
    if (parent != nullptr) span.parent_span_id = parent->span_id;
    span.name = std::move(name);
    span.kind = kind;
    span.start_time_ns = start_ns;
    span.end_time_ns = start_ns + duration_ns;
    span.scope = scope_;
    return span;
  }

  // A random duration in [lo_ms, hi_ms], at microsecond precision like the model's times.
  int64_t DurationNs(int64_t lo_ms, int64_t hi_ms) {
    std::uniform_int_distribution<int64_t> us(lo_ms * 1000, hi_ms * 1000);
    return us(rng_) * 1000;
  }
  int64_t Tokens(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  std::string RandomHex(int bytes) {
    std::string hex;
    while (hex.empty() || hex.find_first_not_of('0') == std::string::npos) {
      hex.clear();
      for (int i = 0; i < bytes; ++i) absl::StrAppend(&hex, absl::Hex(rng_() & 0xff, absl::kZeroPad2));
    }
    return hex;
  }

  RawSpan& AddChat(const std::string& trace_id, const RawSpan* parent, int64_t start_ns,
                   int64_t duration_ns, const ChatCall& call) {
    RawSpan& span = Add(trace_id, parent, absl::StrCat("chat ", Sv(call.request_model)),
                        SpanKind::kClient, start_ns, duration_ns);
    const bool anthropic = call.provider == "anthropic";
    Json& a = span.attributes;
    a["gen_ai.operation.name"] = "chat";
    a["gen_ai.provider.name"] = call.provider;
    a["gen_ai.request.model"] = call.request_model;
    a["gen_ai.response.model"] = call.response_model;
    a["gen_ai.request.temperature"] = call.temperature;
    a["gen_ai.request.max_tokens"] = call.max_tokens;
    a["gen_ai.response.id"] = anthropic ? absl::StrCat("msg_01", RandomHex(11))
                                        : absl::StrCat("chatcmpl-", RandomHex(14));
    std::string finish = "stop";
    if (!call.output_messages.empty()) finish = call.output_messages.back().value("finish_reason", "stop");
    a["gen_ai.response.finish_reasons"] = Json::array({finish});
    a["gen_ai.usage.input_tokens"] = call.input_tokens;
    a["gen_ai.usage.output_tokens"] = call.output_tokens;
    if (call.cache_read_tokens > 0) a["gen_ai.usage.cache_read.input_tokens"] = call.cache_read_tokens;
    // Structured values are sent as JSON strings, as the Python instrumentations do on spans.
    if (!call.system_instructions.is_null()) {
      a["gen_ai.system_instructions"] = model::DumpJson(call.system_instructions);
    }
    a["gen_ai.input.messages"] = model::DumpJson(call.input_messages);
    a["gen_ai.output.messages"] = model::DumpJson(call.output_messages);
    a["server.address"] = anthropic ? "api.anthropic.com" : "api.openai.com";
    span.status_code = StatusCode::kUnset;
    return span;
  }

  RawSpan& AddTool(const std::string& trace_id, const RawSpan* parent, int64_t start_ns,
                   int64_t duration_ns, std::string_view tool, std::string_view call_id,
                   const Json& arguments, const Json& result) {
    RawSpan& span = Add(trace_id, parent, absl::StrCat("execute_tool ", Sv(tool)),
                        SpanKind::kInternal, start_ns, duration_ns);
    Json& a = span.attributes;
    a["gen_ai.operation.name"] = "execute_tool";
    a["gen_ai.tool.name"] = tool;
    a["gen_ai.tool.type"] = "function";
    a["gen_ai.tool.call.id"] = call_id;
    a["gen_ai.tool.call.arguments"] = model::DumpJson(arguments);
    if (!result.is_null()) a["gen_ai.tool.call.result"] = model::DumpJson(result);
    return span;
  }

  RawSpan& AddEmbedding(const std::string& trace_id, const RawSpan* parent, int64_t start_ns,
                        int64_t input_tokens) {
    RawSpan& span = Add(trace_id, parent, absl::StrCat("embeddings ", Sv(kEmbeddingModel)),
                        SpanKind::kClient, start_ns, DurationNs(60, 180));
    Json& a = span.attributes;
    a["gen_ai.operation.name"] = "embeddings";
    a["gen_ai.provider.name"] = "openai";
    a["gen_ai.request.model"] = kEmbeddingModel;
    a["gen_ai.response.model"] = kEmbeddingModel;
    a["gen_ai.embeddings.dimension.count"] = 1536;
    a["gen_ai.usage.input_tokens"] = input_tokens;
    a["server.address"] = "api.openai.com";
    return span;
  }

  RawSpan& AddAgent(const std::string& trace_id, const RawSpan* parent, int64_t start_ns,
                    std::string_view agent) {
    RawSpan& span = Add(trace_id, parent, absl::StrCat("invoke_agent ", Sv(agent)),
                        SpanKind::kInternal, start_ns, 0);
    span.attributes["gen_ai.operation.name"] = "invoke_agent";
    span.attributes["gen_ai.agent.name"] = agent;
    span.attributes["gen_ai.agent.id"] = absl::StrCat("asst_", RandomHex(8));
    return span;
  }

  DemoRun Finish(std::string name, int64_t now_ns) {
    int64_t last_end_ns = 0;
    for (const RawSpan& span : spans_) last_end_ns = std::max(last_end_ns, span.end_time_ns);
    // Keep the model's microsecond precision after the shift.
    const int64_t shift_ns = (now_ns / 1000 * 1000) - last_end_ns;
    DemoRun run{std::move(name), std::move(trace_ids_), {}};
    run.spans.reserve(spans_.size());
    for (RawSpan& span : spans_) {
      span.start_time_ns += shift_ns;
      span.end_time_ns += shift_ns;
      for (model::RawEvent& event : span.events) event.time_ns += shift_ns;
      run.spans.push_back(std::move(span));
    }
    spans_.clear();
    return run;
  }

 private:
  std::mt19937_64& rng_;
  std::shared_ptr<const RawScope> scope_;
  std::vector<std::string> trace_ids_;
  std::deque<RawSpan> spans_;
};

void End(RawSpan& span, int64_t end_ns) { span.end_time_ns = end_ns; }

void SetOk(RawSpan& span) { span.status_code = StatusCode::kOk; }

}  // namespace

DemoRunBuilder::DemoRunBuilder(int64_t now_ns, uint64_t seed) : now_ns_(now_ns), rng_(seed) {}

DemoRun DemoRunBuilder::ResearchAssistant() {
  RunRecorder rec(rng_, MakeScope("research-assistant", "openinference.instrumentation.llama_index",
                                  "3.1.0"));
  const std::string trace = rec.NewTrace();
  const std::string question = "How does retrieval-augmented generation reduce hallucinations?";
  const std::string rewritten =
      "retrieval-augmented generation hallucination reduction mechanisms grounding evidence";
  const std::string answer =
      "RAG reduces hallucinations by grounding the model's answer in retrieved passages: the "
      "model is asked to answer from the supplied context and to cite it, so claims that the "
      "sources do not support are less likely. It does not remove them entirely; retrieval "
      "quality and the instruction to abstain when context is missing matter as much as the model.";
  const std::string summary =
      "RAG grounds answers in retrieved sources and cites them; it lowers but does not eliminate "
      "hallucinations, and depends on retrieval quality.";

  int64_t t = 0;
  RawSpan& root = rec.Add(trace, nullptr, "research_assistant", SpanKind::kServer, t, 0);
  root.attributes = {
      {"openinference.span.kind", "CHAIN"},
      {"input.value", question},
      {"input.mime_type", "text/plain"},
      {"output.value", summary},
      {"output.mime_type", "text/plain"},
      {"tag.tags", Json::array({"demo", "research"})},
      {"metadata", model::DumpJson({{"pipeline", "rag-v2"}, {"index", "papers-2026-q3"}})},
  };
  SetOk(root);
  t += rec.DurationNs(5, 20);

  RawSpan& rewrite = rec.Add(trace, &root, "rewrite_question", SpanKind::kInternal, t,
                             rec.DurationNs(8, 30));
  rewrite.attributes = {{"openinference.span.kind", "CHAIN"},
                        {"input.value", question},
                        {"output.value", rewritten}};
  SetOk(rewrite);
  t = rewrite.end_time_ns + rec.DurationNs(1, 5);

  RawSpan& retrieve = rec.Add(trace, &root, "retrieve_context", SpanKind::kInternal, t, 0);
  const RawSpan& embed = rec.AddEmbedding(trace, &retrieve, t + rec.DurationNs(1, 3), 14);
  End(retrieve, embed.end_time_ns + rec.DurationNs(40, 120));
  const std::array<std::pair<std::string_view, std::string_view>, 2> documents = {{
      {"lewis2020rag",
       "Retrieval-augmented generation combines a parametric memory (a seq2seq model) with a "
       "non-parametric memory (a dense vector index of Wikipedia) accessed by a neural retriever."},
      {"shuster2021",
       "Retrieval augmentation substantially reduces hallucination in knowledge-grounded "
       "dialogue, as measured by human evaluations of factual consistency."},
  }};
  retrieve.attributes = {{"openinference.span.kind", "RETRIEVER"}, {"input.value", rewritten}};
  const std::array<double, 2> scores = {0.873, 0.841};
  for (size_t i = 0; i < documents.size(); ++i) {
    const std::string prefix = absl::StrCat("retrieval.documents.", i, ".document.");
    retrieve.attributes[prefix + "id"] = documents[i].first;
    retrieve.attributes[prefix + "score"] = scores[i];
    retrieve.attributes[prefix + "content"] = documents[i].second;
    retrieve.attributes[prefix + "metadata"] =
        model::DumpJson({{"source", "arxiv"}, {"chunk", static_cast<int>(i) * 3 + 2}});
  }
  SetOk(retrieve);
  t = retrieve.end_time_ns + rec.DurationNs(1, 5);

  RawSpan& draft = rec.Add(trace, &root, "draft_answer", SpanKind::kInternal, t, 0);
  draft.attributes = {{"openinference.span.kind", "CHAIN"}, {"input.value", question}};
  ChatCall draft_call{.provider = "openai", .request_model = kGpt4o, .response_model = kGpt4oResponse};
  draft_call.system_instructions = SystemInstructions(
      "You are a careful research assistant. Answer only from the context and cite sources "
      "as [id].");
  draft_call.input_messages = Json::array(
      {TextMessage("user", absl::StrCat("Context:\n[", Sv(documents[0].first), "] ",
                                        Sv(documents[0].second), "\n[", Sv(documents[1].first),
                                        "] ", Sv(documents[1].second), "\n\nQuestion: ", question))});
  draft_call.output_messages = Json::array({OutputText(answer)});
  draft_call.input_tokens = rec.Tokens(1150, 1350);
  draft_call.output_tokens = rec.Tokens(280, 360);
  draft_call.max_tokens = 800;
  const RawSpan& draft_llm =
      rec.AddChat(trace, &draft, t + rec.DurationNs(1, 4), rec.DurationNs(2200, 4200), draft_call);
  End(draft, draft_llm.end_time_ns + rec.DurationNs(2, 8));
  draft.attributes["output.value"] = answer;
  SetOk(draft);
  t = draft.end_time_ns + rec.DurationNs(1, 5);

  RawSpan& summarize = rec.Add(trace, &root, "summarize", SpanKind::kInternal, t, 0);
  summarize.attributes = {{"openinference.span.kind", "CHAIN"}, {"input.value", answer}};
  ChatCall summarize_call{.provider = "anthropic", .request_model = kClaude,
                          .response_model = kClaudeResponse};
  summarize_call.system_instructions = SystemInstructions("Summarize in at most two sentences.");
  summarize_call.input_messages = Json::array({TextMessage("user", answer)});
  summarize_call.output_messages = Json::array({OutputText(summary, "end_turn")});
  summarize_call.input_tokens = rec.Tokens(380, 460);
  summarize_call.output_tokens = rec.Tokens(40, 70);
  summarize_call.max_tokens = 200;
  const RawSpan& summarize_llm = rec.AddChat(trace, &summarize, t + rec.DurationNs(1, 4),
                                             rec.DurationNs(900, 1800), summarize_call);
  End(summarize, summarize_llm.end_time_ns + rec.DurationNs(1, 4));
  summarize.attributes["output.value"] = summary;
  SetOk(summarize);
  End(root, summarize.end_time_ns + rec.DurationNs(2, 10));
  return rec.Finish("research_assistant", now_ns_);
}

DemoRun DemoRunBuilder::ToolAgentWithRetry() {
  RunRecorder rec(rng_, MakeScope("travel-agent", "opentelemetry.instrumentation.openai_v2",
                                  "2.1b0"));
  const std::string trace = rec.NewTrace();
  const std::string question = "What's the weather in Lisbon tomorrow? Should I pack an umbrella?";
  const Json user = TextMessage("user", question);
  const Json system = SystemInstructions(
      "You are a travel assistant. Use the tools to look up facts; never guess the weather.");
  const std::string call_id = absl::StrCat("call_", rec.RandomHex(12));
  const Json arguments = {{"city", "Lisbon"}, {"date", "tomorrow"}, {"units", "metric"}};
  const Json forecast = {{"city", "Lisbon"},   {"condition", "light rain"}, {"high_c", 17},
                         {"low_c", 12},         {"precipitation_probability", 0.7}};
  const std::string answer =
      "Tomorrow in Lisbon: light rain, 12–17 °C, with a 70% chance of rain. Yes, pack an "
      "umbrella (or a light rain jacket).";

  int64_t t = 0;
  RawSpan& root = rec.AddAgent(trace, nullptr, t, "travel_agent");
  root.attributes["gen_ai.input.messages"] = model::DumpJson(Json::array({user}));
  root.attributes["gen_ai.output.messages"] = model::DumpJson(Json::array({OutputText(answer)}));
  t += rec.DurationNs(2, 10);

  ChatCall decide{.provider = "openai", .request_model = kGpt4o, .response_model = kGpt4oResponse};
  decide.system_instructions = system;
  decide.input_messages = Json::array({user});
  decide.output_messages = Json::array({ToolCallMessage(call_id, "get_weather", arguments)});
  decide.input_tokens = rec.Tokens(310, 360);
  decide.output_tokens = rec.Tokens(18, 26);
  const RawSpan& decide_span = rec.AddChat(trace, &root, t, rec.DurationNs(700, 1300), decide);
  t = decide_span.end_time_ns + rec.DurationNs(1, 5);

  // The first attempt times out; the agent framework retries the same call once.
  RawSpan& failed = rec.AddTool(trace, &root, t, 5000 * kNsPerMs, "get_weather", call_id,
                                arguments, nullptr);
  failed.status_code = StatusCode::kError;
  failed.status_message = "ReadTimeout: weather API did not answer within 5.0s";
  failed.attributes["error.type"] = "httpx.ReadTimeout";
  failed.events.push_back(
      {"exception", failed.end_time_ns,
       {{"exception.type", "httpx.ReadTimeout"},
        {"exception.message", "The read operation timed out"},
        {"exception.stacktrace",
         "Traceback (most recent call last):\n"
         "  File \"/app/tools/weather.py\", line 42, in get_weather\n"
         "    response = client.get(url, params=params, timeout=5.0)\n"
         "  File \"/usr/lib/python3/site-packages/httpx/_client.py\", line 1066, in get\n"
         "    return self.request(\"GET\", url, params=params, timeout=timeout)\n"
         "httpx.ReadTimeout: The read operation timed out"},
        {"exception.escaped", true}}});
  t = failed.end_time_ns + rec.DurationNs(200, 400);  // backoff

  RawSpan& retried = rec.AddTool(trace, &root, t, rec.DurationNs(180, 420), "get_weather", call_id,
                                 arguments, forecast);
  retried.attributes["trackly.retry_count"] = 1;
  SetOk(retried);
  t = retried.end_time_ns + rec.DurationNs(1, 5);

  ChatCall respond{.provider = "openai", .request_model = kGpt4o, .response_model = kGpt4oResponse};
  respond.system_instructions = system;
  respond.input_messages = Json::array({user, ToolCallMessage(call_id, "get_weather", arguments),
                                        ToolResponseMessage(call_id, forecast)});
  respond.output_messages = Json::array({OutputText(answer)});
  respond.input_tokens = rec.Tokens(400, 460);
  respond.output_tokens = rec.Tokens(38, 52);
  const RawSpan& respond_span = rec.AddChat(trace, &root, t, rec.DurationNs(900, 1600), respond);
  End(root, respond_span.end_time_ns + rec.DurationNs(2, 8));
  root.attributes["gen_ai.usage.input_tokens"] = decide.input_tokens + respond.input_tokens;
  root.attributes["gen_ai.usage.output_tokens"] = decide.output_tokens + respond.output_tokens;
  return rec.Finish("tool_agent", now_ns_);
}

DemoRun DemoRunBuilder::MultiAgent() {
  RunRecorder rec(rng_, MakeScope("market-research-team",
                                  "opentelemetry.instrumentation.openai_agents", "0.3.0"));
  const std::string trace = rec.NewTrace();
  const std::string goal =
      "Write a two-page market brief on solid-state EV batteries for 2026–2028: players, "
      "capacity, costs and risks.";

  struct SubAgent {
    std::string_view name;
    std::string_view task;
    std::string_view provider;
    std::string_view request_model;
    std::string_view response_model;
    std::array<std::string_view, 2> tools;
    std::string_view data_source;
  };
  const std::array<SubAgent, 3> agents = {{
      {"researcher", "Collect recent announcements, pilot lines and capacity figures.", "openai",
       kGpt4o, kGpt4oResponse, {"web_search", "fetch_page"}, "news-index"},
      {"analyst", "Estimate cost per kWh and capacity through 2028 from the research notes.",
       "openai", kGpt4o, kGpt4oResponse, {"run_python", "query_database"}, "filings-index"},
      {"writer", "Draft the brief from the notes and the analysis, with citations.", "anthropic",
       kClaude, kClaudeResponse, {"draft_section", "check_citations"}, "style-guide"},
  }};
  constexpr int kToolRounds = 7;

  int64_t t = 0;
  RawSpan& root = rec.Add(trace, nullptr, "invoke_workflow market_brief", SpanKind::kServer, t, 0);
  root.attributes = {{"gen_ai.operation.name", "invoke_workflow"},
                     {"gen_ai.workflow.name", "market_brief"},
                     {"gen_ai.input.messages", model::DumpJson(Json::array({TextMessage("user", goal)}))}};
  t += rec.DurationNs(3, 12);

  RawSpan& planner = rec.AddAgent(trace, &root, t, "planner");
  t += rec.DurationNs(1, 4);
  ChatCall plan{.provider = "anthropic", .request_model = kClaude, .response_model = kClaudeResponse};
  plan.system_instructions = SystemInstructions(
      "You are the planner of a research team. Split the goal into tasks for: researcher, "
      "analyst, writer. Reply with JSON.");
  plan.input_messages = Json::array({TextMessage("user", goal)});
  Json plan_json = Json::array();
  for (const SubAgent& a : agents) plan_json.push_back({{"agent", a.name}, {"task", a.task}});
  plan.output_messages = Json::array({OutputText(model::DumpJson(plan_json), "end_turn")});
  plan.input_tokens = rec.Tokens(600, 720);
  plan.output_tokens = rec.Tokens(150, 220);
  t = rec.AddChat(trace, &planner, t, rec.DurationNs(1800, 3200), plan).end_time_ns;

  for (const SubAgent& a : agents) {
    t += rec.DurationNs(2, 10);
    RawSpan& agent = rec.AddAgent(trace, &planner, t, a.name);
    agent.attributes["gen_ai.input.messages"] =
        model::DumpJson(Json::array({TextMessage("user", a.task)}));
    t += rec.DurationNs(1, 4);

    const std::string query = absl::StrCat(Sv(a.task), " solid-state batteries");
    RawSpan& retrieval = rec.Add(trace, &agent, absl::StrCat("retrieval ", Sv(a.data_source)),
                                 SpanKind::kClient, t, 0);
    const RawSpan& embed = rec.AddEmbedding(trace, &retrieval, t + rec.DurationNs(1, 3),
                                            rec.Tokens(15, 30));
    End(retrieval, embed.end_time_ns + rec.DurationNs(30, 90));
    retrieval.attributes = {{"gen_ai.operation.name", "retrieval"},
                            {"gen_ai.data_source.id", a.data_source},
                            {"gen_ai.retrieval.query.text", query},
                            {"gen_ai.retrieval.documents",
                             model::DumpJson(Json::array({{{"id", "doc-118"}, {"score", 0.82}},
                                                          {{"id", "doc-342"}, {"score", 0.79}},
                                                          {{"id", "doc-077"}, {"score", 0.74}}}))}};
    t = retrieval.end_time_ns;

    Json history = Json::array({TextMessage("user", a.task)});
    int64_t context_tokens = rec.Tokens(900, 1300);
    for (int round = 0; round < kToolRounds; ++round) {
      const std::string_view tool = a.tools[round % 2];
      const std::string call_id = absl::StrCat("call_", rec.RandomHex(12));
      const Json arguments = {{"input", absl::StrCat(Sv(tool), " step ", round + 1, " for ",
                                                     Sv(a.name))}};
      ChatCall step{.provider = a.provider, .request_model = a.request_model,
                    .response_model = a.response_model};
      step.input_messages = history;
      step.output_messages = Json::array({ToolCallMessage(call_id, tool, arguments)});
      step.input_tokens = context_tokens;
      step.output_tokens = rec.Tokens(25, 90);
      // Anthropic prompt caching: the stable prefix of the growing conversation is read from cache.
      if (a.provider == "anthropic" && round > 0) step.cache_read_tokens = context_tokens * 3 / 4;
      t += rec.DurationNs(1, 4);
      t = rec.AddChat(trace, &agent, t, rec.DurationNs(600, 2400), step).end_time_ns;

      const Json result = {{"ok", true},
                           {"summary", absl::StrCat("result of ", Sv(tool), " #", round + 1)}};
      RawSpan& tool_span = rec.AddTool(trace, &agent, t + rec.DurationNs(1, 3),
                                       rec.DurationNs(80, 1500), tool, call_id, arguments, result);
      SetOk(tool_span);
      t = tool_span.end_time_ns;
      history.push_back(ToolCallMessage(call_id, tool, arguments));
      history.push_back(ToolResponseMessage(call_id, result));
      context_tokens += rec.Tokens(250, 700);
    }

    ChatCall report{.provider = a.provider, .request_model = a.request_model,
                    .response_model = a.response_model};
    report.input_messages = history;
    const std::string findings = absl::StrCat(Sv(a.name), " findings: ", Sv(a.task));
    report.output_messages = Json::array({OutputText(findings)});
    report.input_tokens = context_tokens;
    report.output_tokens = rec.Tokens(350, 700);
    t = rec.AddChat(trace, &agent, t + rec.DurationNs(1, 4), rec.DurationNs(2500, 6000), report)
            .end_time_ns;
    agent.attributes["gen_ai.output.messages"] = model::DumpJson(report.output_messages);
    End(agent, t + rec.DurationNs(1, 5));
    SetOk(agent);
    t = agent.end_time_ns;
  }

  const std::string brief =
      "Solid-state EV batteries: pilot lines at scale by 2027, costs above $150/kWh until volume "
      "production; main risks are dendrite durability and sulfide electrolyte supply.";
  ChatCall synthesize{.provider = "anthropic", .request_model = kClaude,
                      .response_model = kClaudeResponse};
  synthesize.input_messages = Json::array({TextMessage("user", goal)});
  synthesize.output_messages = Json::array({OutputText(brief, "end_turn")});
  synthesize.input_tokens = rec.Tokens(4200, 5600);
  synthesize.output_tokens = rec.Tokens(900, 1300);
  synthesize.cache_read_tokens = 2048;
  synthesize.max_tokens = 2000;
  t = rec.AddChat(trace, &planner, t + rec.DurationNs(2, 8), rec.DurationNs(6000, 11000),
                  synthesize).end_time_ns;

  ChatCall review{.provider = "openai", .request_model = kGpt4o, .response_model = kGpt4oResponse};
  review.system_instructions = SystemInstructions("Check the brief against the notes. Reply OK or list issues.");
  review.input_messages = Json::array({TextMessage("user", brief)});
  review.output_messages = Json::array({OutputText("OK")});
  review.input_tokens = rec.Tokens(1500, 1900);
  review.output_tokens = rec.Tokens(2, 6);
  review.temperature = 0;
  t = rec.AddChat(trace, &planner, t + rec.DurationNs(1, 4), rec.DurationNs(500, 900), review)
          .end_time_ns;
  End(planner, t + rec.DurationNs(1, 4));
  planner.attributes["gen_ai.output.messages"] =
      model::DumpJson(Json::array({OutputText(brief)}));
  SetOk(planner);

  RawSpan& guard = rec.Add(trace, &root, "pii_guardrail", SpanKind::kInternal,
                           planner.end_time_ns + rec.DurationNs(1, 3), rec.DurationNs(20, 60));
  guard.attributes = {{"openinference.span.kind", "GUARDRAIL"},
                      {"input.value", brief},
                      {"output.value", model::DumpJson({{"passed", true}, {"findings", Json::array()}})}};
  SetOk(guard);
  End(root, guard.end_time_ns + rec.DurationNs(2, 8));
  root.attributes["gen_ai.output.messages"] = model::DumpJson(Json::array({OutputText(brief)}));
  SetOk(root);
  return rec.Finish("multi_agent", now_ns_);
}

DemoRun DemoRunBuilder::ChatSession() {
  RunRecorder rec(rng_, MakeScope("support-chat", "opentelemetry.instrumentation.openai_v2",
                                  "2.1b0"));
  const std::string session_id = absl::StrCat("sess_", rec.RandomHex(6));
  const std::string user_id = absl::StrCat("user_", std::uniform_int_distribution<int>(1000, 9999)(rng_));
  const Json system = SystemInstructions(
      "You are Acme's support assistant. Be brief. Use tools for order data; never invent it.");
  constexpr int64_t kTurnGapMs = 45'000;  // the user reads and types between turns

  struct Turn {
    std::string_view user;
    std::string_view answer;
    std::string_view tool;  // empty: the turn retrieves help articles instead
    Json arguments;
    Json result;
  };
  const std::array<Turn, 3> turns = {{
      {"Hi, my order #48213 hasn't arrived yet. Can you check where it is?",
       "Order #48213 was marked delivered on Monday at 14:02 to your front door.", "lookup_order",
       {{"order_id", "48213"}},
       {{"status", "delivered"}, {"delivered_at", "Monday 14:02"}, {"carrier", "DHL"}}},
      {"It says delivered but I never got it. What can I do?",
       "Sorry about that! If a delivered parcel is missing for 48 hours, we can open a claim and "
       "send a replacement. Shall I open one?",
       "", nullptr, nullptr},
      {"Yes please, open a claim.",
       "Done: claim C-99127 is open and a replacement ships within 2 business days.",
       "create_claim", {{"order_id", "48213"}, {"reason", "not_received"}},
       {{"claim_id", "C-99127"}, {"replacement_eta_days", 2}}},
  }};

  Json history = Json::array();
  int64_t t = 0;
  for (const Turn& turn : turns) {
    const std::string trace = rec.NewTrace();
    const Json user = TextMessage("user", turn.user);
    history.push_back(user);
    RawSpan& root = rec.AddAgent(trace, nullptr, t, "support_bot");
    root.attributes["gen_ai.input.messages"] = model::DumpJson(Json::array({user}));
    root.attributes["gen_ai.output.messages"] =
        model::DumpJson(Json::array({OutputText(turn.answer)}));
    std::vector<RawSpan*> turn_spans = {&root};
    int64_t u = t + rec.DurationNs(2, 8);

    if (turn.tool.empty()) {
      RawSpan& retrieval = rec.Add(trace, &root, "retrieval help_center", SpanKind::kClient, u, 0);
      RawSpan& embed = rec.AddEmbedding(trace, &retrieval, u + rec.DurationNs(1, 3),
                                        rec.Tokens(12, 20));
      End(retrieval, embed.end_time_ns + rec.DurationNs(20, 60));
      retrieval.attributes = {{"gen_ai.operation.name", "retrieval"},
                              {"gen_ai.data_source.id", "help_center"},
                              {"gen_ai.retrieval.query.text", turn.user},
                              {"gen_ai.retrieval.documents",
                               model::DumpJson(Json::array({{{"id", "kb-missing-parcel"}, {"score", 0.91}},
                                                            {{"id", "kb-claims"}, {"score", 0.87}}}))}};
      turn_spans.push_back(&retrieval);
      turn_spans.push_back(&embed);
      u = retrieval.end_time_ns;
    } else {
      const std::string call_id = absl::StrCat("call_", rec.RandomHex(12));
      ChatCall decide{.provider = "openai", .request_model = kGpt4o, .response_model = kGpt4oResponse};
      decide.system_instructions = system;
      decide.input_messages = history;
      decide.output_messages = Json::array({ToolCallMessage(call_id, turn.tool, turn.arguments)});
      decide.input_tokens = rec.Tokens(280, 420) + static_cast<int64_t>(history.size()) * 60;
      decide.output_tokens = rec.Tokens(15, 30);
      RawSpan& decide_span = rec.AddChat(trace, &root, u, rec.DurationNs(500, 1100), decide);
      RawSpan& tool = rec.AddTool(trace, &root, decide_span.end_time_ns + rec.DurationNs(1, 3),
                                  rec.DurationNs(40, 250), turn.tool, call_id, turn.arguments,
                                  turn.result);
      SetOk(tool);
      turn_spans.push_back(&decide_span);
      turn_spans.push_back(&tool);
      history.push_back(ToolCallMessage(call_id, turn.tool, turn.arguments));
      history.push_back(ToolResponseMessage(call_id, turn.result));
      u = tool.end_time_ns;
    }

    ChatCall respond{.provider = "openai", .request_model = kGpt4o, .response_model = kGpt4oResponse};
    respond.system_instructions = system;
    respond.input_messages = history;
    respond.output_messages = Json::array({OutputText(turn.answer)});
    respond.input_tokens = rec.Tokens(300, 420) + static_cast<int64_t>(history.size()) * 60;
    respond.output_tokens = rec.Tokens(30, 70);
    RawSpan& respond_span = rec.AddChat(trace, &root, u + rec.DurationNs(1, 4),
                                        rec.DurationNs(800, 1800), respond);
    turn_spans.push_back(&respond_span);
    End(root, respond_span.end_time_ns + rec.DurationNs(2, 6));
    SetOk(root);
    history.push_back(OutputText(turn.answer));

    // Session and user are context the SDK propagates to every span of the turn.
    for (RawSpan* span : turn_spans) {
      span->attributes["session.id"] = session_id;
      span->attributes["gen_ai.conversation.id"] = session_id;
      span->attributes["user.id"] = user_id;
    }
    t = root.end_time_ns + kTurnGapMs * kNsPerMs;
  }
  return rec.Finish("chat_session", now_ns_);
}

std::vector<DemoRun> DemoRunBuilder::All() {
  std::vector<DemoRun> runs;
  runs.push_back(ResearchAssistant());
  runs.push_back(ToolAgentWithRetry());
  runs.push_back(MultiAgent());
  runs.push_back(ChatSession());
  return runs;
}

}  // namespace trackly::cli
