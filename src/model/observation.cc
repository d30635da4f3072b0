#include "model/observation.h"

#include <array>
#include <utility>

namespace trackly::model {
namespace {

constexpr std::array<std::pair<ObservationType, std::string_view>, 11> kTypeNames = {{
    {ObservationType::kSpan, "span"},
    {ObservationType::kGeneration, "generation"},
    {ObservationType::kEmbedding, "embedding"},
    {ObservationType::kTool, "tool"},
    {ObservationType::kRetriever, "retriever"},
    {ObservationType::kReranker, "reranker"},
    {ObservationType::kAgent, "agent"},
    {ObservationType::kChain, "chain"},
    {ObservationType::kEvaluator, "evaluator"},
    {ObservationType::kGuardrail, "guardrail"},
    {ObservationType::kEvent, "event"},
}};

constexpr std::array<std::pair<Status, std::string_view>, 6> kStatusNames = {{
    {Status::kUnset, "unset"},
    {Status::kOk, "ok"},
    {Status::kError, "error"},
    {Status::kTimeout, "timeout"},
    {Status::kCancelled, "cancelled"},
    {Status::kSkipped, "skipped"},
}};

constexpr std::array<std::pair<Level, std::string_view>, 4> kLevelNames = {{
    {Level::kDebug, "DEBUG"},
    {Level::kDefault, "DEFAULT"},
    {Level::kWarning, "WARNING"},
    {Level::kError, "ERROR"},
}};

template <typename E, size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "unknown";
}

template <typename E, size_t N>
bool ValueOf(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view text,
             E* out) {
  for (const auto& [v, name] : table) {
    if (name == text) {
      *out = v;
      return true;
    }
  }
  return false;
}

// Milliseconds from start to end; 0 while open. Hostile timestamps (end near INT64_MAX, start
// negative) would overflow the exact integer difference; those fall back to doubles.
double LatencyMs(int64_t start_ns, int64_t end_ns) {
  if (end_ns == 0 || end_ns < start_ns) return 0;
  int64_t delta_ns = 0;
  if (__builtin_sub_overflow(end_ns, start_ns, &delta_ns)) {
    return (static_cast<double>(end_ns) - static_cast<double>(start_ns)) / 1e6;
  }
  return static_cast<double>(delta_ns) / 1e6;
}

}  // namespace

std::string_view ToString(ObservationType type) { return NameOf(kTypeNames, type); }
std::string_view ToString(Status status) { return NameOf(kStatusNames, status); }
std::string_view ToString(Level level) { return NameOf(kLevelNames, level); }
bool ParseObservationType(std::string_view text, ObservationType* out) {
  return ValueOf(kTypeNames, text, out);
}
bool ParseStatus(std::string_view text, Status* out) { return ValueOf(kStatusNames, text, out); }
bool ParseLevel(std::string_view text, Level* out) { return ValueOf(kLevelNames, text, out); }

bool Usage::empty() const { return *this == Usage{}; }

Usage& Usage::operator+=(const Usage& other) {
  input_tokens += other.input_tokens;
  output_tokens += other.output_tokens;
  total_tokens += other.total_tokens;
  cache_read_tokens += other.cache_read_tokens;
  cache_write_tokens += other.cache_write_tokens;
  reasoning_tokens += other.reasoning_tokens;
  return *this;
}

Usage& Usage::operator-=(const Usage& other) {
  input_tokens -= other.input_tokens;
  output_tokens -= other.output_tokens;
  total_tokens -= other.total_tokens;
  cache_read_tokens -= other.cache_read_tokens;
  cache_write_tokens -= other.cache_write_tokens;
  reasoning_tokens -= other.reasoning_tokens;
  return *this;
}

Cost& Cost::operator+=(const Cost& other) {
  input += other.input;
  output += other.output;
  total += other.total;
  cache_savings += other.cache_savings;
  source = CostSource::kNone;
  price_id.clear();
  note.clear();
  return *this;
}

Cost& Cost::operator-=(const Cost& other) {
  input -= other.input;
  output -= other.output;
  total -= other.total;
  cache_savings -= other.cache_savings;
  source = CostSource::kNone;
  price_id.clear();
  note.clear();
  return *this;
}

TraceCounts& TraceCounts::operator+=(const TraceCounts& other) {
  observations += other.observations;
  generations += other.generations;
  tool_calls += other.tool_calls;
  retrievals += other.retrievals;
  errors += other.errors;
  retries += other.retries;
  return *this;
}

TraceCounts& TraceCounts::operator-=(const TraceCounts& other) {
  observations -= other.observations;
  generations -= other.generations;
  tool_calls -= other.tool_calls;
  retrievals -= other.retrievals;
  errors -= other.errors;
  retries -= other.retries;
  return *this;
}

double Observation::latency_ms() const { return LatencyMs(start_time_ns, end_time_ns); }

double Trace::latency_ms() const { return LatencyMs(start_time_ns, end_time_ns); }

}  // namespace trackly::model
