#include "bench/agent_batch.h"

#include <chrono>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "cli/otlp_request.h"
#include "model/time_format.h"

namespace trackly::bench {
namespace {

std::string RandomHex(std::mt19937_64& rng, size_t bytes) {
  std::string raw(bytes, '\0');
  for (char& c : raw) c = static_cast<char>(rng() & 0xff);
  return absl::BytesToHexString(raw);
}

std::string Text300(std::mt19937_64& rng, const char* prefix) {
  static const char kWords[][10] = {"agent", "tool", "trace", "token", "latency", "context",
                                    "answer", "query", "model", "budget"};
  std::string s = prefix;
  while (s.size() < 300) {
    s += ' ';
    s += kWords[rng() % 10];
  }
  s.resize(300);
  return s;
}

// The agent run as decoded spans: root agent → (retrieval, model call, tool call) repeated. The
// demo's OTLP encoders (cli/otlp_request.h) turn them into request bodies.
std::vector<model::RawSpan> BuildSpans(int spans, std::mt19937_64& rng, const std::string& trace_id) {
  auto scope = std::make_shared<model::RawScope>();
  scope->resource_attributes = model::Json{{"service.name", "bench-agent"}};
  scope->scope_name = "trackly-bench";
  int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  std::string root_id = RandomHex(rng, 8);
  std::vector<model::RawSpan> out(spans);
  for (int i = 0; i < spans; ++i) {
    model::RawSpan& span = out[i];
    span.scope = scope;
    span.trace_id = trace_id;
    span.span_id = i == 0 ? root_id : RandomHex(rng, 8);
    if (i > 0) span.parent_span_id = root_id;
    span.start_time_ns = now_ns + i * 1'000'000;
    span.end_time_ns = span.start_time_ns + 800'000;
    model::Json& a = span.attributes;
    a["input.value"] = Text300(rng, "in:");
    a["output.value"] = Text300(rng, "out:");
    if (i == 0) {
      span.name = "invoke_agent research";
      a["gen_ai.operation.name"] = "invoke_agent";
      a["session.id"] = "bench-session-" + std::to_string(rng() % 1000);
      a["user.id"] = "bench-user-" + std::to_string(rng() % 100);
      continue;
    }
    switch (i % 3) {
      case 0:
        span.name = "chat gpt-4o";
        span.kind = model::SpanKind::kClient;
        a["gen_ai.operation.name"] = "chat";
        a["gen_ai.provider.name"] = "openai";
        a["gen_ai.request.model"] = "gpt-4o";
        a["gen_ai.usage.input_tokens"] = static_cast<int64_t>(500 + rng() % 2000);
        a["gen_ai.usage.output_tokens"] = static_cast<int64_t>(50 + rng() % 500);
        break;
      case 1:
        span.name = "execute_tool web_search";
        a["gen_ai.operation.name"] = "execute_tool";
        a["gen_ai.tool.name"] = "web_search";
        break;
      default:
        span.name = "retrieve_context";
        a["openinference.span.kind"] = "RETRIEVER";
        break;
    }
  }
  return out;
}

// The same run as a Langfuse ingestion batch: a trace-create, then the agent root and its
// children as agent-/generation-/tool-/retriever-create events with ids "<trace id>-<i>".
std::string LangfuseBody(const std::vector<model::RawSpan>& spans) {
  model::Json batch = model::Json::array();
  const std::string& trace_id = spans.front().trace_id;
  const model::Json& root_attrs = spans.front().attributes;
  batch.push_back({{"id", trace_id + "-e"},
                   {"type", "trace-create"},
                   {"timestamp", model::FormatRfc3339Micros(spans.front().start_time_ns)},
                   {"body", {{"id", trace_id},
                             {"name", "research"},
                             {"sessionId", root_attrs["session.id"]},
                             {"userId", root_attrs["user.id"]},
                             {"input", root_attrs["input.value"]},
                             {"output", root_attrs["output.value"]}}}});
  for (size_t i = 0; i < spans.size(); ++i) {
    const model::RawSpan& span = spans[i];
    const model::Json& a = span.attributes;
    model::Json body = {{"id", absl::StrCat(trace_id, "-", i)},
                        {"traceId", trace_id},
                        {"name", span.name},
                        {"startTime", model::FormatRfc3339Micros(span.start_time_ns)},
                        {"endTime", model::FormatRfc3339Micros(span.end_time_ns)},
                        {"input", a["input.value"]},
                        {"output", a["output.value"]}};
    if (i > 0) body["parentObservationId"] = absl::StrCat(trace_id, "-0");
    std::string type = "agent-create";
    if (i > 0) type = i % 3 == 0 ? "generation-create" : i % 3 == 1 ? "tool-create" : "retriever-create";
    if (a.contains("gen_ai.request.model")) {
      body["model"] = a["gen_ai.request.model"];
      body["usageDetails"] = {{"input", a["gen_ai.usage.input_tokens"]}, {"output", a["gen_ai.usage.output_tokens"]}};
    }
    batch.push_back({{"id", absl::StrCat(trace_id, "-e", i)},
                     {"type", type},
                     {"timestamp", model::FormatRfc3339Micros(span.start_time_ns)},
                     {"body", std::move(body)}});
  }
  return model::DumpJson(model::Json{{"batch", std::move(batch)}});
}

// LangSmith's dotted_order segment of a run: its start time as YYYYMMDDTHHMMSSffffffZ, then its id.
std::string DottedSegment(int64_t start_ns, const std::string& run_id) {
  return absl::StrCat(absl::StrReplaceAll(model::FormatRfc3339Micros(start_ns), {{"-", ""}, {":", ""}, {".", ""}}),
                      run_id);
}

// The same run as a LangSmith runs batch: complete runs (post with end_time and outputs), the root
// chain's id being the trace id. Run ids are UUIDs sharing the trace id's first 20 hex digits
// (`prefix`, dashed), so patching the prefix gives every run of the request a fresh id.
std::string LangsmithBody(const std::vector<model::RawSpan>& spans, const std::string& prefix) {
  model::Json post = model::Json::array();
  auto run_id = [&](size_t i) { return absl::StrCat(prefix, "-", absl::StrFormat("%012x", i)); };
  const std::string root_segment = DottedSegment(spans.front().start_time_ns, run_id(0));
  for (size_t i = 0; i < spans.size(); ++i) {
    const model::RawSpan& span = spans[i];
    const model::Json& a = span.attributes;
    std::string run_type = "chain";
    if (i > 0) run_type = i % 3 == 0 ? "llm" : i % 3 == 1 ? "tool" : "retriever";
    model::Json run = {{"id", run_id(i)},
                       {"trace_id", run_id(0)},
                       {"name", span.name},
                       {"run_type", run_type},
                       {"start_time", model::FormatRfc3339Micros(span.start_time_ns)},
                       {"end_time", model::FormatRfc3339Micros(span.end_time_ns)},
                       {"inputs", {{"input", a["input.value"]}}},
                       {"outputs", {{"output", a["output.value"]}}},
                       {"session_name", "bench"}};
    if (i == 0) {
      run["dotted_order"] = root_segment;
      run["extra"] = {{"metadata", {{"session_id", a["session.id"]}, {"user_id", a["user.id"]}}}};
    } else {
      run["parent_run_id"] = run_id(0);
      run["dotted_order"] = absl::StrCat(root_segment, ".", DottedSegment(span.start_time_ns, run_id(i)));
    }
    if (a.contains("gen_ai.request.model")) {
      run["extra"] = {{"metadata", {{"ls_model_name", a["gen_ai.request.model"]}, {"ls_provider", "openai"}}}};
      run["outputs"]["usage_metadata"] = {{"input_tokens", a["gen_ai.usage.input_tokens"]},
                                          {"output_tokens", a["gen_ai.usage.output_tokens"]}};
    }
    post.push_back(std::move(run));
  }
  return model::DumpJson(model::Json{{"post", std::move(post)}});
}

// "0123456789abcdef0123…" → "01234567-89ab-cdef-0123": the first 20 hex digits of a trace id as
// the leading groups of a UUID.
std::string UuidPrefix(const std::string& hex) {
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-", hex.substr(16, 4));
}

}  // namespace

AgentBatchTemplate::AgentBatchTemplate(WireFormat format, int spans, uint64_t seed)
    : format_(format), spans_(spans < 1 ? 1 : spans), rng_(seed) {
  std::string trace_id = RandomHex(rng_, 16);
  std::vector<model::RawSpan> batch = BuildSpans(spans_, rng_, trace_id);
  switch (format_) {
    case WireFormat::kProtobuf:
      // Ids are generated hex, so encoding cannot fail.
      body_ = cli::EncodeOtlpProtobuf(batch).value();
      placeholder_ = absl::HexStringToBytes(trace_id);
      break;
    case WireFormat::kJson:
      body_ = model::DumpJson(cli::EncodeOtlpJson(batch));
      placeholder_ = trace_id;
      break;
    case WireFormat::kLangfuse:
      body_ = LangfuseBody(batch);
      placeholder_ = trace_id;
      break;
    case WireFormat::kLangsmith:
      placeholder_ = UuidPrefix(trace_id);
      body_ = LangsmithBody(batch, placeholder_);
      break;
  }
  for (size_t pos = body_.find(placeholder_); pos != std::string::npos;
       pos = body_.find(placeholder_, pos + placeholder_.size())) {
    placeholder_offsets_.push_back(pos);
  }
}

const std::string& AgentBatchTemplate::Next(std::string* trace_id_hex) {
  *trace_id_hex = RandomHex(rng_, 16);
  std::string patch = *trace_id_hex;
  if (format_ == WireFormat::kProtobuf) patch = absl::HexStringToBytes(*trace_id_hex);
  if (format_ == WireFormat::kLangsmith) {
    // The root run's id is the trace id; the rest of it (the run's own 12 digits) is fixed.
    patch = UuidPrefix(*trace_id_hex);
    *trace_id_hex = absl::StrCat(patch, "-", std::string(12, '0'));
  }
  for (size_t offset : placeholder_offsets_) body_.replace(offset, patch.size(), patch);
  return body_;
}

const char* AgentBatchTemplate::content_type() const {
  return format_ == WireFormat::kProtobuf ? "application/x-protobuf" : "application/json";
}

const char* AgentBatchTemplate::target() const {
  switch (format_) {
    case WireFormat::kLangfuse:
      return "/api/public/ingestion";
    case WireFormat::kLangsmith:
      return "/langsmith/runs/batch";
    default:
      return "/v1/traces";
  }
}

int AgentBatchTemplate::accepted_status() const {
  switch (format_) {
    case WireFormat::kLangfuse:
      return 207;
    case WireFormat::kLangsmith:
      return 202;
    default:
      return 200;
  }
}

}  // namespace trackly::bench
