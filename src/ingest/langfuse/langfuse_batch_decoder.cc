#include "ingest/langfuse/langfuse_batch_decoder.h"

#include <initializer_list>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "ingest/langfuse/langfuse_usage.h"
#include "model/time_format.h"

namespace trackly::ingest::langfuse {
namespace {

using model::Json;
using model::ObservationFragment;
using model::ObservationType;

enum class EventClass { kTrace, kObservation, kScore, kLog };

struct EventKind {
  EventClass event_class;
  model::FragmentKind fragment_kind = model::FragmentKind::kCreate;
  // The observation type the event type implies; nullopt: none (span-update may update any
  // type; legacy observation-* events carry it in body.type).
  std::optional<ObservationType> type;
  bool legacy = false;  // observation-create / observation-update
};

std::optional<EventKind> Classify(std::string_view type) {
  using K = model::FragmentKind;
  using T = ObservationType;
  static const auto* kinds = new std::vector<std::pair<std::string_view, EventKind>>{
      {"trace-create", {EventClass::kTrace}},
      {"span-create", {EventClass::kObservation, K::kCreate, T::kSpan}},
      {"span-update", {EventClass::kObservation, K::kUpdate, std::nullopt}},
      {"generation-create", {EventClass::kObservation, K::kCreate, T::kGeneration}},
      // A generation-update names what it updates; saying so lets the normalizer treat its
      // output as chat content.
      {"generation-update", {EventClass::kObservation, K::kUpdate, T::kGeneration}},
      {"event-create", {EventClass::kObservation, K::kCreate, T::kEvent}},
      {"agent-create", {EventClass::kObservation, K::kCreate, T::kAgent}},
      {"tool-create", {EventClass::kObservation, K::kCreate, T::kTool}},
      {"chain-create", {EventClass::kObservation, K::kCreate, T::kChain}},
      {"retriever-create", {EventClass::kObservation, K::kCreate, T::kRetriever}},
      {"evaluator-create", {EventClass::kObservation, K::kCreate, T::kEvaluator}},
      {"embedding-create", {EventClass::kObservation, K::kCreate, T::kEmbedding}},
      {"guardrail-create", {EventClass::kObservation, K::kCreate, T::kGuardrail}},
      {"observation-create", {EventClass::kObservation, K::kCreate, std::nullopt, true}},
      {"observation-update", {EventClass::kObservation, K::kUpdate, std::nullopt, true}},
      {"score-create", {EventClass::kScore}},
      {"sdk-log", {EventClass::kLog}},
  };
  for (const auto& [name, kind] : *kinds) {
    if (name == type) return kind;
  }
  return std::nullopt;
}

std::string TypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "object";
    case Json::value_t::array: return "array";
    case Json::value_t::string: return "string";
    case Json::value_t::boolean: return "boolean";
    default: return "number";
  }
}

absl::Status WrongType(std::string_view key, std::string_view expected, const Json& value) {
  return absl::InvalidArgumentError(absl::StrCat(Sv(key), ": expected ", Sv(expected), ", got ", TypeName(value)));
}

// The value at `key`, or nullptr when absent or null (Langfuse treats both as "not given").
const Json* Field(const Json& body, std::string_view key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

// A string field: nullopt when not given; numbers are accepted for ids and versions.
absl::StatusOr<std::optional<std::string>> StringField(const Json& body, std::string_view key) {
  const Json* value = Field(body, key);
  if (value == nullptr) return std::nullopt;
  if (value->is_string()) return value->get<std::string>();
  if (value->is_number_integer() || value->is_number_unsigned()) return value->dump();
  return WrongType(key, "a string", *value);
}

absl::StatusOr<std::optional<int64_t>> TimeField(const Json& body, std::string_view key) {
  const Json* value = Field(body, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) return WrongType(key, "an ISO 8601 timestamp", *value);
  absl::StatusOr<int64_t> ns = model::ParseTimestamp(value->get_ref<const std::string&>());
  if (!ns.ok()) return absl::InvalidArgumentError(absl::StrCat(Sv(key), ": ", ns.status().message()));
  return *ns;
}

// Metadata is any JSON in Langfuse; the model keeps an object, so anything else is wrapped.
Json AsObject(const Json& value) { return value.is_object() ? value : Json{{"metadata", value}}; }

// Langfuse's environment rule: lowercase, a leading "langfuse"/"langfuse-"/"langfuse_" removed
// (the prefix is reserved), at most 40 characters of [a-z0-9-_], otherwise "default".
std::string NormalizeEnvironment(std::string_view raw) {
  std::string env = absl::AsciiStrToLower(Sv(raw));
  for (std::string_view prefix : {"langfuse-", "langfuse_", "langfuse"}) {
    if (absl::StartsWith(env, Sv(prefix))) {
      env.erase(0, prefix.size());
      break;
    }
  }
  if (env.size() > 40) env.resize(40);
  if (env.empty()) return "default";
  for (char c : env) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'z') && c != '-' && c != '_') return "default";
  }
  return env;
}

