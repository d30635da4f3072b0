#include "bench/agent_batch.h"

#include <chrono>
#include <memory>

#include "absl/strings/escaping.h"
#include "cli/otlp_request.h"

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

}  // namespace

AgentBatchTemplate::AgentBatchTemplate(WireFormat format, int spans, uint64_t seed)
    : format_(format), spans_(spans < 1 ? 1 : spans), rng_(seed) {
  std::string trace_id = RandomHex(rng_, 16);
  std::vector<model::RawSpan> batch = BuildSpans(spans_, rng_, trace_id);
  if (format_ == WireFormat::kProtobuf) {
    // Ids are generated hex, so encoding cannot fail.
    body_ = cli::EncodeOtlpProtobuf(batch).value();
    placeholder_ = absl::HexStringToBytes(trace_id);
  } else {
    body_ = model::DumpJson(cli::EncodeOtlpJson(batch));
    placeholder_ = trace_id;
  }
  for (size_t pos = body_.find(placeholder_); pos != std::string::npos;
       pos = body_.find(placeholder_, pos + placeholder_.size())) {
    placeholder_offsets_.push_back(pos);
  }
}

const std::string& AgentBatchTemplate::Next(std::string* trace_id_hex) {
  *trace_id_hex = RandomHex(rng_, 16);
  const std::string patch =
      format_ == WireFormat::kProtobuf ? absl::HexStringToBytes(*trace_id_hex) : *trace_id_hex;
  for (size_t offset : placeholder_offsets_) body_.replace(offset, patch.size(), patch);
  return body_;
}

const char* AgentBatchTemplate::content_type() const {
  return format_ == WireFormat::kProtobuf ? "application/x-protobuf" : "application/json";
}

}  // namespace trackly::bench
