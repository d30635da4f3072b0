// The canonical model (DESIGN.md "Canonical model"): what every wire format becomes and what the API
// returns. Field meanings are documented in docs/data-model.md and docs/conventions.md.
//
// Times are Unix nanoseconds held at MICROSECOND precision (multiples of 1000): the API shows
// microseconds, and the normalizer truncates, so a JSON round trip (codec.h) is exact.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/json.h"

namespace trackly::model {

enum class ObservationType {
  kSpan, kGeneration, kEmbedding, kTool, kRetriever, kReranker, kAgent, kChain, kEvaluator,
  kGuardrail, kEvent,
};

enum class Status { kUnset, kOk, kError, kTimeout, kCancelled, kSkipped };

enum class Level { kDebug, kDefault, kWarning, kError };

enum class CostSource { kNone, kProvided, kComputed };

std::string_view ToString(ObservationType type);
std::string_view ToString(Status status);
std::string_view ToString(Level level);
// Returns false when `text` names no value (the output is left unchanged).
bool ParseObservationType(std::string_view text, ObservationType* out);
bool ParseStatus(std::string_view text, Status* out);
bool ParseLevel(std::string_view text, Level* out);

// Token usage. Meaning (one, everywhere): input_tokens INCLUDES cached input (cache_read and
// cache_write are subsets of it), output_tokens INCLUDES reasoning tokens (a subset), total =
// input + output unless the client stated a different total. Zero means "none reported".
struct Usage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t total_tokens = 0;
  int64_t cache_read_tokens = 0;
  int64_t cache_write_tokens = 0;
  int64_t reasoning_tokens = 0;
  // The client reported no usage: the counts were estimated from the call's input and output
  // text with a BPE tokenizer (normalize/usage_estimator.h, docs/cost.md "Estimated usage").
  bool estimated = false;

  bool empty() const;
  // Sums the counts; `estimated` is left as it is (a sum is not itself an estimate).
  Usage& operator+=(const Usage& other);
  Usage& operator-=(const Usage& other);  // the inverse of +=
  bool operator==(const Usage&) const = default;
};

// Cost in USD. The cost engine (normalize/cost, docs/cost.md) fills a computed cost and says which
// price it used; a cost the client sent is kept as is.
struct Cost {
  double input = 0;
  double output = 0;
  double total = 0;
  CostSource source = CostSource::kNone;
  std::string price_id;       // the price entry a computed cost used; empty otherwise
  double cache_savings = 0;   // what cache reads saved against the uncached input price (>= 0)
  // Why no cost was computed (e.g. "no price for model \"x\""), or that it was computed from
  // estimated usage ("computed from estimated usage", docs/cost.md); else empty.
  std::string note;

  // Sums amounts and savings; a sum has source kNone and no price_id or note.
  Cost& operator+=(const Cost& other);
  Cost& operator-=(const Cost& other);  // the inverse of +=, with the same source, price_id and note
  bool operator==(const Cost&) const = default;
};

struct Event {
  std::string name;
  int64_t time_ns = 0;
  Json attributes = Json::object();
  bool operator==(const Event&) const = default;
};

struct PromptRef {
  std::string name;
  std::string version;
  bool operator==(const PromptRef&) const = default;
};

struct ToolRef {
  std::string name;
  std::string call_id;
  bool operator==(const ToolRef&) const = default;
};

// What one span says about the trace it belongs to. Any span may carry these (SDKs propagate
// them to children); the trace summary takes them from the root first, then the earliest span.
struct TraceHints {
  std::string trace_name;  // explicit trace name (e.g. langfuse.trace.name); else the root's name
  std::string session_id;
  std::string user_id;
  std::string feature;
  std::vector<std::string> tags;
  Json trace_metadata = Json::object();
  Json trace_input;   // explicit trace input; else the root's input
  Json trace_output;  // explicit trace output; else the root's output
  bool operator==(const TraceHints&) const = default;
};

struct Observation {
  std::string id;
  std::string trace_id;
  std::string parent_id;  // empty = root
  std::string name;
  ObservationType type = ObservationType::kSpan;
  Status status = Status::kUnset;
  std::string status_message;
  std::string error_type;
  Level level = Level::kDefault;
  int64_t start_time_ns = 0;
  int64_t end_time_ns = 0;             // 0 = still open
  int64_t completion_start_time_ns = 0;  // 0 = unknown (time to first token)
  std::string model;
  std::string provider;
  Json model_parameters = Json::object();
  Usage usage;
  Cost cost;
  Json input;   // null when absent
  Json output;  // null when absent
  Json metadata = Json::object();
  Json attributes = Json::object();
  std::vector<Event> events;
  std::optional<PromptRef> prompt;
  std::optional<ToolRef> tool;
  std::string environment;
  std::string release;
  std::string service_name;
  int32_t retry_count = 0;  // retries this observation represents (0 = first attempt)
  // Secrets and personal data the server replaced in this observation's text before storing it
  // (normalize/redaction/redactor.h); 0 = none.
  int32_t redactions = 0;
  // The project's retention removed this observation's payload (store::Store::Expire): only the
  // summary fields are set; input, output, metadata, attributes, events, model parameters and
  // the trace hints' input/output/metadata are empty because they are gone, not because the
  // client sent none.
  bool payload_expired = false;
  TraceHints trace_hints;

  bool is_root() const { return parent_id.empty(); }
  bool is_error() const { return status == Status::kError || level == Level::kError; }
  // Milliseconds between start and end; 0 while open.
  double latency_ms() const;
  bool operator==(const Observation&) const = default;
};

struct TraceCounts {
  int64_t observations = 0;
  int64_t generations = 0;
  int64_t tool_calls = 0;
  int64_t retrievals = 0;
  int64_t errors = 0;
  int64_t retries = 0;
  TraceCounts& operator+=(const TraceCounts& other);  // sums each count
  TraceCounts& operator-=(const TraceCounts& other);  // the inverse of +=
  bool operator==(const TraceCounts&) const = default;
};

// The summary row of one trace, derived only from its observations (model/summary.h).
struct Trace {
  std::string id;
  std::string name;
  int64_t start_time_ns = 0;
  int64_t end_time_ns = 0;
  Status status = Status::kUnset;  // kError if any observation errored, else the root's or kOk
  std::string session_id;
  std::string user_id;
  std::string feature;
  std::string environment;
  std::string release;
  std::vector<std::string> tags;  // sorted, unique
  Json metadata = Json::object();
  Json input;
  Json output;
  TraceCounts counts;
  Usage usage;
  Cost cost;
  std::vector<std::string> models;  // sorted, unique models used by generations
  bool has_root = false;           // false while only children have arrived

  double latency_ms() const;
  bool operator==(const Trace&) const = default;
};

struct Session {
  std::string id;
  int64_t trace_count = 0;
  int64_t first_time_ns = 0;
  int64_t last_time_ns = 0;
  std::string user_id;
  TraceCounts counts;       // summed over the session's traces
  Usage usage;
  Cost cost;
  int64_t error_count = 0;  // traces whose status is error
  bool operator==(const Session&) const = default;
};

struct Score {
  std::string id;
  std::string trace_id;
  std::string observation_id;
  std::string name;
  Json value;  // number, string or bool
  std::string comment;
  std::string source;
  int64_t time_ns = 0;
  bool operator==(const Score&) const = default;
};

}  // namespace trackly::model
