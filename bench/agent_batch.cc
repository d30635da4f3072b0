#include "bench/agent_batch.h"

#include <chrono>

#include "absl/strings/escaping.h"
#include "nlohmann/json.hpp"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace trackly::bench {
namespace {

namespace otlp = opentelemetry::proto;

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
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

void Attr(otlp::trace::v1::Span* span, const std::string& key, const std::string& value) {
  auto* kv = span->add_attributes();
  kv->set_key(key);
  kv->mutable_value()->set_string_value(value);
}

void Attr(otlp::trace::v1::Span* span, const std::string& key, int64_t value) {
  auto* kv = span->add_attributes();
  kv->set_key(key);
  kv->mutable_value()->set_int_value(value);
}

// The agent run as an OTLP message: root agent → (retrieval, model call, tool call) repeated.
otlp::collector::trace::v1::ExportTraceServiceRequest BuildRequest(int spans, std::mt19937_64& rng,
                                                                   const std::string& trace_id) {
  otlp::collector::trace::v1::ExportTraceServiceRequest request;
  auto* rs = request.add_resource_spans();
  auto* service = rs->mutable_resource()->add_attributes();
  service->set_key("service.name");
  service->mutable_value()->set_string_value("bench-agent");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("trackly-bench");
  int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  std::string root_id = RandomBytes(rng, 8);
  for (int i = 0; i < spans; ++i) {
    auto* span = ss->add_spans();
    span->set_trace_id(trace_id);
    span->set_span_id(i == 0 ? root_id : RandomBytes(rng, 8));
    if (i > 0) span->set_parent_span_id(root_id);
    span->set_start_time_unix_nano(now_ns + i * 1'000'000);
    span->set_end_time_unix_nano(now_ns + i * 1'000'000 + 800'000);
    Attr(span, "input.value", Text300(rng, "in:"));
    Attr(span, "output.value", Text300(rng, "out:"));
    if (i == 0) {
      span->set_name("invoke_agent research");
      Attr(span, "gen_ai.operation.name", "invoke_agent");
      Attr(span, "session.id", "bench-session-" + std::to_string(rng() % 1000));
      Attr(span, "user.id", "bench-user-" + std::to_string(rng() % 100));
      continue;
    }
    switch (i % 3) {
      case 0:
        span->set_name("chat gpt-4o");
        span->set_kind(otlp::trace::v1::Span::SPAN_KIND_CLIENT);
        Attr(span, "gen_ai.operation.name", "chat");
        Attr(span, "gen_ai.provider.name", "openai");
        Attr(span, "gen_ai.request.model", "gpt-4o");
        Attr(span, "gen_ai.usage.input_tokens", static_cast<int64_t>(500 + rng() % 2000));
        Attr(span, "gen_ai.usage.output_tokens", static_cast<int64_t>(50 + rng() % 500));
        break;
      case 1:
        span->set_name("execute_tool web_search");
        Attr(span, "gen_ai.operation.name", "execute_tool");
        Attr(span, "gen_ai.tool.name", "web_search");
        break;
      default:
        span->set_name("retrieve_context");
        Attr(span, "openinference.span.kind", "RETRIEVER");
        break;
    }
  }
  return request;
}

nlohmann::json AnyValueJson(const otlp::common::v1::AnyValue& v) {
  if (v.has_int_value()) return {{"intValue", std::to_string(v.int_value())}};
  return {{"stringValue", v.string_value()}};
}

// OTLP/JSON per the spec: hex ids, int64 as strings, enums as integers.
std::string ToOtlpJson(const otlp::collector::trace::v1::ExportTraceServiceRequest& request) {
  nlohmann::json resource_spans = nlohmann::json::array();
  for (const auto& rs : request.resource_spans()) {
    nlohmann::json resource_attrs = nlohmann::json::array();
    for (const auto& kv : rs.resource().attributes()) {
      resource_attrs.push_back({{"key", kv.key()}, {"value", AnyValueJson(kv.value())}});
    }
    nlohmann::json scope_spans = nlohmann::json::array();
    for (const auto& ss : rs.scope_spans()) {
      nlohmann::json spans = nlohmann::json::array();
      for (const auto& s : ss.spans()) {
        nlohmann::json attrs = nlohmann::json::array();
        for (const auto& kv : s.attributes()) {
          attrs.push_back({{"key", kv.key()}, {"value", AnyValueJson(kv.value())}});
        }
        nlohmann::json span = {{"traceId", absl::BytesToHexString(s.trace_id())},
                               {"spanId", absl::BytesToHexString(s.span_id())},
                               {"name", s.name()},
                               {"kind", static_cast<int>(s.kind())},
                               {"startTimeUnixNano", std::to_string(s.start_time_unix_nano())},
                               {"endTimeUnixNano", std::to_string(s.end_time_unix_nano())},
                               {"attributes", std::move(attrs)},
                               {"status", nlohmann::json::object()}};
        if (!s.parent_span_id().empty()) span["parentSpanId"] = absl::BytesToHexString(s.parent_span_id());
        spans.push_back(std::move(span));
      }
      scope_spans.push_back({{"scope", {{"name", ss.scope().name()}}}, {"spans", std::move(spans)}});
    }
    resource_spans.push_back({{"resource", {{"attributes", std::move(resource_attrs)}}},
                              {"scopeSpans", std::move(scope_spans)}});
  }
  return nlohmann::json{{"resourceSpans", std::move(resource_spans)}}.dump();
}

}  // namespace

AgentBatchTemplate::AgentBatchTemplate(WireFormat format, int spans, uint64_t seed)
    : format_(format), spans_(spans < 1 ? 1 : spans), rng_(seed) {
  std::string trace_id = RandomBytes(rng_, 16);
  auto request = BuildRequest(spans_, rng_, trace_id);
  if (format_ == WireFormat::kProtobuf) {
    body_ = request.SerializeAsString();
    placeholder_ = trace_id;
  } else {
    body_ = ToOtlpJson(request);
    placeholder_ = absl::BytesToHexString(trace_id);
  }
  for (size_t pos = body_.find(placeholder_); pos != std::string::npos;
       pos = body_.find(placeholder_, pos + placeholder_.size())) {
    placeholder_offsets_.push_back(pos);
  }
}

const std::string& AgentBatchTemplate::Next(std::string* trace_id_hex) {
  std::string raw = RandomBytes(rng_, 16);
  *trace_id_hex = absl::BytesToHexString(raw);
  const std::string& patch = format_ == WireFormat::kProtobuf ? raw : *trace_id_hex;
  for (size_t offset : placeholder_offsets_) body_.replace(offset, patch.size(), patch);
  return body_;
}

const char* AgentBatchTemplate::content_type() const {
  return format_ == WireFormat::kProtobuf ? "application/x-protobuf" : "application/json";
}

}  // namespace trackly::bench
