#include "ingest/langsmith/run_decoder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status.h"
#include "model/time_format.h"

namespace trackly::ingest::langsmith {
namespace {

using model::Json;
using model::ObservationFragment;

constexpr size_t kMaxIdBytes = 128;

// The fields a multipart run sends as parts of their own ("<op>.<id>.<field>").
constexpr std::string_view kSeparateFields[] = {"inputs", "outputs", "events",
                                                "extra",  "error",   "serialized"};

// Parses JSON text, refusing nesting deeper than `max_depth` (the rest of the pipeline recurses
// over values). nlohmann's parser is iterative and reports each container's depth to the callback.
absl::StatusOr<Json> ParseJson(std::string_view text, int max_depth) {
  bool too_deep = false;
  Json::parser_callback_t check_depth = [&](int depth, Json::parse_event_t event, Json&) {
    if ((event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) &&
        depth >= max_depth) {
      too_deep = true;
      return false;
    }
    return true;
  };
  Json parsed;
  try {
    parsed = Json::parse(text.begin(), text.end(), check_depth);
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not valid JSON: ", e.what()));
  }
  if (too_deep) {
    return absl::InvalidArgumentError(absl::StrCat("JSON nests deeper than ", max_depth, " levels"));
  }
  return parsed;
}

const Json* Member(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

// Member `key` as a string; nullptr when absent or null; InvalidArgument when another type.
absl::StatusOr<const std::string*> StringMember(const Json& object, std::string_view key) {
  const Json* v = Member(object, key);
  if (v == nullptr) return nullptr;
  if (!v->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(Sv(key), ": not a string"));
  }
  return &v->get_ref<const std::string&>();
}

// Run ids are UUIDs in every client; anything printable and short is accepted as the client's id.
absl::Status CheckId(std::string_view field, std::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(Sv(field), ": empty"));
  if (id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(Sv(field), ": longer than ", kMaxIdBytes, " bytes"));
  }
  for (char c : id) {
    if (c <= ' ' || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(Sv(field), ": contains whitespace or control characters"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> IdMember(const Json& run, std::string_view key) {
  TRACKLY_ASSIGN_OR_RETURN(const std::string* id, StringMember(run, key));
  if (id == nullptr) return std::string();
  TRACKLY_RETURN_IF_ERROR(CheckId(key, *id));
  return *id;
}

int64_t TruncateToMicros(int64_t ns) { return ns - ns % 1000; }

// The last epoch millisecond whose nanoseconds fit an int64 (in 2262).
constexpr int64_t kMaxEpochMs = std::numeric_limits<int64_t>::max() / 1'000'000;

// A LangSmith time: epoch milliseconds as a number, or an ISO 8601 string.
absl::StatusOr<int64_t> ParseTime(const Json& value, std::string_view field) {
  if (value.is_number()) {
    if (value.is_number_integer()) {
      const int64_t ms = value.get<int64_t>();
      if (ms >= 0 && ms <= kMaxEpochMs) return ms * 1'000'000;
    }
    const double ms = value.get<double>();
    if (!(ms >= 0 && ms <= static_cast<double>(kMaxEpochMs))) {
      return absl::InvalidArgumentError(absl::StrCat(Sv(field), ": ", value.dump(),
                                                     " is not a time in epoch milliseconds"));
    }
    // Rounded to the microsecond: 1795314550455.001 is not exact in binary.
    return std::llround(ms * 1000.0) * 1000;
  }
  if (value.is_string()) {
    absl::StatusOr<int64_t> ns = model::ParseTimestamp(value.get_ref<const std::string&>());
    if (!ns.ok()) return absl::InvalidArgumentError(absl::StrCat(Sv(field), ": ", ns.status().message()));
    return TruncateToMicros(*ns);
  }
  return absl::InvalidArgumentError(absl::StrCat(Sv(field), ": not a time"));
}

absl::StatusOr<std::optional<int64_t>> TimeMember(const Json& run, std::string_view key) {
  const Json* v = Member(run, key);
  if (v == nullptr) return std::optional<int64_t>();
  TRACKLY_ASSIGN_OR_RETURN(int64_t ns, ParseTime(*v, key));
  return std::optional<int64_t>(ns);
}

// dotted_order: segments "<YYYYMMDDTHHMMSSffffffZ><run id>" joined by '.', root first.
struct DottedSegment {
  int64_t start_ns = 0;
  std::string run_id;
};

absl::StatusOr<std::vector<DottedSegment>> ParseDottedOrder(std::string_view dotted) {
  std::vector<DottedSegment> out;
  for (absl::string_view piece : absl::StrSplit(Sv(dotted), '.')) {
    const std::string_view segment(piece.data(), piece.size());
    const size_t index = out.size();
    // 8 date digits, 'T', 6 time digits, 1 to 9 fraction digits, 'Z'.
    const size_t z = segment.find('Z');
    bool ok = z != std::string_view::npos && z >= 16 && z <= 24 && segment[8] == 'T';
    for (size_t i = 0; ok && i < z; ++i) {
      if (i != 8 && (segment[i] < '0' || segment[i] > '9')) ok = false;
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dotted_order: segment ", index, " does not start with a YYYYMMDDTHHMMSSffffffZ time"));
    }
    const std::string iso = absl::StrCat(
        Sv(segment.substr(0, 4)), "-", Sv(segment.substr(4, 2)), "-", Sv(segment.substr(6, 2)), "T",
        Sv(segment.substr(9, 2)), ":", Sv(segment.substr(11, 2)), ":", Sv(segment.substr(13, 2)),
        ".", Sv(segment.substr(15, z - 15)), "Z");
    absl::StatusOr<int64_t> ns = model::ParseTimestamp(iso);
    if (!ns.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("dotted_order: segment ", index, ": ", ns.status().message()));
    }
    std::string run_id(segment.substr(z + 1));
    TRACKLY_RETURN_IF_ERROR(CheckId(absl::StrCat("dotted_order segment ", index), run_id));
    out.push_back({TruncateToMicros(*ns), std::move(run_id)});
  }
  return out;
}

// ---- token usage ---------------------------------------------------------------------------

absl::StatusOr<int64_t> Count(const Json& object, std::string_view key, std::string_view path) {
  const Json* v = Member(object, key);
  if (v == nullptr) return 0;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_float() && v->get<double>() == static_cast<double>(static_cast<int64_t>(v->get<double>()))) {
    return static_cast<int64_t>(v->get<double>());
  }
  return absl::InvalidArgumentError(absl::StrCat(Sv(path), ".", Sv(key), ": not a whole number"));
}

absl::StatusOr<std::optional<double>> Amount(const Json& object, std::string_view key,
                                             std::string_view path) {
  const Json* v = Member(object, key);
  if (v == nullptr) return std::optional<double>();
  if (!v->is_number()) {
    return absl::InvalidArgumentError(absl::StrCat(Sv(path), ".", Sv(key), ": not a number"));
  }
  return std::optional<double>(v->get<double>());
}

struct FoundUsage {
  model::Usage usage;
  std::optional<model::Cost> cost;
};

void CompleteTotal(model::Usage& usage) {
  if (usage.total_tokens == 0) usage.total_tokens = usage.input_tokens + usage.output_tokens;
}

// LangChain's usage_metadata: {input_tokens, output_tokens, total_tokens,
// input_token_details{cache_read, cache_creation}, output_token_details{reasoning},
// input_cost?, output_cost?, total_cost?}. Its input includes cached tokens and its output
// reasoning tokens, which is what model::Usage means.
absl::StatusOr<FoundUsage> FromUsageMetadata(const Json& u, std::string_view path) {
  if (!u.is_object()) return absl::InvalidArgumentError(absl::StrCat(Sv(path), ": not an object"));
  FoundUsage out;
  TRACKLY_ASSIGN_OR_RETURN(out.usage.input_tokens, Count(u, "input_tokens", path));
  TRACKLY_ASSIGN_OR_RETURN(out.usage.output_tokens, Count(u, "output_tokens", path));
  TRACKLY_ASSIGN_OR_RETURN(out.usage.total_tokens, Count(u, "total_tokens", path));
  if (const Json* in = Member(u, "input_token_details")) {
    const std::string in_path = absl::StrCat(Sv(path), ".input_token_details");
    TRACKLY_ASSIGN_OR_RETURN(out.usage.cache_read_tokens, Count(*in, "cache_read", in_path));
    TRACKLY_ASSIGN_OR_RETURN(out.usage.cache_write_tokens, Count(*in, "cache_creation", in_path));
  }
  if (const Json* o = Member(u, "output_token_details")) {
    const std::string out_path = absl::StrCat(Sv(path), ".output_token_details");
    TRACKLY_ASSIGN_OR_RETURN(out.usage.reasoning_tokens, Count(*o, "reasoning", out_path));
  }
  CompleteTotal(out.usage);
  TRACKLY_ASSIGN_OR_RETURN(std::optional<double> input_cost, Amount(u, "input_cost", path));
  TRACKLY_ASSIGN_OR_RETURN(std::optional<double> output_cost, Amount(u, "output_cost", path));
  TRACKLY_ASSIGN_OR_RETURN(std::optional<double> total_cost, Amount(u, "total_cost", path));
  if (input_cost || output_cost || total_cost) {
    model::Cost cost;
    cost.input = input_cost.value_or(0);
    cost.output = output_cost.value_or(0);
    cost.total = total_cost.value_or(cost.input + cost.output);
    cost.source = model::CostSource::kProvided;
    out.cost = cost;
  }
  return out;
}

// OpenAI's usage: {prompt_tokens, completion_tokens, total_tokens,
// prompt_tokens_details{cached_tokens}, completion_tokens_details{reasoning_tokens}}.
absl::StatusOr<FoundUsage> FromOpenAiUsage(const Json& u, std::string_view path) {
  if (!u.is_object()) return absl::InvalidArgumentError(absl::StrCat(Sv(path), ": not an object"));
  FoundUsage out;
  TRACKLY_ASSIGN_OR_RETURN(out.usage.input_tokens, Count(u, "prompt_tokens", path));
  TRACKLY_ASSIGN_OR_RETURN(out.usage.output_tokens, Count(u, "completion_tokens", path));
  TRACKLY_ASSIGN_OR_RETURN(out.usage.total_tokens, Count(u, "total_tokens", path));
  if (const Json* in = Member(u, "prompt_tokens_details")) {
    TRACKLY_ASSIGN_OR_RETURN(out.usage.cache_read_tokens,
                             Count(*in, "cached_tokens", absl::StrCat(Sv(path), ".prompt_tokens_details")));
  }
  if (const Json* o = Member(u, "completion_tokens_details")) {
    TRACKLY_ASSIGN_OR_RETURN(out.usage.reasoning_tokens,
                             Count(*o, "reasoning_tokens", absl::StrCat(Sv(path), ".completion_tokens_details")));
  }
  CompleteTotal(out.usage);
  return out;
}

// usage_metadata of the first LangChain generation that has one: outputs.generations is a list
// (one per prompt) of lists (one per candidate) of {text, message}; the message is either
// serialized ({lc, kwargs: {usage_metadata}}) or plain ({usage_metadata}).
const Json* MessageUsageMetadata(const Json& generation) {
  const Json* message = Member(generation, "message");
  if (message == nullptr) return nullptr;
  if (const Json* kwargs = Member(*message, "kwargs")) {
    if (const Json* u = Member(*kwargs, "usage_metadata")) return u;
  }
  return Member(*message, "usage_metadata");
}

const Json* GenerationUsageMetadata(const Json& generations) {
  if (!generations.is_array()) return nullptr;
  for (const Json& entry : generations) {
    if (entry.is_object()) {  // a flat list of generations
      if (const Json* u = MessageUsageMetadata(entry)) return u;
      continue;
    }
    if (!entry.is_array()) continue;
    for (const Json& generation : entry) {
      if (const Json* u = MessageUsageMetadata(generation)) return u;
    }
  }
  return nullptr;
}

// Token usage from the first place that has it, in the order of wire-formats.md §7/§8.2, then
// an OpenAI response's own "usage" (a traceable around a raw OpenAI call returns the response).
absl::StatusOr<std::optional<FoundUsage>> FindUsage(const Json* outputs, const Json* metadata) {
  using Found = std::optional<FoundUsage>;
  // traceable wraps a non-object return value as {"outputs": value}; RunTree users do the same
  // by hand, so the usage of a wrapped object counts as the run's.
  const Json* unwrapped = nullptr;
  if (outputs != nullptr && outputs->is_object() && outputs->size() == 1) {
    unwrapped = Member(*outputs, "outputs");
  }
  for (const Json* out : {outputs, unwrapped}) {
    if (out == nullptr) continue;
    if (const Json* u = Member(*out, "usage_metadata")) {
      TRACKLY_ASSIGN_OR_RETURN(FoundUsage f, FromUsageMetadata(*u, "outputs.usage_metadata"));
      return Found(f);
    }
  }
  if (metadata != nullptr) {
    if (const Json* u = Member(*metadata, "usage_metadata")) {
      TRACKLY_ASSIGN_OR_RETURN(FoundUsage f, FromUsageMetadata(*u, "extra.metadata.usage_metadata"));
      return Found(f);
    }
  }
  for (const Json* out : {outputs, unwrapped}) {
    if (out == nullptr) continue;
    if (const Json* generations = Member(*out, "generations")) {
      if (const Json* u = GenerationUsageMetadata(*generations)) {
        TRACKLY_ASSIGN_OR_RETURN(FoundUsage f,
                                 FromUsageMetadata(*u, "outputs.generations[].message.usage_metadata"));
        return Found(f);
      }
    }
    if (const Json* llm_output = Member(*out, "llm_output")) {
      for (std::string_view key : {"token_usage", "usage"}) {
        if (const Json* u = Member(*llm_output, key)) {
          TRACKLY_ASSIGN_OR_RETURN(FoundUsage f,
                                   FromOpenAiUsage(*u, absl::StrCat("outputs.llm_output.", Sv(key))));
          return Found(f);
        }
      }
    }
    if (const Json* u = Member(*out, "usage"); u != nullptr && Member(*u, "prompt_tokens")) {
      TRACKLY_ASSIGN_OR_RETURN(FoundUsage f, FromOpenAiUsage(*u, "outputs.usage"));
      return Found(f);
    }
  }
  return Found();
}

// ---- other fields --------------------------------------------------------------------------

// run_type → observation type. "llm" covers chat models too. Types the model has no word for
// (prompt, parser, anything newer) are spans, and the run_type stays in attributes.
model::ObservationType TypeOf(std::string_view run_type, bool& exact) {
  exact = true;
  if (run_type == "llm") {
    exact = false;
    return model::ObservationType::kGeneration;
  }
  model::ObservationType type;
  if (run_type != "span" && run_type != "generation" && model::ParseObservationType(run_type, &type)) {
    return type;
  }
  exact = false;
  return model::ObservationType::kSpan;
}

// "TypeError: boom" → "TypeError"; Python's "ValueError('boom')" → "ValueError". Empty when the
// text does not start with a class-like name.
std::string ErrorTypeOf(std::string_view error) {
  size_t n = 0;
  while (n < error.size() && n < 100 &&
         (absl::ascii_isalnum(error[n]) || error[n] == '_' || error[n] == '.')) {
    ++n;
  }
  if (n == 0 || !absl::ascii_isalpha(error[0]) || n >= error.size()) return "";
  if (error[n] != ':' && error[n] != '(') return "";
  return std::string(error.substr(0, n));
}

// First non-empty string among metadata[keys...].
std::string FirstString(const Json* metadata, std::initializer_list<std::string_view> keys) {
  if (metadata == nullptr) return "";
  for (std::string_view key : keys) {
    const Json* v = Member(*metadata, key);
    if (v != nullptr && v->is_string() && !v->get_ref<const std::string&>().empty()) {
      return v->get<std::string>();
    }
  }
  return "";
}

// Top-level run keys the mapping reads; every other key is kept in attributes.
bool IsMappedKey(std::string_view key) {
  static constexpr std::string_view kMapped[] = {
      "id",           "name",        "run_type",   "start_time", "end_time",     "inputs",
      "outputs",      "error",       "extra",      "events",     "tags",         "trace_id",
      "parent_run_id", "dotted_order", "session_name", "session_id", "child_runs", "serialized",
      "revision_id",  "attachments"};
  for (std::string_view k : kMapped) {
    if (k == key) return true;
  }
  return false;
}

absl::Status DecodeEvents(const Json& events, ObservationFragment& f) {
  if (!events.is_array()) return absl::InvalidArgumentError("events: not an array");
  model::Observation& o = f.observation;
  for (size_t i = 0; i < events.size(); ++i) {
    const Json& e = events[i];
    const std::string path = absl::StrCat("events[", i, "]");
    if (!e.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": not an object"));
    model::Event event;
    TRACKLY_ASSIGN_OR_RETURN(const std::string* name, StringMember(e, "name"));
    if (name != nullptr) event.name = *name;
    if (const Json* time = Member(e, "time")) {
      TRACKLY_ASSIGN_OR_RETURN(event.time_ns, ParseTime(*time, absl::StrCat(path, ".time")));
    }
    for (const auto& [key, value] : e.items()) {
      if (key == "name" || key == "time") continue;
      if (key == "kwargs" && value.is_object()) {
        for (const auto& [k, v] : value.items()) event.attributes[k] = v;
      } else {
        event.attributes[key] = value;
      }
    }
    // The first streamed token is the time to first token.
    if (event.name == "new_token" && event.time_ns > 0 &&
        (o.completion_start_time_ns == 0 || event.time_ns < o.completion_start_time_ns)) {
      o.completion_start_time_ns = event.time_ns;
      f.fields |= model::kFieldCompletionStart;
    }
    o.events.push_back(std::move(event));
  }
  if (!o.events.empty()) f.fields |= model::kFieldEvents;
  return absl::OkStatus();
}

// extra.metadata and extra.invocation_params → model, provider, parameters, trace hints.
absl::Status DecodeExtra(const Json& extra, const Json* inputs, const Json* outputs,
                         ObservationFragment& f) {
  if (!extra.is_object()) return absl::InvalidArgumentError("extra: not an object");
  model::Observation& o = f.observation;
  const Json* metadata = Member(extra, "metadata");
  if (metadata != nullptr && !metadata->is_object()) {
    return absl::InvalidArgumentError("extra.metadata: not an object");
  }
  const Json* invocation = Member(extra, "invocation_params");
  if (invocation != nullptr && !invocation->is_object()) invocation = nullptr;

  // Model and provider; the request's / response's own "model" as the last resort for llm runs.
  std::string model_name = FirstString(metadata, {"ls_model_name"});
  if (model_name.empty()) model_name = FirstString(invocation, {"model", "model_name"});
  if (model_name.empty() && metadata != nullptr) {
    model_name = FirstString(Member(*metadata, "ls_invocation_params"), {"model", "model_name"});
  }
  if (model_name.empty() && o.type == model::ObservationType::kGeneration && (f.fields & model::kFieldType)) {
    model_name = FirstString(outputs, {"model"});
    if (model_name.empty()) model_name = FirstString(inputs, {"model"});
  }
  o.provider = FirstString(metadata, {"ls_provider"});
  if (!model_name.empty() || !o.provider.empty()) {
    o.model = std::move(model_name);
    f.fields |= model::kFieldModel;
  }

  // Parameters: the invocation params, overridden by the ls_* keys LangChain normalizes.
  Json params = Json::object();
  if (metadata != nullptr) {
    if (const Json* p = Member(*metadata, "ls_invocation_params"); p && p->is_object()) params.update(*p);
  }
  if (invocation != nullptr) params.update(*invocation);
  if (metadata != nullptr) {
    for (auto [ls_key, key] : {std::pair<std::string_view, std::string_view>{"ls_temperature", "temperature"},
                               {"ls_max_tokens", "max_tokens"},
                               {"ls_stop", "stop"}}) {
      if (const Json* v = Member(*metadata, ls_key)) params[std::string(key)] = *v;
    }
  }
  if (!params.empty()) {
    o.model_parameters = std::move(params);
    f.fields |= model::kFieldModelParameters;
  }

  if (metadata != nullptr) {
    Json kept = *metadata;
    kept.erase("usage_metadata");  // mapped to usage
    if (!kept.empty()) {
      o.metadata = std::move(kept);
      f.fields |= model::kFieldMetadata;
    }
    // Threads are grouped by session_id, thread_id or conversation_id (§7).
    o.trace_hints.session_id = FirstString(metadata, {"session_id", "thread_id", "conversation_id"});
    if (!o.trace_hints.session_id.empty()) f.fields |= model::kFieldSessionId;
    o.trace_hints.user_id = FirstString(metadata, {"user_id"});
    if (!o.trace_hints.user_id.empty()) f.fields |= model::kFieldUserId;
  }

  // The rest of extra (runtime, …) is kept as sent.
  Json rest = extra;
  rest.erase("metadata");
  rest.erase("invocation_params");
  if (!rest.empty()) {
    o.attributes["extra"] = std::move(rest);
    f.fields |= model::kFieldAttributes;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ObservationFragment> RunDecoder::DecodeRun(const Json& run,
                                                          RunOperation operation) const {
  if (!run.is_object()) return absl::InvalidArgumentError("run: not an object");
  const bool post = operation == RunOperation::kPost;
  ObservationFragment f;
  f.kind = post ? model::FragmentKind::kCreate : model::FragmentKind::kUpdate;
  model::Observation& o = f.observation;

  TRACKLY_ASSIGN_OR_RETURN(o.id, IdMember(run, "id"));
  if (o.id.empty()) return absl::InvalidArgumentError("id: missing");
  TRACKLY_ASSIGN_OR_RETURN(o.trace_id, IdMember(run, "trace_id"));
  TRACKLY_ASSIGN_OR_RETURN(o.parent_id, IdMember(run, "parent_run_id"));

  // dotted_order gives the trace (first segment), the parent (second to last) and the start
  // time (last) where the explicit fields are missing.
  TRACKLY_ASSIGN_OR_RETURN(const std::string* dotted, StringMember(run, "dotted_order"));
  std::optional<int64_t> dotted_start;
  bool parent_known = !o.parent_id.empty();
  if (dotted != nullptr) {
    TRACKLY_ASSIGN_OR_RETURN(std::vector<DottedSegment> segments, ParseDottedOrder(*dotted));
    if (segments.back().run_id != o.id) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dotted_order: its last segment names run ", segments.back().run_id, ", not this run"));
    }
    if (o.trace_id.empty()) o.trace_id = segments.front().run_id;
    if (o.parent_id.empty() && segments.size() > 1) o.parent_id = segments[segments.size() - 2].run_id;
    dotted_start = segments.back().start_ns;
    parent_known = true;
  }
  if (post && o.trace_id.empty()) {
    // A post with neither trace_id nor dotted_order (POST /runs from older clients): a root run
    // is its own trace; a child's trace cannot be known.
    if (!o.parent_id.empty()) {
      return absl::InvalidArgumentError("trace_id: missing (needed for a child run without dotted_order)");
    }
    o.trace_id = o.id;
  }
  // A post states the parent even when it has none (a root); a patch only when it says so.
  if (post || parent_known) f.fields |= model::kFieldParent;

  TRACKLY_ASSIGN_OR_RETURN(const std::string* name, StringMember(run, "name"));
  if (name != nullptr) {
    o.name = *name;
    f.fields |= model::kFieldName;
  }
  TRACKLY_ASSIGN_OR_RETURN(const std::string* run_type, StringMember(run, "run_type"));
  if (run_type != nullptr) {
    bool exact = true;
    o.type = TypeOf(*run_type, exact);
    f.fields |= model::kFieldType;
    if (!exact) {
      o.attributes["run_type"] = *run_type;
      f.fields |= model::kFieldAttributes;
    }
  }

  TRACKLY_ASSIGN_OR_RETURN(std::optional<int64_t> start, TimeMember(run, "start_time"));
  if (!start) start = dotted_start;
  if (start) {
    o.start_time_ns = *start;
    f.fields |= model::kFieldStartTime;
  }
  TRACKLY_ASSIGN_OR_RETURN(std::optional<int64_t> end, TimeMember(run, "end_time"));
  if (end) {
    o.end_time_ns = *end;
    f.fields |= model::kFieldEndTime;
  }

  const Json* inputs = Member(run, "inputs");
  if (inputs != nullptr) {
    o.input = *inputs;
    f.fields |= model::kFieldInput;
  }
  const Json* outputs = Member(run, "outputs");
  if (outputs != nullptr) {
    o.output = *outputs;
    f.fields |= model::kFieldOutput;
  }

  // Status: an error makes the run failed; otherwise a run that ended succeeded.
  if (const Json* error = Member(run, "error")) {
    std::string text = error->is_string() ? error->get<std::string>() : model::DumpJson(*error);
    if (!text.empty()) {
      o.status = model::Status::kError;
      o.error_type = ErrorTypeOf(text);
      o.status_message = std::move(text);
      f.fields |= model::kFieldStatus;
    }
  }
  if (!(f.fields & model::kFieldStatus) && end) {
    o.status = model::Status::kOk;
    f.fields |= model::kFieldStatus;
  }

  static const Json* const kNoExtra = new Json(Json::object());
  const Json* extra = Member(run, "extra");
  if (extra == nullptr) extra = kNoExtra;
  TRACKLY_RETURN_IF_ERROR(DecodeExtra(*extra, inputs, outputs, f));
  const Json* metadata = Member(*extra, "metadata");
  TRACKLY_ASSIGN_OR_RETURN(std::optional<FoundUsage> usage, FindUsage(outputs, metadata));
  if (usage) {
    o.usage = usage->usage;
    f.fields |= model::kFieldUsage;
    if (usage->cost) {
      o.cost = *usage->cost;
      f.fields |= model::kFieldCost;
    }
  }
  if (const Json* events = Member(run, "events")) TRACKLY_RETURN_IF_ERROR(DecodeEvents(*events, f));

  // Tags are per run; the trace's tags are its root run's (the run whose id is the trace id), as
  // in LangSmith. A child run's tags (LangChain adds "seq:step:N" to every step of a sequence)
  // stay on that observation, in attributes.
  if (const Json* tags = Member(run, "tags")) {
    if (!tags->is_array()) return absl::InvalidArgumentError("tags: not an array");
    for (size_t i = 0; i < tags->size(); ++i) {
      if (!(*tags)[i].is_string()) {
        return absl::InvalidArgumentError(absl::StrCat("tags[", i, "]: not a string"));
      }
    }
    if (o.id == o.trace_id) {
      for (const Json& tag : *tags) o.trace_hints.tags.push_back(tag.get<std::string>());
      f.fields |= model::kFieldTags;
    } else if (!tags->empty()) {
      o.attributes["tags"] = *tags;
      f.fields |= model::kFieldAttributes;
    }
  }
  TRACKLY_ASSIGN_OR_RETURN(const std::string* revision, StringMember(run, "revision_id"));
  if (revision != nullptr) {
    o.release = *revision;
    f.fields |= model::kFieldRelease;
  }

  // Whatever else the client sent stays visible in attributes. session_name / session_id name a
  // LangSmith project, which here always comes from the credential, so they are dropped.
  for (const auto& [key, value] : run.items()) {
    if (IsMappedKey(key) || value.is_null()) continue;
    o.attributes[key] = value;
    f.fields |= model::kFieldAttributes;
  }
  if (const Json* serialized = Member(run, "serialized"); serialized && !serialized->empty()) {
    o.attributes["serialized"] = *serialized;
    f.fields |= model::kFieldAttributes;
  }

  // The merge orders a run's fragments by event time: a post by its start, a patch by its end.
  f.event_time_ns = post ? o.start_time_ns : (end ? *end : o.start_time_ns);
  // A client retry repeats the same operation at the same time, so that identifies it.
  f.event_id = absl::StrCat(post ? "post." : "patch.", o.id, "@", f.event_time_ns);
  return f;
}

void RunDecoder::DecodeRuns(std::vector<Json>&& runs, RunOperation operation, RunBatch& out) const {
  const std::string_view op_name = operation == RunOperation::kPost ? "post" : "patch";
  // A work list instead of recursion for nested child_runs (old clients post a whole tree).
  std::vector<Json> pending = std::move(runs);
  std::reverse(pending.begin(), pending.end());
  size_t index = 0;
  while (!pending.empty()) {
    Json run = std::move(pending.back());
    pending.pop_back();
    const Json* id = Member(run, "id");
    std::string run_id = id != nullptr && id->is_string() ? id->get<std::string>() : "";
    absl::StatusOr<ObservationFragment> fragment = DecodeRun(run, operation);
    if (!fragment.ok()) {
      std::string who = run_id.empty() ? absl::StrCat(Sv(op_name), "[", index, "]")
                                       : absl::StrCat("run ", run_id);
      out.errors.push_back({run_id, absl::StrCat(who, ": ", fragment.status().message())});
    } else {
      if (const Json* children = Member(run, "child_runs"); children && children->is_array()) {
        for (auto it = children->rbegin(); it != children->rend(); ++it) {
          Json child = *it;
          if (child.is_object()) {
            if (!Member(child, "parent_run_id")) child["parent_run_id"] = fragment->observation.id;
            if (!Member(child, "trace_id")) child["trace_id"] = fragment->observation.trace_id;
          }
          pending.push_back(std::move(child));
        }
      }
      out.fragments.push_back(*std::move(fragment));
    }
    ++index;
  }
}

absl::StatusOr<RunBatch> RunDecoder::DecodeBatch(std::string_view body) const {
  TRACKLY_ASSIGN_OR_RETURN(Json parsed, ParseJson(body, limits_.max_nesting_depth));
  if (!parsed.is_object()) return absl::InvalidArgumentError("body: not a JSON object");
  RunBatch out;
  for (auto [key, operation] : {std::pair<std::string_view, RunOperation>{"post", RunOperation::kPost},
                                {"patch", RunOperation::kPatch}}) {
    Json* runs = parsed.contains(key) ? &parsed[std::string(key)] : nullptr;
    if (runs == nullptr || runs->is_null()) continue;
    if (!runs->is_array()) return absl::InvalidArgumentError(absl::StrCat(Sv(key), ": not an array"));
    DecodeRuns(std::move(runs->get_ref<Json::array_t&>()), operation, out);
  }
  return out;
}

absl::StatusOr<RunBatch> RunDecoder::DecodeOne(std::string_view body, RunOperation operation,
                                               std::string_view path_run_id) const {
  TRACKLY_ASSIGN_OR_RETURN(Json run, ParseJson(body, limits_.max_nesting_depth));
  if (!run.is_object()) return absl::InvalidArgumentError("body: not a JSON object");
  if (!path_run_id.empty()) {
    const Json* id = Member(run, "id");
    if (id == nullptr) {
      run["id"] = std::string(path_run_id);
    } else if (!id->is_string() || id->get_ref<const std::string&>() != path_run_id) {
      return absl::InvalidArgumentError(absl::StrCat(
          "id: the body names run ", id->dump(), " but the path names ", Sv(path_run_id)));
    }
  }
  RunBatch out;
  std::vector<Json> runs;
  runs.push_back(std::move(run));
  DecodeRuns(std::move(runs), operation, out);
  return out;
}

absl::StatusOr<model::Score> RunDecoder::DecodeFeedback(const Json& feedback) const {
  if (!feedback.is_object()) return absl::InvalidArgumentError("feedback: not a JSON object");
  model::Score score;
  absl::StatusOr<std::string> id = IdMember(feedback, "id");
  if (!id.ok()) return absl::InvalidArgumentError(absl::StrCat("feedback: ", id.status().message()));
  if (id->empty()) return absl::InvalidArgumentError("feedback: id: required");
  score.id = *std::move(id);
  absl::Status status = [&]() -> absl::Status {
    TRACKLY_ASSIGN_OR_RETURN(score.observation_id, IdMember(feedback, "run_id"));
    TRACKLY_ASSIGN_OR_RETURN(score.trace_id, IdMember(feedback, "trace_id"));
    if (score.observation_id.empty() && score.trace_id.empty()) {
      return absl::InvalidArgumentError("run_id: required (feedback on a project, not a run, is not kept)");
    }
    TRACKLY_ASSIGN_OR_RETURN(const std::string* key, StringMember(feedback, "key"));
    if (key == nullptr || key->empty()) return absl::InvalidArgumentError("key: required");
    score.name = *key;
    if (const Json* value = Member(feedback, "score"); value != nullptr) {
      if (!value->is_number() && !value->is_boolean()) {
        return absl::InvalidArgumentError(absl::StrCat("score: not a number or a boolean, got ", value->type_name()));
      }
      score.value = *value;
    } else if (const Json* value = Member(feedback, "value"); value != nullptr) {
      score.value = value->is_structured() ? Json(model::DumpJson(*value)) : *value;
    } else {
      return absl::InvalidArgumentError("score or value: required");
    }
    TRACKLY_ASSIGN_OR_RETURN(const std::string* comment, StringMember(feedback, "comment"));
    if (comment != nullptr) score.comment = *comment;
    score.source = "api";
    if (const Json* source = Member(feedback, "feedback_source"); source != nullptr) {
      TRACKLY_ASSIGN_OR_RETURN(const std::string* type, StringMember(*source, "type"));
      if (type != nullptr && !type->empty()) score.source = *type;
    }
    TRACKLY_ASSIGN_OR_RETURN(std::optional<int64_t> created, TimeMember(feedback, "created_at"));
    score.time_ns = created.value_or(0);
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("feedback ", score.id, ": ", status.message()));
  }
  return score;
}

absl::StatusOr<model::Score> RunDecoder::DecodeFeedbackBody(std::string_view body) const {
  absl::StatusOr<Json> feedback = ParseJson(body, limits_.max_nesting_depth);
  if (!feedback.ok()) return absl::InvalidArgumentError(absl::StrCat("feedback: ", feedback.status().message()));
  return DecodeFeedback(*feedback);
}

absl::StatusOr<RunBatch> RunDecoder::DecodeMultipart(std::string_view body,
                                                     std::string_view content_type) const {
  TRACKLY_ASSIGN_OR_RETURN(std::string_view boundary, MultipartBoundary(content_type));
  TRACKLY_ASSIGN_OR_RETURN(std::vector<FormPart> parts,
                           ParseMultipartFormData(body, boundary, multipart_));
  RunBatch out;
  // Runs assembled from their parts, per operation, in the order their first part came.
  struct Assembled {
    std::string id;
    Json run = Json::object();
    std::string error;  // the first problem with one of its parts
  };
  std::vector<Assembled> runs[2];
  absl::flat_hash_map<std::string, size_t> index[2];
  auto assembled = [&](RunOperation op, std::string_view id) -> Assembled& {
    const int k = static_cast<int>(op);
    auto [it, inserted] = index[k].try_emplace(std::string(id), runs[k].size());
    if (inserted) runs[k].push_back({std::string(id)});
    return runs[k][it->second];
  };

  for (const FormPart& part : parts) {
    std::vector<std::string_view> name;
    for (absl::string_view piece : absl::StrSplit(Sv(part.name), absl::MaxSplits('.', 2))) {
      name.emplace_back(piece.data(), piece.size());
    }
    std::optional<RunOperation> op;
    if (name[0] == "post") op = RunOperation::kPost;
    if (name[0] == "patch") op = RunOperation::kPatch;
    if (name[0] == "feedback" && name.size() == 2) {
      absl::StatusOr<Json> feedback = ParseJson(part.body, limits_.max_nesting_depth);
      if (!feedback.ok() || !feedback->is_object()) {
        out.errors.push_back({std::string(name[1]), absl::StrCat("feedback ", Sv(name[1]), ": ",
                                                                 feedback.ok() ? "not an object" : feedback.status().message())});
        continue;
      }
      // The part is named after the feedback's id; a body without one takes it from the name.
      if (Member(*feedback, "id") == nullptr) (*feedback)["id"] = std::string(name[1]);
      absl::StatusOr<model::Score> score = DecodeFeedback(*feedback);
      if (!score.ok()) {
        out.errors.push_back({std::string(name[1]), std::string(score.status().message())});
      } else {
        out.scores.push_back(*std::move(score));
      }
      continue;
    }
    bool known_field = name.size() == 2;
    if (name.size() == 3) {
      for (std::string_view field : kSeparateFields) known_field |= name[2] == field;
    }
    if (!op || !known_field || name[1].empty()) {
      ++out.ignored_parts;  // attachments and names this server does not know
      continue;
    }
    Assembled& run = assembled(*op, name[1]);
    if (!run.error.empty()) continue;
    absl::StatusOr<Json> value = ParseJson(part.body, limits_.max_nesting_depth);
    if (!value.ok()) {
      run.error = absl::StrCat(Sv(part.name), ": ", value.status().message());
      continue;
    }
    if (name.size() == 3) {
      run.run[std::string(name[2])] = *std::move(value);
    } else if (!value->is_object()) {
      run.error = absl::StrCat(Sv(part.name), ": not a JSON object");
    } else {
      for (auto& [key, v] : value->items()) run.run[key] = std::move(v);
    }
  }

  for (RunOperation op : {RunOperation::kPost, RunOperation::kPatch}) {
    std::vector<Json> good;
    for (Assembled& run : runs[static_cast<int>(op)]) {
      const Json* id = Member(run.run, "id");
      if (run.error.empty() && id == nullptr) run.run["id"] = run.id;
      if (run.error.empty() && id != nullptr && !(id->is_string() && id->get_ref<const std::string&>() == run.id)) {
        run.error = absl::StrCat("id: the part names run ", run.id, " but its JSON says ", id->dump());
      }
      if (!run.error.empty()) {
        out.errors.push_back({run.id, absl::StrCat("run ", run.id, ": ", run.error)});
        continue;
      }
      good.push_back(std::move(run.run));
    }
    DecodeRuns(std::move(good), op, out);
  }
  return out;
}

}  // namespace trackly::ingest::langsmith