absl::StatusOr<model::Level> ParseLangfuseLevel(const Json& value) {
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s == "DEBUG") return model::Level::kDebug;
    if (s == "DEFAULT") return model::Level::kDefault;
    if (s == "WARNING") return model::Level::kWarning;
    if (s == "ERROR") return model::Level::kError;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("level: expected one of DEBUG, DEFAULT, WARNING, ERROR, got ", value.dump()));
}

absl::StatusOr<ObservationType> ParseLegacyType(const Json& value) {
  static const auto* types = new std::vector<std::pair<std::string_view, ObservationType>>{
      {"SPAN", ObservationType::kSpan},         {"GENERATION", ObservationType::kGeneration},
      {"EVENT", ObservationType::kEvent},       {"AGENT", ObservationType::kAgent},
      {"TOOL", ObservationType::kTool},         {"CHAIN", ObservationType::kChain},
      {"RETRIEVER", ObservationType::kRetriever}, {"EVALUATOR", ObservationType::kEvaluator},
      {"EMBEDDING", ObservationType::kEmbedding}, {"GUARDRAIL", ObservationType::kGuardrail},
  };
  if (value.is_string()) {
    for (const auto& [name, type] : *types) {
      if (name == value.get_ref<const std::string&>()) return type;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("type: unknown observation type ", value.dump()));
}

// Keys of `body` that no mapped field takes go to the observation's attributes, so nothing the
// client sent is lost (version, externalId, public, …). None of them is acted on.
void KeepUnmapped(const Json& body, std::initializer_list<std::string_view> mapped, ObservationFragment& f) {
  for (const auto& [key, value] : body.items()) {
    if (value.is_null()) continue;
    bool is_mapped = false;
    for (std::string_view m : mapped) is_mapped = is_mapped || m == key;
    if (is_mapped) continue;
    f.observation.attributes[key] = value;
    f.fields |= model::kFieldAttributes;
  }
}

absl::Status SetEnvironment(const Json& body, ObservationFragment& f) {
  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> env, StringField(body, "environment"));
  if (env.has_value()) {
    f.observation.environment = NormalizeEnvironment(*env);
    f.fields |= model::kFieldEnvironment;
  }
  return absl::OkStatus();
}

absl::StatusOr<ObservationFragment> DecodeTrace(const Json& body, const std::string& event_id,
                                                std::optional<int64_t> event_ns) {
  using namespace model;  // field mask constants
  ObservationFragment f;
  Observation& o = f.observation;
  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> id, StringField(body, "id"));
  o.id = id.value_or(event_id);
  o.trace_id = o.id;
  o.type = ObservationType::kSpan;
  f.fields |= kFieldType | kFieldParent;  // the root: parent stays empty

  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> name, StringField(body, "name"));
  if (name.has_value()) {
    o.name = *name;
    o.trace_hints.trace_name = *name;
    f.fields |= kFieldName | kFieldTraceName;
  }
  TRACKLY_ASSIGN_OR_RETURN(std::optional<int64_t> start, TimeField(body, "timestamp"));
  if (!start.has_value()) start = event_ns;
  if (start.has_value()) {
    o.start_time_ns = *start;
    f.fields |= kFieldStartTime;
  }
  if (const Json* input = Field(body, "input")) {
    o.input = *input;
    f.fields |= kFieldInput;
  }
  if (const Json* output = Field(body, "output")) {
    o.output = *output;
    f.fields |= kFieldOutput;
  }
  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> session, StringField(body, "sessionId"));
  if (session.has_value()) {
    o.trace_hints.session_id = *session;
    f.fields |= kFieldSessionId;
  }
  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> user, StringField(body, "userId"));
  if (user.has_value()) {
    o.trace_hints.user_id = *user;
    f.fields |= kFieldUserId;
  }
  if (const Json* tags = Field(body, "tags")) {
    if (!tags->is_array()) return WrongType("tags", "an array of strings", *tags);
    for (const Json& tag : *tags) {
      if (!tag.is_string()) return WrongType("tags[]", "a string", tag);
      o.trace_hints.tags.push_back(tag.get<std::string>());
    }
    f.fields |= kFieldTags;
  }
  if (const Json* metadata = Field(body, "metadata")) {
    o.trace_hints.trace_metadata = AsObject(*metadata);
    f.fields |= kFieldTraceMetadata;
  }
  TRACKLY_RETURN_IF_ERROR(SetEnvironment(body, f));
  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> release, StringField(body, "release"));
  if (release.has_value()) {
    o.release = *release;
    f.fields |= kFieldRelease;
  }
  KeepUnmapped(body, {"id", "name", "timestamp", "input", "output", "sessionId", "userId", "tags", "metadata",
                      "environment", "release"},
               f);
  return f;
}

