// Realistic agent-run requests for the benchmarks: one trace per request, shaped like a tool-using
// agent (an agent root, model calls with usage, tool calls, retrievals), with 300-byte inputs and
// outputs, in one of the wire formats the server ingests: OTLP protobuf or JSON (POST /v1/traces),
// a Langfuse ingestion batch (POST /api/public/ingestion) or a LangSmith runs batch
// (POST /langsmith/runs/batch). A request is built once as a template; each send patches in a
// fresh trace id (every id of the request embeds it), so every request stores new rows without
// paying to rebuild the body.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace trackly::bench {

enum class WireFormat { kProtobuf, kJson, kLangfuse, kLangsmith };

// Not thread-safe; one per sending thread.
class AgentBatchTemplate {
 public:
  // `spans` ≥ 1 spans in one trace; `seed` makes the bodies reproducible.
  AgentBatchTemplate(WireFormat format, int spans, uint64_t seed);

  // A request body with a trace id never returned before by this template; `trace_id_hex` receives
  // the id (32 lowercase hex characters).
  const std::string& Next(std::string* trace_id_hex);

  const char* content_type() const;
  // The path the request is sent to.
  const char* target() const;
  // The status a fully accepted request gets (200, or 207 and 202 for the compat APIs).
  int accepted_status() const;
  int spans() const { return spans_; }

 private:
  WireFormat format_;
  int spans_;
  std::mt19937_64 rng_;
  std::string body_;
  std::string placeholder_;              // the template's trace id as it appears in the body
  std::vector<size_t> placeholder_offsets_;
};

}  // namespace trackly::bench
