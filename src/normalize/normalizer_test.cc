#include "normalize/normalizer.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/codec.h"

namespace trackly::normalize {
namespace {

using model::Json;
using model::RawEvent;
using model::RawSpan;
using model::StatusCode;

constexpr int64_t kStartNs = 1'795'314'529'000'000'000;

struct SpanSpec {
  std::string name = "span";
  std::string parent = "bb4dcac190fdfb43";
  std::string scope;
  Json resource = Json::object();
  Json attributes = Json::object();
  std::vector<RawEvent> events;
  StatusCode status = StatusCode::kUnset;
  std::string status_message;
};

RawSpan MakeSpan(const SpanSpec& spec) {
  RawSpan span;
  span.trace_id = "0af7651916cd43dd8448eb211c80319c";
  span.span_id = "b7ad6b7169203331";
  span.parent_span_id = spec.parent;
  span.name = spec.name;
  span.start_time_ns = kStartNs;
  span.end_time_ns = kStartNs + 250'000'000;
  span.status_code = spec.status;
  span.status_message = spec.status_message;
  span.attributes = spec.attributes;
  span.events = spec.events;
  auto scope = std::make_shared<model::RawScope>();
  scope->scope_name = spec.scope;
  scope->resource_attributes = spec.resource;
  span.scope = std::move(scope);
  return span;
}

RawEvent Event(std::string name, Json attributes) {
  return RawEvent{.name = std::move(name), .time_ns = kStartNs + 1000, .attributes = std::move(attributes)};
}

struct Case {
  std::string name;
  SpanSpec span;
  // Fields of model::ToJson(observation) that must equal these values (others are not checked).
  Json expected;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class NormalizerTest : public testing::TestWithParam<Case> {};

TEST_P(NormalizerTest, MapsConventionOntoCanonicalFields) {
  const Case& c = GetParam();
  Json got = model::ToJson(Normalizer().Normalize(MakeSpan(c.span)));
  ASSERT_TRUE(c.expected.is_object());
  for (const auto& [key, want] : c.expected.items()) {
    ASSERT_TRUE(got.contains(key)) << key;
    EXPECT_EQ(got[key], want) << "field " << key << "\n got: " << got[key].dump(2);
  }
}

Json J(const char* text) { return Json::parse(text); }

std::vector<Case> GenAiCases() {
  return {
      {"GenAiCurrentChat",
       {.name = "chat gpt-4o-mini",
        .attributes = J(R"({
          "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.system": "openai",
          "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
          "gen_ai.request.temperature": 0.2, "gen_ai.request.max_tokens": 256,
          "gen_ai.response.finish_reasons": ["stop"], "server.address": "127.0.0.1",
          "gen_ai.usage.input_tokens": 67, "gen_ai.usage.output_tokens": 39,
          "gen_ai.usage.cache_read.input_tokens": 16, "gen_ai.usage.reasoning.output_tokens": 7,
          "gen_ai.system_instructions": "[{\"type\":\"text\",\"content\":\"Be precise.\"}]",
          "gen_ai.input.messages": "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Hi\"},{\"type\":\"text\",\"content\":\"there\"}]}]",
          "gen_ai.output.messages": "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"Hello\"}],\"finish_reason\":\"stop\"}]"
        })")},
       J(R"({
          "type": "generation", "name": "chat gpt-4o-mini", "model": "gpt-4o-mini-2024-07-18", "provider": "openai",
          "model_parameters": {"temperature": 0.2, "max_tokens": 256},
          "usage": {"input_tokens": 67, "output_tokens": 39, "total_tokens": 106, "cache_read_tokens": 16,
                    "cache_write_tokens": 0, "reasoning_tokens": 7},
          "cost": {"input": 0.0, "output": 0.0, "total": 0.0, "currency": "USD", "source": null},
          "input": [{"role": "system", "content": "Be precise."}, {"role": "user", "content": "Hi\nthere"}],
          "output": [{"role": "assistant", "content": "Hello", "finish_reason": "stop"}],
          "attributes": {"gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.finish_reasons": ["stop"],
                         "server.address": "127.0.0.1"}
        })")},
      {"GenAiDeprecatedNames",
       {.attributes = J(R"({"gen_ai.system": "anthropic", "gen_ai.request.model": "claude-3-5-haiku",
                           "gen_ai.usage.prompt_tokens": 10, "gen_ai.usage.completion_tokens": "5"})")},
       J(R"({"type": "generation", "model": "claude-3-5-haiku", "provider": "anthropic",
             "usage": {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15, "cache_read_tokens": 0,
                       "cache_write_tokens": 0, "reasoning_tokens": 0},
             "attributes": {}})")},
      {"GenAiToolCallPartsBecomeToolCalls",
       {.attributes = J(R"({"gen_ai.operation.name": "chat", "gen_ai.output.messages": [
          {"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1", "name": "get_weather",
                                            "arguments": {"city": "Paris"}}], "finish_reason": "tool_call"}],
          "gen_ai.input.messages": [{"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1",
                                                                  "response": "18C"}]}]})")},
       J(R"({"input": [{"role": "tool", "content": "18C", "tool_call_id": "call_1"}],
             "output": [{"role": "assistant", "content": null, "finish_reason": "tool_call",
                         "tool_calls": [{"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}]}]})")},
      {"GenAiEventsCurrentGeneration",
       {.attributes = J(R"({"gen_ai.operation.name": "chat"})"),
        .events = {Event("gen_ai.client.inference.operation.details",
                         J(R"({"gen_ai.system_instructions": [{"type": "text", "content": "sys"}],
                               "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "q"}]}],
                               "gen_ai.output.messages": "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"a\"}]}]"})"))}},
       J(R"({"type": "generation",
             "input": [{"role": "system", "content": "sys"}, {"role": "user", "content": "q"}],
             "output": [{"role": "assistant", "content": "a"}]})")},
      {"GenAiEventsPerMessageGeneration",
       {.attributes = J(R"({"gen_ai.operation.name": "chat"})"),
        .events = {Event("gen_ai.system.message", J(R"({"content": "sys", "gen_ai.system": "openai"})")),
                   Event("gen_ai.user.message", J(R"({"content": "weather?"})")),
                   Event("gen_ai.assistant.message",
                         J(R"({"tool_calls": "[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"w\",\"arguments\":\"{\\\"x\\\":1}\"}}]"})")),
                   Event("gen_ai.tool.message", J(R"({"content": "18C", "id": "c1"})")),
                   Event("gen_ai.choice", J(R"({"index": 0, "finish_reason": "stop",
                                                  "message": "{\"content\":\"It is 18C\"}"})"))}},
       J(R"({"input": [{"role": "system", "content": "sys"}, {"role": "user", "content": "weather?"},
                       {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "name": "w", "arguments": {"x": 1}}]},
                       {"role": "tool", "content": "18C", "tool_call_id": "c1"}],
             "output": [{"role": "assistant", "content": "It is 18C", "finish_reason": "stop"}]})")},
      {"GenAiEventsOldestContentEvents",
       {.attributes = J(R"({"gen_ai.request.model": "gpt-4"})"),
        .events = {Event("gen_ai.content.prompt", J(R"({"gen_ai.prompt": "[{\"role\":\"user\",\"content\":\"hi\"}]"})")),
                   Event("gen_ai.content.completion",
                         J(R"({"gen_ai.completion": "[{\"role\":\"assistant\",\"content\":\"hello\"}]"})"))}},
       J(R"({"type": "generation", "input": [{"role": "user", "content": "hi"}],
             "output": [{"role": "assistant", "content": "hello"}]})")},
      {"GenAiFailedToolSpanTakesExceptionEvent",
       {.name = "execute_tool get_weather",
        .attributes = J(R"({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather",
                           "gen_ai.tool.type": "function", "gen_ai.tool.call.id": "call_weather_001",
                           "gen_ai.tool.call.arguments": "{\"latitude\":48.8566}"})"),
        .events = {Event("exception", J(R"({"exception.type": "WeatherTimeoutError",
                                             "exception.message": "timed out after 5000ms"})"))},
        .status = StatusCode::kError},
       J(R"({"type": "tool", "name": "get_weather", "status": "error", "level": "ERROR",
             "status_message": "timed out after 5000ms", "error_type": "WeatherTimeoutError",
             "tool": {"name": "get_weather", "call_id": "call_weather_001"}, "input": {"latitude": 48.8566},
             "attributes": {"gen_ai.tool.type": "function"}})")},
      {"StatusMessageAndErrorTypeAttributeWinOverException",
       {.attributes = J(R"({"error.type": "timeout"})"),
        .events = {Event("exception", J(R"({"exception.type": "TimeoutError", "exception.message": "late"})"))},
        .status = StatusCode::kError,
        .status_message = "upstream timed out"},
       J(R"({"status": "error", "status_message": "upstream timed out", "error_type": "timeout"})")},
      {"HandledExceptionDoesNotFailSpan",
       {.events = {Event("exception", J(R"({"exception.type": "KeyError"})"))}, .status = StatusCode::kOk},
       J(R"({"status": "ok", "level": "DEFAULT", "error_type": null, "status_message": null})")},
      {"AgentUsageIsNotCountedTwice",
       {.attributes = J(R"({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "a",
                           "gen_ai.usage.input_tokens": 100, "gen_ai.conversation.id": "conv-1"})")},
       J(R"({"type": "agent",
             "usage": {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0, "cache_read_tokens": 0,
                       "cache_write_tokens": 0, "reasoning_tokens": 0},
             "trace_hints": {"session_id": "conv-1"},
             "attributes": {"gen_ai.agent.name": "a", "gen_ai.usage.input_tokens": 100}})")},
  };
}

std::vector<Case> OpenInferenceCases() {
  return {
      {"OpenInferenceLlmRequestAndResponseBodies",
       {.name = "OpenAI Chat Completions",
        .attributes = J(R"({
          "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini", "llm.system": "openai",
          "session.id": "sess-oi-1", "user.id": "user-carol", "metadata": "{\"channel\":\"web\"}",
          "tag.tags": ["a", "b"],
          "llm.invocation_parameters": "{\"temperature\":0}",
          "input.mime_type": "application/json",
          "input.value": "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Paris?\"}],\"temperature\":0}",
          "llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.content": "Paris?",
          "output.mime_type": "application/json",
          "output.value": "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"lat\\\":48.8}\"}}]},\"finish_reason\":\"tool_calls\"}]}",
          "llm.output_messages.0.message.role": "assistant",
          "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
          "llm.token_count.prompt": 110, "llm.token_count.completion": 13, "llm.token_count.total": 123,
          "llm.token_count.prompt_details.cache_read": 27, "llm.token_count.completion_details.reasoning": 2,
          "llm.token_count.prompt_details.audio": 0,
          "llm.tools.0.tool.json_schema": "{}"
        })")},
       J(R"({"type": "generation", "model": "gpt-4o-mini", "provider": "openai",
             "model_parameters": {"temperature": 0},
             "input": [{"role": "user", "content": "Paris?"}],
             "output": [{"role": "assistant", "content": null, "finish_reason": "tool_calls",
                         "tool_calls": [{"id": "call_1", "name": "get_weather", "arguments": {"lat": 48.8}}]}],
             "usage": {"input_tokens": 110, "output_tokens": 13, "total_tokens": 123, "cache_read_tokens": 27,
                       "cache_write_tokens": 0, "reasoning_tokens": 2},
             "metadata": {"channel": "web"},
             "trace_hints": {"session_id": "sess-oi-1", "user_id": "user-carol", "tags": ["a", "b"]},
             "attributes": {"llm.token_count.prompt_details.audio": 0, "llm.tools.0.tool.json_schema": "{}"}})")},
      {"OpenInferenceFlattenedMessagesRebuilt",
       {.attributes = J(R"({
          "openinference.span.kind": "LLM",
          "llm.input_messages.0.message.role": "system", "llm.input_messages.0.message.content": "sys",
          "llm.input_messages.1.message.role": "user",
          "llm.input_messages.1.message.contents.0.message_content.type": "text",
          "llm.input_messages.1.message.contents.0.message_content.text": "look",
          "llm.input_messages.1.message.contents.1.message_content.type": "image",
          "llm.input_messages.1.message.contents.1.message_content.image.image.url": "https://x/y.png",
          "llm.input_messages.10.message.role": "tool", "llm.input_messages.10.message.content": "18C",
          "llm.input_messages.10.message.tool_call_id": "call_1",
          "llm.input_messages.2.message.role": "assistant",
          "llm.input_messages.2.message.tool_calls.0.tool_call.id": "call_1",
          "llm.input_messages.2.message.tool_calls.0.tool_call.function.name": "get_weather",
          "llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments": "{\"lat\":1}",
          "llm.output_messages.0.message.content": "done"
        })")},
       J(R"({"input": [
               {"role": "system", "content": "sys"},
               {"role": "user", "content": [{"type": "text", "text": "look"},
                                            {"type": "image", "image": {"image": {"url": "https://x/y.png"}}}]},
               {"role": "assistant", "content": null,
                "tool_calls": [{"id": "call_1", "name": "get_weather", "arguments": {"lat": 1}}]},
               {"role": "tool", "content": "18C", "tool_call_id": "call_1"}],
             "output": [{"role": "assistant", "content": "done"}],
             "attributes": {}})")},
      {"OpenInferenceToolTakesSpanName",
       {.name = "get_weather",
        .attributes = J(R"({"openinference.span.kind": "TOOL", "input.value": "{\"lat\":48.8}",
                           "input.mime_type": "application/json", "output.value": "sunny", "output.mime_type": "text/plain"})")},
       J(R"({"type": "tool", "tool": {"name": "get_weather", "call_id": null}, "input": {"lat": 48.8},
             "output": "sunny", "attributes": {}})")},
      {"OpenInferenceRetrieverDocuments",
       {.attributes = J(R"({"openinference.span.kind": "RETRIEVER", "input.value": "token usage",
                           "retrieval.documents.0.document.id": "doc-1", "retrieval.documents.0.document.score": 0.92,
                           "retrieval.documents.0.document.content": "first",
                           "retrieval.documents.0.document.metadata": "{\"source\":\"kb\"}",
                           "retrieval.documents.1.document.id": 7, "retrieval.documents.1.document.content": "second"})")},
       J(R"({"type": "retriever", "input": "token usage",
             "output": [{"id": "doc-1", "score": 0.92, "content": "first", "metadata": {"source": "kb"}},
                        {"id": "7", "score": null, "content": "second", "metadata": {}}],
             "attributes": {}})")},
      {"OpenInferenceEmbeddingKeepsVectors",
       {.attributes = J(R"({"openinference.span.kind": "EMBEDDING", "embedding.model_name": "text-embedding-3-small",
                           "input.value": "[\"tracing\",\"spans\"]", "input.mime_type": "application/json",
                           "embedding.embeddings.0.embedding.vector": [0.1, 0.2]})")},
       J(R"({"type": "embedding", "model": "text-embedding-3-small", "input": ["tracing", "spans"],
             "attributes": {"embedding.embeddings.0.embedding.vector": [0.1, 0.2]}})")},
      {"OpenInferenceRerankerAndCost",
       {.attributes = J(R"({"openinference.span.kind": "RERANKER", "reranker.query": "q",
                           "reranker.model_name": "rerank-v3", "llm.cost.total": 0.002,
                           "reranker.output_documents.0.document.id": "d1",
                           "reranker.output_documents.0.document.score": 0.5})")},
       J(R"({"type": "reranker", "model": "rerank-v3",
             "cost": {"input": 0.0, "output": 0.0, "total": 0.002, "currency": "USD", "source": "provided"},
             "input": {"query": "q", "documents": []},
             "output": [{"id": "d1", "score": 0.5, "content": null, "metadata": {}}],
             "attributes": {}})")},
  };
}

std::vector<Case> OpenLlmetryCases() {
  return {
      {"OpenLlmetryLegacyFlattenedPrompt",
       {.name = "openai.chat",
        .attributes = J(R"({
          "llm.request.type": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
          "gen_ai.response.model": "gpt-4o-2024-08-06",
          "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "sys",
          "gen_ai.prompt.1.role": "user",
          "gen_ai.prompt.1.content": "[{\"type\":\"text\",\"text\":\"see\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"u\"}}]",
          "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.finish_reason": "tool_calls",
          "gen_ai.completion.0.tool_calls.0.id": "c1", "gen_ai.completion.0.tool_calls.0.name": "w",
          "gen_ai.completion.0.tool_calls.0.arguments": "{\"a\":1}",
          "gen_ai.usage.prompt_tokens": 20, "gen_ai.usage.completion_tokens": 4, "llm.usage.total_tokens": 24,
          "gen_ai.usage.cache_read_input_tokens": 8,
          "traceloop.association.properties.session_id": "s1", "traceloop.association.properties.user_id": "u1",
          "traceloop.association.properties.chat_id": "c9", "traceloop.workflow.name": "wf"
        })")},
       J(R"({"type": "generation", "model": "gpt-4o-2024-08-06", "provider": "openai",
             "input": [{"role": "system", "content": "sys"},
                       {"role": "user", "content": [{"type": "text", "text": "see"},
                                                    {"type": "image_url", "image_url": {"url": "u"}}]}],
             "output": [{"role": "assistant", "content": null, "finish_reason": "tool_calls",
                         "tool_calls": [{"id": "c1", "name": "w", "arguments": {"a": 1}}]}],
             "usage": {"input_tokens": 20, "output_tokens": 4, "total_tokens": 24, "cache_read_tokens": 8,
                       "cache_write_tokens": 0, "reasoning_tokens": 0},
             "metadata": {"chat_id": "c9"},
             "trace_hints": {"session_id": "s1", "user_id": "u1"},
             "attributes": {"gen_ai.request.model": "gpt-4o", "traceloop.workflow.name": "wf"}})")},
      {"OpenLlmetryCurrentGenAiShape",
       {.attributes = J(R"({"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                           "gen_ai.request.model": "gpt-4o",
                           "gen_ai.input.messages": "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}]}]",
                           "gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 2,
                           "gen_ai.usage.total_tokens": 5, "gen_ai.usage.cache_creation.input_tokens": 1})")},
       J(R"({"type": "generation", "input": [{"role": "user", "content": "hi"}],
             "usage": {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5, "cache_read_tokens": 0,
                       "cache_write_tokens": 1, "reasoning_tokens": 0}})")},
      {"OpenLlmetryWorkflowDecorator",
       {.name = "joke.workflow",
        .attributes = J(R"({"traceloop.span.kind": "workflow", "traceloop.entity.name": "joke",
                           "traceloop.entity.input": "{\"args\":[],\"kwargs\":{\"topic\":\"otel\"}}",
                           "traceloop.entity.output": "\"a joke\""})")},
       J(R"({"type": "chain", "name": "joke.workflow", "input": {"args": [], "kwargs": {"topic": "otel"}},
             "output": "a joke", "attributes": {"traceloop.entity.name": "joke"}})")},
      {"OpenLlmetryToolDecorator",
       {.name = "get_weather.tool",
        .attributes = J(R"({"traceloop.span.kind": "tool", "traceloop.entity.name": "get_weather"})")},
       J(R"({"type": "tool", "tool": {"name": "get_weather", "call_id": null}, "attributes": {}})")},
  };
}

std::vector<Case> VercelCases() {
  const Json v7_context = J(R"({"ai.settings.context.sessionId": "sess-v", "ai.settings.context.userId": "user-v"})");
  return {
      {"VercelLegacyGenerateTextOuterSpan",
       {.name = "ai.generateText",
        .parent = "",
        .scope = "ai",
        .attributes = J(R"({
          "operation.name": "ai.generateText weather-agent", "ai.operationId": "ai.generateText",
          "ai.telemetry.functionId": "weather-agent", "ai.model.id": "gpt-4o-mini", "ai.model.provider": "openai.chat",
          "ai.prompt": "{\"system\":\"sys\",\"prompt\":\"Paris?\"}",
          "ai.response.text": "Sunny", "ai.usage.promptTokens": 30, "ai.usage.completionTokens": 6,
          "ai.telemetry.metadata.userId": "u1", "ai.telemetry.metadata.sessionId": "s1",
          "ai.telemetry.metadata.tags": ["x", "y"], "ai.telemetry.metadata.plan": "pro",
          "ai.settings.maxRetries": 2
        })")},
       J(R"({"type": "span", "name": "weather-agent:ai.generateText", "model": "gpt-4o-mini", "provider": "openai",
             "parent_id": null, "model_parameters": {"maxRetries": 2},
             "input": {"system": "sys", "prompt": "Paris?"}, "output": "Sunny",
             "metadata": {"plan": "pro", "scope": {"name": "ai"}},
             "trace_hints": {"session_id": "s1", "user_id": "u1", "tags": ["x", "y"]},
             "attributes": {"operation.name": "ai.generateText weather-agent",
                            "ai.usage.promptTokens": 30, "ai.usage.completionTokens": 6}})")},
      {"VercelLegacyDoGenerateWithToolCalls",
       {.name = "ai.generateText.doGenerate",
        .scope = "ai",
        .attributes = J(R"({
          "ai.operationId": "ai.generateText.doGenerate", "ai.model.id": "gpt-4o-mini",
          "ai.model.provider": "openai.chat", "gen_ai.system": "openai.chat", "gen_ai.request.model": "gpt-4o-mini",
          "ai.prompt.messages": "[{\"role\":\"system\",\"content\":\"sys\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Paris?\"}]},{\"role\":\"assistant\",\"content\":[{\"type\":\"tool-call\",\"toolCallId\":\"c0\",\"toolName\":\"w\",\"input\":{\"a\":1}}]},{\"role\":\"tool\",\"content\":[{\"type\":\"tool-result\",\"toolCallId\":\"c0\",\"toolName\":\"w\",\"output\":{\"type\":\"json\",\"value\":{\"t\":18}}}]}]",
          "ai.response.text": "", "ai.response.toolCalls": "[{\"toolCallId\":\"c1\",\"toolName\":\"w\",\"input\":{\"a\":2}}]",
          "ai.usage.promptTokens": 99, "ai.usage.completionTokens": 13,
          "gen_ai.usage.input_tokens": 99, "gen_ai.usage.output_tokens": 13
        })")},
       J(R"({"type": "generation", "name": "ai.generateText.doGenerate", "model": "gpt-4o-mini", "provider": "openai",
             "input": [{"role": "system", "content": "sys"}, {"role": "user", "content": "Paris?"},
                       {"role": "assistant", "content": null, "tool_calls": [{"id": "c0", "name": "w", "arguments": {"a": 1}}]},
                       {"role": "tool", "content": {"t": 18}, "tool_call_id": "c0"}],
             "output": [{"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "name": "w", "arguments": {"a": 2}}]}],
             "usage": {"input_tokens": 99, "output_tokens": 13, "total_tokens": 112, "cache_read_tokens": 0,
                       "cache_write_tokens": 0, "reasoning_tokens": 0},
             "attributes": {}})")},
      {"VercelDoStreamNewUsageSpellingAndTtft",
       {.name = "ai.streamText.doStream",
        .scope = "ai",
        .attributes = J(R"({
          "ai.operationId": "ai.streamText.doStream", "ai.model.id": "gpt-4.1-mini", "ai.response.text": "haiku",
          "ai.usage.inputTokens": 9, "ai.usage.outputTokens": 26, "ai.usage.totalTokens": 35,
          "ai.usage.reasoningTokens": 5, "ai.usage.cachedInputTokens": 2,
          "ai.usage.inputTokenDetails.noCacheTokens": 7, "ai.usage.inputTokenDetails.cacheReadTokens": 2,
          "ai.usage.outputTokenDetails.reasoningTokens": 5, "ai.response.msToFirstChunk": 122.5
        })")},
       J(R"({"type": "generation", "output": [{"role": "assistant", "content": "haiku"}],
             "completion_start_time": "2026-11-22T02:28:49.122500Z",
             "usage": {"input_tokens": 9, "output_tokens": 26, "total_tokens": 35, "cache_read_tokens": 2,
                       "cache_write_tokens": 0, "reasoning_tokens": 5},
             "attributes": {"ai.usage.inputTokenDetails.noCacheTokens": 7}})")},
      {"VercelLegacyToolCall",
       {.name = "ai.toolCall",
        .scope = "ai",
        .attributes = J(R"({"ai.operationId": "ai.toolCall", "ai.telemetry.functionId": "weather-agent",
                           "ai.toolCall.name": "get_weather", "ai.toolCall.id": "call_1",
                           "ai.toolCall.args": "{\"lat\":48.8}", "ai.toolCall.result": "{\"t\":18}"})")},
       J(R"({"type": "tool", "name": "get_weather", "tool": {"name": "get_weather", "call_id": "call_1"},
             "input": {"lat": 48.8}, "output": {"t": 18},
             "attributes": {"ai.operationId": "ai.toolCall", "ai.telemetry.functionId": "weather-agent"}})")},
      {"VercelV7InvokeAgent",
       {.name = "invoke_agent gpt-4o", .scope = "ai",
        .attributes = J(R"({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather",
                           "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
                           "gen_ai.input.messages": "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"q\"}]}]",
                           "gen_ai.usage.input_tokens": 50, "gen_ai.usage.output_tokens": 10})")},
       J(R"({"type": "agent", "input": [{"role": "user", "content": "q"}],
             "usage": {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0, "cache_read_tokens": 0,
                       "cache_write_tokens": 0, "reasoning_tokens": 0},
             "attributes": {"gen_ai.agent.name": "weather", "gen_ai.usage.input_tokens": 50,
                            "gen_ai.usage.output_tokens": 10}})")},
      {"VercelV7ChatStep",
       {.name = "chat gpt-4o", .scope = "ai",
        .attributes = J(R"({"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                           "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o",
                           "gen_ai.usage.input_tokens": 50, "gen_ai.usage.output_tokens": 10,
                           "gen_ai.usage.cache_read.input_tokens": 5, "gen_ai.client.operation.time_to_first_chunk": 0.25,
                           "gen_ai.output.messages": "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"a\"}],\"finish_reason\":\"stop\"}]"})")},
       J(R"({"type": "generation", "model": "gpt-4o", "provider": "openai",
             "completion_start_time": "2026-11-22T02:28:49.250000Z",
             "output": [{"role": "assistant", "content": "a", "finish_reason": "stop"}],
             "usage": {"input_tokens": 50, "output_tokens": 10, "total_tokens": 60, "cache_read_tokens": 5,
                       "cache_write_tokens": 0, "reasoning_tokens": 0},
             "attributes": {}})")},
      {"VercelV7ExecuteTool",
       {.name = "execute_tool get_weather", .scope = "ai",
        .attributes = J(R"({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather",
                           "gen_ai.tool.call.id": "c1", "gen_ai.tool.type": "function",
                           "gen_ai.tool.call.arguments": "{\"lat\":1}", "gen_ai.tool.call.result": "{\"t\":18}"})")},
       J(R"({"type": "tool", "name": "get_weather", "tool": {"name": "get_weather", "call_id": "c1"},
             "input": {"lat": 1}, "output": {"t": 18}, "attributes": {"gen_ai.tool.type": "function"}})")},
      {"VercelV7ContextIsMetadata",
       {.name = "ai.toolCall", .scope = "ai",
        .attributes = [&] {
          Json a = v7_context;
          a["ai.operationId"] = "ai.toolCall";
          a["ai.settings.context.channel"] = "web";
          return a;
        }()},
       J(R"({"trace_hints": {"session_id": "sess-v", "user_id": "user-v"},
             "metadata": {"channel": "web", "scope": {"name": "ai"}}})")},
      // What ai 7.0 / @ai-sdk/otel 1.0 sends for runtimeContext {sessionId, userId, tags, channel}
      // (tests/e2e/client_vercel_ai.test.mjs): the GenAI spans' scope is `gen_ai`, not `ai`.
      {"VercelV7RuntimeContextOnGenAiScope",
       {.name = "step 1", .scope = "gen_ai",
        .attributes = [&] {
          Json a = v7_context;
          a["gen_ai.operation.name"] = "agent_step";
          a["ai.settings.context.tags"] = Json::array({"e2e", "vercel"});
          a["ai.settings.context.channel"] = "web";
          return a;
        }()},
       J(R"({"type": "span", "trace_hints": {"session_id": "sess-v", "user_id": "user-v", "tags": ["e2e", "vercel"]},
             "metadata": {"channel": "web", "scope": {"name": "gen_ai"}},
             "attributes": {"gen_ai.operation.name": "agent_step"}})")},
  };
}

std::vector<Case> LangfuseAndTracklyCases() {
  return {
      {"LangfuseAttributes",
       {.name = "llm-call",
        .attributes = J(R"({
          "langfuse.observation.type": "generation", "langfuse.observation.model.name": "gpt-4o",
          "langfuse.observation.model.parameters": "{\"temperature\":0.1}",
          "langfuse.observation.usage_details": "{\"input\":70,\"output\":30,\"input_cached_tokens\":20,\"output_reasoning_tokens\":5,\"total\":125}",
          "langfuse.observation.cost_details": "{\"input\":0.001,\"output\":0.002}",
          "langfuse.observation.input": "\"question\"", "langfuse.observation.output": "{\"answer\":42}",
          "langfuse.observation.prompt.name": "qa", "langfuse.observation.prompt.version": 3,
          "langfuse.observation.level": "WARNING", "langfuse.observation.status_message": "slow",
          "langfuse.observation.completion_start_time": "\"2026-11-22T02:28:49.100Z\"",
          "langfuse.observation.metadata.k": "v",
          "langfuse.trace.name": "qa-run", "langfuse.trace.input": "{\"q\":1}", "langfuse.trace.output": "done",
          "langfuse.trace.tags": "[\"t1\",\"t2\"]", "langfuse.trace.metadata.team": "ml",
          "user.id": "u1", "session.id": "s1", "langfuse.environment": "prod", "langfuse.release": "v1",
          "langfuse.internal.as_root": true
        })")},
       J(R"({"type": "generation", "parent_id": null, "model": "gpt-4o", "model_parameters": {"temperature": 0.1},
             "usage": {"input_tokens": 90, "output_tokens": 35, "total_tokens": 125, "cache_read_tokens": 20,
                       "cache_write_tokens": 0, "reasoning_tokens": 5},
             "cost": {"input": 0.001, "output": 0.002, "total": 0.003, "currency": "USD", "source": "provided"},
             "input": "question", "output": {"answer": 42}, "prompt": {"name": "qa", "version": "3"},
             "level": "WARNING", "status_message": "slow", "completion_start_time": "2026-11-22T02:28:49.100000Z",
             "metadata": {"k": "v"}, "environment": "prod", "release": "v1",
             "trace_hints": {"trace_name": "qa-run", "session_id": "s1", "user_id": "u1", "tags": ["t1", "t2"],
                             "metadata": {"team": "ml"}, "input": {"q": 1}, "output": "done"},
             "attributes": {}})")},
      {"LangfuseErrorLevelCountsAsError",
       {.attributes = J(R"({"langfuse.observation.level": "ERROR"})")},
       J(R"({"status": "error", "level": "ERROR"})")},
      {"LangfuseOpenAiShapedUsageDetails",
       {.attributes = J(R"({"langfuse.observation.type": "generation", "langfuse.observation.usage_details":
           {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15, "prompt_tokens_details": {"cached_tokens": 4}}})")},
       J(R"({"usage": {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15, "cache_read_tokens": 4,
                       "cache_write_tokens": 0, "reasoning_tokens": 0}})")},
      {"TracklyNativeAttributesWin",
       {.name = "fetch",
        .resource = J(R"({"service.name": "svc", "deployment.environment.name": "staging"})"),
        .attributes = J(R"({
          "trackly.observation.type": "tool", "langfuse.observation.type": "span",
          "trackly.session.id": "ts", "session.id": "other", "trackly.user.id": "tu",
          "trackly.feature": "search", "trackly.environment": "dev", "trackly.release": "r9",
          "trackly.tags": "a, b", "trackly.metadata.tenant": "acme", "trackly.retry_count": 2,
          "trackly.status": "timeout", "trackly.error.type": "rate_limit", "error.type": "x"
        })")},
       J(R"({"type": "tool", "status": "timeout", "error_type": "rate_limit", "retry_count": 2,
             "environment": "dev", "release": "r9", "service_name": "svc",
             "metadata": {"tenant": "acme", "resource": {"deployment.environment.name": "staging"}},
             "trace_hints": {"session_id": "ts", "user_id": "tu", "feature": "search", "tags": ["a", "b"]},
             "attributes": {"langfuse.observation.type": "span", "session.id": "other", "error.type": "x"}})")},
      {"ResourceAttributes",
       {.scope = "my-lib",
        .resource = J(R"({"service.name": "research-assistant", "service.version": "1.4.2",
                          "deployment.environment.name": "acceptance", "host.name": "h1"})"),
        .attributes = J(R"({"metadata.channel": "web"})")},
       J(R"({"service_name": "research-assistant", "release": "1.4.2", "environment": "acceptance",
             "metadata": {"channel": "web", "resource": {"host.name": "h1"}, "scope": {"name": "my-lib"}},
             "trace_hints": {"feature": "research-assistant"}, "attributes": {}})")},
  };
}

std::vector<Case> HostileCases() {
  return {
      {"HugeFlattenedIndexStaysInAttributes",
       {.attributes = J(R"({"openinference.span.kind": "LLM",
                           "llm.input_messages.999999999.message.role": "user",
                           "llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.content": "hi",
                           "llm.input_messages.01.message.role": "user"})")},
       J(R"({"input": [{"role": "user", "content": "hi"}],
             "attributes": {"llm.input_messages.999999999.message.role": "user",
                            "llm.input_messages.01.message.role": "user"}})")},
      {"WrongTypesStayInAttributes",
       {.attributes = J(R"({"gen_ai.request.model": 42, "gen_ai.usage.input_tokens": "abc",
                           "gen_ai.usage.output_tokens": -5, "session.id": [1, 2], "tag.tags": {"a": 1},
                           "openinference.span.kind": 5, "langfuse.observation.usage_details": "not json",
                           "gen_ai.input.messages": 7, "llm.input_messages.0.message.role": 3,
                           "user.id": 12345})")},
       J(R"({"type": "generation", "model": "42", "input": [{"message": {"role": 3}}],
             "usage": {"input_tokens": 0, "output_tokens": -5, "total_tokens": -5, "cache_read_tokens": 0,
                       "cache_write_tokens": 0, "reasoning_tokens": 0},
             "trace_hints": {"user_id": "12345"},
             "attributes": {"gen_ai.usage.input_tokens": "abc",
                            "session.id": [1, 2], "tag.tags": {"a": 1},
                            "openinference.span.kind": 5, "langfuse.observation.usage_details": "not json"}})")},
      {"MalformedJsonIsKeptAsString",
       {.attributes = J(R"({"input.value": "{broken", "input.mime_type": "application/json",
                           "metadata": "{also broken"})")},
       J(R"({"input": "{broken", "attributes": {"metadata": "{also broken"}})")},
      {"DeeplyNestedJsonIsKeptAsString",
       {.attributes = Json{{"input.value", std::string(100000, '[') + std::string(100000, ']')}}},
       Json{{"input", std::string(100000, '[') + std::string(100000, ']')}}},
      {"ScalarPathCollisionIsKept",
       {.attributes = J(R"({"gen_ai.prompt.0": "x", "gen_ai.prompt.0.role": "user"})")},
       J(R"({"input": ["x"], "attributes": {"gen_ai.prompt.0.role": "user"}})")},
  };
}

INSTANTIATE_TEST_SUITE_P(GenAi, NormalizerTest, testing::ValuesIn(GenAiCases()),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(OpenInference, NormalizerTest, testing::ValuesIn(OpenInferenceCases()),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(OpenLlmetry, NormalizerTest, testing::ValuesIn(OpenLlmetryCases()),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Vercel, NormalizerTest, testing::ValuesIn(VercelCases()),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(LangfuseAndTrackly, NormalizerTest, testing::ValuesIn(LangfuseAndTracklyCases()),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Hostile, NormalizerTest, testing::ValuesIn(HostileCases()),
                         [](const auto& info) { return info.param.name; });

TEST(NormalizerTest, CopiesIdsTimesAndEvents) {
  RawSpan span = MakeSpan({.events = {Event("retrieval.completed", J(R"({"n": 2})"))}});
  model::Observation o = Normalizer().Normalize(span);
  EXPECT_EQ(o.id, "b7ad6b7169203331");
  EXPECT_EQ(o.trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(o.parent_id, "bb4dcac190fdfb43");
  EXPECT_EQ(o.start_time_ns, kStartNs);
  EXPECT_EQ(o.end_time_ns, kStartNs + 250'000'000);
  ASSERT_EQ(o.events.size(), 1u);
  EXPECT_EQ(o.events[0].name, "retrieval.completed");
  EXPECT_EQ(o.events[0].attributes, J(R"({"n": 2})"));
}

TEST(NormalizerTest, SurvivesNonObjectAttributesAndMissingScope) {
  RawSpan span = MakeSpan({});
  span.attributes = Json::array({1, 2});
  span.scope = nullptr;
  model::Observation o = Normalizer().Normalize(span);
  EXPECT_EQ(o.type, model::ObservationType::kSpan);
  EXPECT_TRUE(o.attributes.is_object());
}

}  // namespace
}  // namespace trackly::normalize