absl::StatusOr<ObservationFragment> DecodeObservation(const Json& body, const EventKind& kind,
                                                      const std::string& event_id, std::optional<int64_t> event_ns) {
  using namespace model;  // field mask constants
  ObservationFragment f;
  f.kind = kind.fragment_kind;
  Observation& o = f.observation;
  const bool create = kind.fragment_kind == FragmentKind::kCreate;

  // Very old clients named the id spanId / generationId.
  std::optional<std::string> id;
  for (std::string_view key : {"id", "spanId", "generationId"}) {
    TRACKLY_ASSIGN_OR_RETURN(id, StringField(body, key));
    if (id.has_value()) break;
  }
  if (!id.has_value() || id->empty()) {
    if (!create) return absl::InvalidArgumentError("id: required on an update");
    id = event_id;
  }
  o.id = *id;

  std::optional<ObservationType> type = kind.type;
  if (kind.legacy) {
    if (const Json* legacy_type = Field(body, "type")) {
      TRACKLY_ASSIGN_OR_RETURN(type, ParseLegacyType(*legacy_type));
    } else if (create) {
      type = ObservationType::kSpan;
    }
  }
  if (type.has_value()) {
    o.type = *type;
    f.fields |= kFieldType;
  }

  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> trace_id, StringField(body, "traceId"));
  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> parent, StringField(body, "parentObservationId"));
  if (trace_id.has_value() && !trace_id->empty()) o.trace_id = *trace_id;
  if (parent.has_value() && !parent->empty()) {
    o.parent_id = *parent;
    f.fields |= kFieldParent;
  } else if (create) {
    // Top-level observations hang under the trace's root (the trace-create observation); one
    // without a trace is the root of a trace of its own, as Langfuse creates one for it.
    if (o.trace_id.empty()) o.trace_id = o.id;
    o.parent_id = o.trace_id == o.id ? "" : o.trace_id;
    f.fields |= kFieldParent;
  }

  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> name, StringField(body, "name"));
  if (name.has_value()) {
    o.name = *name;
    f.fields |= kFieldName;
  }
  TRACKLY_ASSIGN_OR_RETURN(std::optional<int64_t> start, TimeField(body, "startTime"));
  if (!start.has_value() && create) start = event_ns;  // Langfuse's default for a create
  if (start.has_value()) {
    o.start_time_ns = *start;
    f.fields |= kFieldStartTime;
  }
  TRACKLY_ASSIGN_OR_RETURN(std::optional<int64_t> end, TimeField(body, "endTime"));
  if (!end.has_value() && type == ObservationType::kEvent && create) end = start;  // a point in time
  if (end.has_value()) {
    o.end_time_ns = *end;
    f.fields |= kFieldEndTime;
  }
  TRACKLY_ASSIGN_OR_RETURN(std::optional<int64_t> first_token, TimeField(body, "completionStartTime"));
  if (first_token.has_value()) {
    o.completion_start_time_ns = *first_token;
    f.fields |= kFieldCompletionStart;
  }

  const Json* input = Field(body, "input");
  if (input == nullptr) input = Field(body, "prompt");  // pre-v2 spelling
  if (input != nullptr) {
    o.input = *input;
    f.fields |= kFieldInput;
  }
  const Json* output = Field(body, "output");
  if (output == nullptr) output = Field(body, "completion");
  if (output != nullptr) {
    o.output = *output;
    f.fields |= kFieldOutput;
  }
  if (const Json* metadata = Field(body, "metadata")) {
    o.metadata = AsObject(*metadata);
    f.fields |= kFieldMetadata;
  }

  std::optional<Level> level;
  if (const Json* level_json = Field(body, "level")) {
    TRACKLY_ASSIGN_OR_RETURN(level, ParseLangfuseLevel(*level_json));
    o.level = *level;
    f.fields |= kFieldLevel;
  }
  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> status_message, StringField(body, "statusMessage"));
  if (level.has_value() || status_message.has_value()) {
    // Langfuse has only levels; ERROR is what makes an observation an error.
    o.status = level == Level::kError ? Status::kError : Status::kUnset;
    o.status_message = status_message.value_or("");
    f.fields |= kFieldStatus;
  }

  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> model_name, StringField(body, "model"));
  if (model_name.has_value()) {
    o.model = *model_name;
    f.fields |= kFieldModel;
  }
  if (const Json* parameters = Field(body, "modelParameters")) {
    if (!parameters->is_object()) return WrongType("modelParameters", "an object", *parameters);
    o.model_parameters = *parameters;
    f.fields |= kFieldModelParameters;
  }
  {
    absl::StatusOr<std::optional<Usage>> usage = ParseUsage(body);
    if (!usage.ok()) return usage.status();
    if (usage->has_value()) {
      o.usage = **usage;
      f.fields |= kFieldUsage;
    }
    absl::StatusOr<std::optional<Cost>> cost = ParseCost(body);
    if (!cost.ok()) return cost.status();
    if (cost->has_value()) {
      o.cost = **cost;
      f.fields |= kFieldCost;
    }
  }
  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> prompt_name, StringField(body, "promptName"));
  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> prompt_version, StringField(body, "promptVersion"));
  if (prompt_name.has_value()) {
    o.prompt = PromptRef{.name = *prompt_name, .version = prompt_version.value_or("")};
    f.fields |= kFieldPrompt;
  }
  TRACKLY_RETURN_IF_ERROR(SetEnvironment(body, f));
  KeepUnmapped(body, {"id", "spanId", "generationId", "type", "traceId", "parentObservationId", "name",
                      "startTime", "endTime", "completionStartTime", "input", "prompt", "output", "completion",
                      "metadata", "level", "statusMessage", "model", "modelParameters", "usage", "usageDetails",
                      "costDetails", "promptName", "promptVersion", "environment"},
               f);
  return f;
}

absl::StatusOr<model::Score> DecodeScore(const Json& body, const std::string& event_id,
                                         std::optional<int64_t> event_ns) {
  model::Score score;
  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> id, StringField(body, "id"));
  score.id = id.has_value() && !id->empty() ? *id : event_id;
  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> name, StringField(body, "name"));
  if (!name.has_value() || name->empty()) return absl::InvalidArgumentError("name: required");
  score.name = *name;
  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> trace_id, StringField(body, "traceId"));
  if (!trace_id.has_value() || trace_id->empty()) {
    return absl::InvalidArgumentError("traceId: required (scores of sessions or dataset runs are not supported)");
  }
  score.trace_id = *trace_id;
  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> observation_id, StringField(body, "observationId"));
  score.observation_id = observation_id.value_or("");
  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> comment, StringField(body, "comment"));
  score.comment = comment.value_or("");
  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> source, StringField(body, "source"));
  score.source = source.value_or("API");
  TRACKLY_ASSIGN_OR_RETURN(std::optional<int64_t> time, TimeField(body, "timestamp"));
  score.time_ns = time.value_or(event_ns.value_or(0));

  const Json* value = Field(body, "value");
  if (value == nullptr) return absl::InvalidArgumentError("value: required");
  TRACKLY_ASSIGN_OR_RETURN(std::optional<std::string> data_type, StringField(body, "dataType"));
  const std::string type = data_type.value_or("");
  if (type == "BOOLEAN") {
    if (value->is_boolean()) {
      score.value = *value;
    } else if (value->is_number() && (value->get<double>() == 0 || value->get<double>() == 1)) {
      score.value = value->get<double>() == 1;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("value: a BOOLEAN score is 0 or 1, got ", value->dump()));
    }
  } else if (type == "NUMERIC") {
    if (!value->is_number()) return WrongType("value", "a number for a NUMERIC score", *value);
    score.value = *value;
  } else if (type == "CATEGORICAL" || type == "TEXT" || type == "CORRECTION") {
    if (!value->is_string()) return WrongType("value", absl::StrCat("a string for a ", type, " score"), *value);
    score.value = *value;
  } else if (type.empty()) {
    if (!value->is_number() && !value->is_string()) return WrongType("value", "a number or a string", *value);
    score.value = *value;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("dataType: unknown score data type \"", type, "\""));
  }
  return score;
}

// Decodes one element of `batch`; never fails as a whole (the error is the event's).
LangfuseEvent DecodeEvent(const Json& element, size_t index) {
  LangfuseEvent event;
  if (!element.is_object()) {
    event.status = absl::InvalidArgumentError(absl::StrCat("batch[", index, "]: expected an object"));
    return event;
  }
  absl::StatusOr<std::optional<std::string>> id = StringField(element, "id");
  if (id.ok() && id->has_value()) event.id = **id;
  if (event.id.empty()) {
    event.status = absl::InvalidArgumentError(absl::StrCat("batch[", index, "].id: required"));
    return event;
  }
  auto fail = [&event](const absl::Status& status) {
    event.status = absl::InvalidArgumentError(absl::StrCat("event ", event.id, ": ", status.message()));
  };
  const Json* type = Field(element, "type");
  if (type == nullptr || !type->is_string()) {
    fail(absl::InvalidArgumentError("type: required"));
    return event;
  }
  std::optional<EventKind> kind = Classify(type->get_ref<const std::string&>());
  if (!kind.has_value()) {
    fail(absl::InvalidArgumentError(absl::StrCat("type: unsupported event type \"", type->get<std::string>(), "\"")));
    return event;
  }
  if (kind->event_class == EventClass::kLog) return event;  // diagnostics of the SDK: acknowledged
  absl::StatusOr<std::optional<int64_t>> event_ns = TimeField(element, "timestamp");
  if (!event_ns.ok()) {
    fail(event_ns.status());
    return event;
  }
  const Json* body = Field(element, "body");
  if (body == nullptr || !body->is_object()) {
    fail(absl::InvalidArgumentError("body: expected an object"));
    return event;
  }

  if (kind->event_class == EventClass::kScore) {
    absl::StatusOr<model::Score> score = DecodeScore(*body, event.id, *event_ns);
    if (!score.ok()) {
      fail(absl::InvalidArgumentError(absl::StrCat("body.", score.status().message())));
      return event;
    }
    event.score = *std::move(score);
    return event;
  }
  absl::StatusOr<ObservationFragment> fragment = kind->event_class == EventClass::kTrace
                                                     ? DecodeTrace(*body, event.id, *event_ns)
                                                     : DecodeObservation(*body, *kind, event.id, *event_ns);
  if (!fragment.ok()) {
    fail(absl::InvalidArgumentError(absl::StrCat("body.", fragment.status().message())));
    return event;
  }
  fragment->event_id = event.id;
  fragment->event_time_ns = event_ns->value_or(0);
  event.fragment = *std::move(fragment);
  return event;
}

}  // namespace

absl::StatusOr<LangfuseBatch> LangfuseBatchDecoder::Decode(std::string_view body, const DecodeLimits& limits) const {
  // nlohmann's parser is iterative, but the tree it builds is copied recursively: values nested
  // deeper than the limit are dropped while parsing (a callback returning false) and the request
  // is refused, so no deep tree is ever built.
  bool too_deep = false;
  const int max_depth = limits.max_nesting_depth;
  Json::parser_callback_t callback = [&too_deep, max_depth](int depth, Json::parse_event_t event, Json&) {
    if ((event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) &&
        depth >= max_depth) {
      too_deep = true;
      return false;
    }
    return true;
  };
  Json root = Json::parse(body.begin(), body.end(), callback, /*allow_exceptions=*/false);
  if (too_deep) {
    return absl::InvalidArgumentError(absl::StrCat("body: JSON nested deeper than ", max_depth, " levels"));
  }
  if (root.is_discarded()) return absl::InvalidArgumentError("body: not valid JSON");
  if (!root.is_object()) return absl::InvalidArgumentError("body: expected a JSON object with a \"batch\" array");
  auto batch = root.find("batch");
  if (batch == root.end() || !batch->is_array()) {
    return absl::InvalidArgumentError("batch: required, an array of events");
  }
  LangfuseBatch out;
  out.events.reserve(batch->size());
  for (size_t i = 0; i < batch->size(); ++i) out.events.push_back(DecodeEvent((*batch)[i], i));
  return out;
}

}  // namespace trackly::ingest::langfuse
