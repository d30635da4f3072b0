#include "normalize/normalizer.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "model/time_format.h"
#include "normalize/attribute_reader.h"
#include "normalize/chat_messages.h"
#include "normalize/flattened_list.h"

// The mapping below is documented key by key in docs/conventions.md; keep the two in step.

namespace trackly::normalize {
namespace {

using model::Level;
using model::Observation;
using model::ObservationType;
using model::RawSpan;
using model::Status;

constexpr std::string_view kVercelScope = "ai";

std::optional<std::string> NonEmptyString(const Json& value) {
  std::optional<std::string> s = AsString(value);
  if (s && s->empty()) return std::nullopt;
  return s;
}

std::optional<ObservationType> LowercaseType(const Json& value) {
  std::optional<std::string> s = AsString(value);
  if (!s) return std::nullopt;
  absl::AsciiStrToLower(&*s);
  ObservationType type;
  if (!model::ParseObservationType(*s, &type)) return std::nullopt;
  return type;
}

std::optional<ObservationType> OpenInferenceKind(const Json& value) {
  std::optional<std::string> s = AsString(value);
  if (!s) return std::nullopt;
  absl::AsciiStrToUpper(&*s);
  if (*s == "LLM") return ObservationType::kGeneration;
  if (*s == "RERANKER") return ObservationType::kReranker;
  if (*s == "PROMPT") return std::nullopt;  // not an operation kind; later rules decide
  absl::AsciiStrToLower(&*s);
  ObservationType type;
  if (!model::ParseObservationType(*s, &type) || type == ObservationType::kSpan ||
      type == ObservationType::kGeneration || type == ObservationType::kEvent) {
    return std::nullopt;
  }
  return type;
}

std::optional<ObservationType> GenAiOperation(const Json& value) {
  std::optional<std::string> s = AsString(value);
  if (!s) return std::nullopt;
  for (std::string_view op : {"chat", "completion", "text_completion", "generate_content", "generate"}) {
    if (*s == op) return ObservationType::kGeneration;
  }
  if (*s == "embeddings") return ObservationType::kEmbedding;
  if (*s == "invoke_agent" || *s == "create_agent") return ObservationType::kAgent;
  if (*s == "execute_tool") return ObservationType::kTool;
  if (*s == "retrieval") return ObservationType::kRetriever;
  if (*s == "rerank") return ObservationType::kReranker;
  return std::nullopt;
}

std::optional<ObservationType> TraceloopKind(const Json& value) {
  std::optional<std::string> s = AsString(value);
  if (!s) return std::nullopt;
  if (*s == "workflow" || *s == "task") return ObservationType::kChain;
  if (*s == "agent") return ObservationType::kAgent;
  if (*s == "tool") return ObservationType::kTool;
  return std::nullopt;
}

std::optional<ObservationType> LlmRequestType(const Json& value) {
  std::optional<std::string> s = AsString(value);
  if (!s) return std::nullopt;
  if (*s == "chat" || *s == "completion") return ObservationType::kGeneration;
  if (*s == "embedding") return ObservationType::kEmbedding;
  if (*s == "rerank") return ObservationType::kReranker;
  return std::nullopt;
}

bool IsModelCall(ObservationType type) {
  return type == ObservationType::kGeneration || type == ObservationType::kEmbedding ||
         type == ObservationType::kReranker;
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

// Tags as an array, a JSON-array string, or a comma-separated string.
std::optional<std::vector<std::string>> ParseTags(const Json& value) {
  std::vector<std::string> tags;
  Json parsed = ParseIfStructured(value);
  if (parsed.is_array()) {
    for (const Json& t : parsed) {
      if (std::optional<std::string> s = NonEmptyString(t)) tags.push_back(*std::move(s));
    }
  } else if (parsed.is_string()) {
    std::string_view text = parsed.get_ref<const std::string&>();
    for (size_t start = 0; start <= text.size();) {
      size_t comma = std::min(text.find(',', start), text.size());
      std::string_view tag = text.substr(start, comma - start);
      size_t first = tag.find_first_not_of(" \t\r\n");
      if (first != std::string_view::npos) {
        tag = tag.substr(first, tag.find_last_not_of(" \t\r\n") - first + 1);
        tags.emplace_back(tag);
      }
      start = comma + 1;
    }
  }
  if (tags.empty()) return std::nullopt;
  return tags;
}

std::optional<Json> JsonObject(const Json& value) {
  Json parsed = ParseIfStructured(value);
  if (!parsed.is_object()) return std::nullopt;
  return parsed;
}

// Langfuse usage_details: `input` EXCLUDES cached tokens and `output` EXCLUDES reasoning (each
// usage type is priced separately), so the canonical counts are the sums of all input-side and
// all output-side keys. OpenAI-shaped details (prompt_tokens …) already include them.
model::Usage FromLangfuseUsage(const Json& details) {
  model::Usage u;
  auto count = [&](std::string_view key) -> int64_t {
    const Json* v = Member(details, key);
    return v ? AsCount(*v).value_or(0) : 0;
  };
  if (Member(details, "prompt_tokens") || Member(details, "completion_tokens")) {
    u.input_tokens = count("prompt_tokens");
    u.output_tokens = count("completion_tokens");
    u.total_tokens = count("total_tokens");
    if (const Json* d = Member(details, "prompt_tokens_details")) {
      u.cache_read_tokens = AsCount(Member(*d, "cached_tokens") ? *Member(*d, "cached_tokens") : Json()).value_or(0);
    }
    if (const Json* d = Member(details, "completion_tokens_details")) {
      u.reasoning_tokens = AsCount(Member(*d, "reasoning_tokens") ? *Member(*d, "reasoning_tokens") : Json()).value_or(0);
    }
  } else {
    for (const auto& [key, value] : details.items()) {
      std::optional<int64_t> n = AsCount(value);
      if (!n) continue;
      std::string_view k = key;
      bool cache = k.find("cache") != std::string_view::npos;
      if (k == "total") {
        u.total_tokens = *n;
        continue;
      }
      if (cache && (k.find("read") != std::string_view::npos || k.find("cached") != std::string_view::npos)) {
        u.cache_read_tokens = SaturatingAdd(u.cache_read_tokens, *n);
      } else if (cache && (k.find("creation") != std::string_view::npos || k.find("write") != std::string_view::npos)) {
        u.cache_write_tokens = SaturatingAdd(u.cache_write_tokens, *n);
      }
      if (k.find("reasoning") != std::string_view::npos) u.reasoning_tokens = SaturatingAdd(u.reasoning_tokens, *n);
      if (k.starts_with("input") || (cache && !k.starts_with("output"))) {
        u.input_tokens = SaturatingAdd(u.input_tokens, *n);
      } else if (k.starts_with("output")) {
        u.output_tokens = SaturatingAdd(u.output_tokens, *n);
      }
    }
  }
  if (u.total_tokens == 0) u.total_tokens = SaturatingAdd(u.input_tokens, u.output_tokens);
  return u;
}

// Langfuse cost_details: input-side and output-side keys summed, `total` when stated.
model::Cost FromLangfuseCost(const Json& details) {
  model::Cost c;
  bool stated_total = false;
  for (const auto& [key, value] : details.items()) {
    std::optional<double> v = AsDouble(value);
    if (!v || *v < 0) continue;
    std::string_view k = key;
    if (k == "total") {
      c.total = *v;
      stated_total = true;
    } else if (k.starts_with("input") || (k.find("cache") != std::string_view::npos && !k.starts_with("output"))) {
      c.input += *v;
    } else if (k.starts_with("output")) {
      c.output += *v;
    }
  }
  if (!stated_total) c.total = c.input + c.output;
  c.source = model::CostSource::kProvided;
  return c;
}

// Retrieval documents in any spelling → `{id, score, content, metadata}`.
Json ToDocuments(const Json& list) {
  Json out = Json::array();
  if (!list.is_array()) return out;
  for (const Json& raw : list) {
    const Json* wrapped = Member(raw, "document");  // OpenInference
    const Json& doc = wrapped && wrapped->is_object() ? *wrapped : raw;
    if (!doc.is_object()) {
      out.push_back(Json{{"id", nullptr}, {"score", nullptr}, {"content", doc}, {"metadata", Json::object()}});
      continue;
    }
    Json d = Json{{"id", nullptr}, {"score", nullptr}, {"content", nullptr}, {"metadata", Json::object()}};
    Json extra = Json::object();
    for (const auto& [key, value] : doc.items()) {
      if (key == "id") {
        std::optional<std::string> id = AsString(value);
        d["id"] = id ? Json(*id) : value;
      } else if (key == "score") {
        std::optional<double> score = AsDouble(value);
        d["score"] = score ? Json(*score) : value;
      } else if (key == "content" || key == "text" || key == "page_content") {
        if (d["content"].is_null()) d["content"] = value; else extra[key] = value;
      } else if (key == "metadata") {
        Json md = ParseIfStructured(value);
        if (md.is_object()) {
          for (auto& [k, v] : md.items()) d["metadata"][k] = v;
        } else {
          extra[key] = std::move(md);
        }
      } else {
        extra[key] = value;
      }
    }
    for (auto& [k, v] : extra.items()) {
      if (!d["metadata"].contains(k)) d["metadata"][k] = std::move(v);
    }
    out.push_back(std::move(d));
  }
  return out;
}

enum class Direction { kInput, kOutput };

// Maps one span. Not thread-safe; one instance per Normalize call.
class SpanNormalizer {
 public:
  explicit SpanNormalizer(const RawSpan& span)
      : span_(span),
        attrs_(span.attributes),
        resource_(span.scope ? span.scope->resource_attributes : EmptyJson()) {}

  Observation Run() && {
    obs_.id = span_.span_id;
    obs_.trace_id = span_.trace_id;
    obs_.parent_id = span_.parent_span_id;
    obs_.name = span_.name;
    obs_.start_time_ns = span_.start_time_ns;
    obs_.end_time_ns = span_.end_time_ns;
    if (attrs_.TakeFirst({"langfuse.internal.as_root"}, AsBool).value_or(false)) obs_.parent_id.clear();
    vercel_ = (span_.scope && span_.scope->scope_name == kVercelScope) || attrs_.Find("ai.operationId");

    MapType();
    MapName();
    MapModel();
    MapModelParameters();
    MapUsage();
    MapCost();
    MapContent(Direction::kInput);
    MapContent(Direction::kOutput);
    MapTool();
    MapPrompt();
    MapTraceHints();
    MapEnvironment();
    MapStatus();
    MapCompletionStart();
    if (std::optional<int64_t> retries = attrs_.TakeFirst({"trackly.retry_count"}, AsCount)) {
      obs_.retry_count = static_cast<int32_t>(std::clamp<int64_t>(*retries, 0, std::numeric_limits<int32_t>::max()));
    }
    MapMetadata();  // last: its prefix scans skip keys a specific field took
    MapEvents();
    obs_.attributes = attrs_.Leftovers();
    return std::move(obs_);
  }

 private:
  static const Json& EmptyJson() {
    static const Json* const kEmpty = new Json(Json::object());
    return *kEmpty;
  }

  std::optional<std::string> OperationId() const {
    if (const Json* id = attrs_.Find("ai.operationId"); id && id->is_string()) return id->get<std::string>();
    if (const Json* op = attrs_.Find("operation.name"); op && op->is_string()) {
      std::string_view s = op->get_ref<const std::string&>();
      return std::string(s.substr(0, s.find(' ')));
    }
    return std::nullopt;
  }

  std::optional<ObservationType> VercelType() const {
    std::optional<std::string> op = OperationId();
    if (!op || !op->starts_with("ai.")) return std::nullopt;
    for (std::string_view g : {"ai.generateText.doGenerate", "ai.streamText.doStream", "ai.generateObject.doGenerate",
                               "ai.streamObject.doStream"}) {
      if (*op == g) return ObservationType::kGeneration;
    }
    if (*op == "ai.embed.doEmbed" || *op == "ai.embedMany.doEmbed") return ObservationType::kEmbedding;
    if (*op == "ai.toolCall") return ObservationType::kTool;
    return ObservationType::kSpan;
  }

  // §6b "observation type resolution", plus traceloop.span.kind / llm.request.type and
  // OpenInference RERANKER. Signals that agree with the result are consumed as duplicates.
  void MapType() {
    std::optional<ObservationType> type = attrs_.TakeFirst({"trackly.observation.type"}, LowercaseType);
    if (!type) type = attrs_.TakeFirst({"langfuse.observation.type"}, LowercaseType);
    if (!type) type = attrs_.TakeFirst({"openinference.span.kind"}, OpenInferenceKind);
    if (!type) type = attrs_.TakeFirst({"gen_ai.operation.name"}, GenAiOperation);
    if (!type && vercel_) type = VercelType();
    if (!type && (attrs_.Find("gen_ai.tool.name") || attrs_.Find("gen_ai.tool.call.id"))) type = ObservationType::kTool;
    if (!type) type = attrs_.TakeFirst({"traceloop.span.kind"}, TraceloopKind);
    if (!type) type = attrs_.TakeFirst({"llm.request.type"}, LlmRequestType);
    if (!type) {
      for (std::string_view key : {"gen_ai.request.model", "gen_ai.response.model", "llm.model_name", "model"}) {
        if (attrs_.Find(key)) type = ObservationType::kGeneration;
      }
    }
    obs_.type = type.value_or(ObservationType::kSpan);
    auto agrees = [this](auto convert) {
      return [this, convert](const Json& v) -> std::optional<bool> {
        std::optional<ObservationType> t = convert(v);
        if (t == obs_.type) return true;
        return std::nullopt;
      };
    };
    attrs_.TakeFirst({"langfuse.observation.type"}, agrees(LowercaseType));
    attrs_.TakeFirst({"openinference.span.kind"}, agrees(OpenInferenceKind));
    attrs_.TakeFirst({"gen_ai.operation.name"}, agrees(GenAiOperation));
    attrs_.TakeFirst({"traceloop.span.kind"}, agrees(TraceloopKind));
    attrs_.TakeFirst({"llm.request.type"}, agrees(LlmRequestType));
  }

  // Langfuse's name order: gen_ai.tool.name ≥ ai.toolCall.name ≥ functionId:operationId ≥ span name.
  void MapName() {
    if (const Json* n = attrs_.Find("gen_ai.tool.name"); n && n->is_string() && !n->empty()) {
      obs_.name = n->get<std::string>();
      return;
    }
    if (!vercel_) return;
    if (const Json* n = attrs_.Find("ai.toolCall.name"); n && n->is_string() && !n->empty()) {
      obs_.name = n->get<std::string>();
      return;
    }
    const Json* op = attrs_.Find("ai.operationId");
    if (op == nullptr || !op->is_string()) return;
    const Json* fn = attrs_.Take("ai.telemetry.functionId");
    attrs_.Take("ai.operationId");
    obs_.name = fn && fn->is_string() && !fn->empty()
                    ? fn->get<std::string>() + ":" + op->get<std::string>()
                    : op->get<std::string>();
  }

  void MapModel() {
    obs_.model = attrs_
                     .TakeFirst({"langfuse.observation.model.name", "gen_ai.response.model", "ai.response.model",
                                 "ai.model.id", "gen_ai.request.model", "llm.response.model_name",
                                 "llm.response.model", "llm.model_name", "llm.request.model_name",
                                 "embedding.model_name", "reranker.model_name"},
                                NonEmptyString)
                     .value_or("");
    std::optional<std::string> provider = attrs_.TakeFirst(
        {"gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system", "ai.model.provider"}, NonEmptyString);
    if (!provider) return;
    // Vercel's provider ids carry the API flavour ("openai.chat"); the provider is the first part.
    if (const Json* vp = attrs_.Find("ai.model.provider"); vp && vp->is_string() && *vp == *provider) {
      provider->resize(std::min(provider->size(), provider->find('.')));
    }
    obs_.provider = *std::move(provider);
  }

  void CollectParameters(std::string_view prefix, Json& params, std::initializer_list<std::string_view> skip) {
    auto [begin, end] = attrs_.PrefixRange(prefix);
    for (auto it = begin; it != end; ++it) {
      std::string_view name = std::string_view(it->first).substr(prefix.size());
      if (attrs_.IsConsumed(it->first) || name.empty()) continue;
      if (std::any_of(skip.begin(), skip.end(), [&](std::string_view s) { return name == s || name.starts_with(std::string(s) + "."); })) continue;
      if (!params.contains(name)) params[std::string(name)] = it->second;
      attrs_.Consume(it);
    }
  }

  // langfuse.observation.model.parameters ≥ llm.invocation_parameters, completed by the
  // gen_ai.request.* (and for Vercel ai.settings.*) keys with their prefix removed.
  void MapModelParameters() {
    if (std::optional<Json> p = attrs_.TakeFirst({"langfuse.observation.model.parameters"}, JsonObject)) {
      obs_.model_parameters = *std::move(p);
      return;
    }
    if (std::optional<Json> p = attrs_.TakeFirst({"llm.invocation_parameters", "embedding.invocation_parameters"}, JsonObject)) {
      obs_.model_parameters = *std::move(p);
    }
    CollectParameters("gen_ai.request.", obs_.model_parameters, {"model"});
    if (vercel_) CollectParameters("ai.settings.", obs_.model_parameters, {"context", "runtimeContext"});
  }

  // Explicit Langfuse usage on any type; convention usage only on model calls, because agents,
  // chains and Vercel's outer spans repeat the sum of their children (trace sums would double).
  void MapUsage() {
    if (std::optional<Json> d = attrs_.TakeFirst({"langfuse.observation.usage_details"}, JsonObject)) {
      obs_.usage = FromLangfuseUsage(*d);
      return;
    }
    if (!IsModelCall(obs_.type)) return;
    model::Usage& u = obs_.usage;
    u.input_tokens = attrs_
                         .TakeFirst({"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt",
                                     "ai.usage.inputTokens", "ai.usage.promptTokens", "ai.usage.tokens"},
                                    AsCount)
                         .value_or(0);
    u.output_tokens = attrs_
                          .TakeFirst({"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
                                      "llm.token_count.completion", "ai.usage.outputTokens", "ai.usage.completionTokens"},
                                     AsCount)
                          .value_or(0);
    std::optional<int64_t> total = attrs_.TakeFirst(
        {"llm.token_count.total", "llm.usage.total_tokens", "gen_ai.usage.total_tokens", "ai.usage.totalTokens"}, AsCount);
    u.cache_read_tokens = attrs_
                              .TakeFirst({"gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
                                          "llm.token_count.prompt_details.cache_read",
                                          "ai.usage.inputTokenDetails.cacheReadTokens", "ai.usage.cachedInputTokens"},
                                         AsCount)
                              .value_or(0);
    u.cache_write_tokens = attrs_
                               .TakeFirst({"gen_ai.usage.cache_creation.input_tokens",
                                           "gen_ai.usage.cache_creation_input_tokens",
                                           "llm.token_count.prompt_details.cache_write",
                                           "ai.usage.inputTokenDetails.cacheWriteTokens"},
                                          AsCount)
                               .value_or(0);
    u.reasoning_tokens = attrs_
                             .TakeFirst({"gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens",
                                         "llm.usage.reasoning_tokens", "llm.token_count.completion_details.reasoning",
                                         "ai.usage.outputTokenDetails.reasoningTokens", "ai.usage.reasoningTokens"},
                                        AsCount)
                             .value_or(0);
    // A sender whose input excludes the cache (or output the reasoning) is recognisable by the
    // part exceeding the whole; restore the canonical meaning.
    int64_t cached = SaturatingAdd(u.cache_read_tokens, u.cache_write_tokens);
    if (u.input_tokens < cached) u.input_tokens = SaturatingAdd(u.input_tokens, cached);
    if (u.output_tokens < u.reasoning_tokens) u.output_tokens = SaturatingAdd(u.output_tokens, u.reasoning_tokens);
    u.total_tokens = total.value_or(SaturatingAdd(u.input_tokens, u.output_tokens));
  }

  void MapCost() {
    if (std::optional<Json> d = attrs_.TakeFirst({"langfuse.observation.cost_details"}, JsonObject)) {
      obs_.cost = FromLangfuseCost(*d);
      return;
    }
    if (!IsModelCall(obs_.type)) return;
    auto amount = [](const Json& v) -> std::optional<double> {
      std::optional<double> d = AsDouble(v);
      return d && *d >= 0 ? d : std::nullopt;
    };
    std::optional<double> total = attrs_.TakeFirst({"gen_ai.usage.cost", "llm.cost.total"}, amount);
    std::optional<double> input = attrs_.TakeFirst({"llm.cost.prompt"}, amount);
    std::optional<double> output = attrs_.TakeFirst({"llm.cost.completion"}, amount);
    if (!total && !input && !output) return;
    obs_.cost.input = input.value_or(0);
    obs_.cost.output = output.value_or(0);
    obs_.cost.total = total.value_or(obs_.cost.input + obs_.cost.output);
    obs_.cost.source = model::CostSource::kProvided;
  }

  // ---- input / output ----------------------------------------------------------------------

  // How a candidate value is treated. Message sources are chat by definition and always
  // normalized; generic sources (input.value, entity input …) only on generations.
  enum class Kind { kGeneric, kMessages };

  // Decides on one candidate. Returns true when it became the field's value.
  bool Offer(Direction dir, std::optional<Json> value, Kind kind, ChatOptions chat = {}) {
    if (!value || value->is_null()) return false;
    Json& field = dir == Direction::kInput ? obs_.input : obs_.output;
    const bool generation = obs_.type == ObservationType::kGeneration;
    if (kind == Kind::kMessages || generation) {
      if (chat.default_role.empty()) chat.default_role = dir == Direction::kInput ? "user" : "assistant";
      if (std::optional<Json> messages = ToChatMessages(*value, chat)) {
        field = *std::move(messages);
        return true;
      }
    }
    // On a generation a non-chat value only wins when no later source is chat.
    if (generation) {
      if (!fallback_) fallback_ = std::move(value);
      return false;
    }
    field = *std::move(value);
    return true;
  }

  std::optional<Json> TakeParsed(std::string_view key, Json (*parse)(const Json&)) {
    const Json* v = attrs_.Take(key);
    if (v == nullptr) return std::nullopt;
    return parse(*v);
  }

  std::optional<Json> TakeFlattened(std::string_view prefix) {
    rebuilt_prefixes_.push_back(prefix);
    Json list = RebuildFlattened(attrs_, prefix);
    if (list.empty()) return std::nullopt;
    return list;
  }

  // OpenInference input.value/output.value: parsed as JSON when the mime type says so (or, with no
  // mime type, when it looks like a JSON object/array).
  std::optional<Json> TakeOpenInferenceValue(std::string_view value_key, std::string_view mime_key) {
    const Json* v = attrs_.Take(value_key);
    if (v == nullptr) return std::nullopt;
    const Json* mime = attrs_.Take(mime_key);
    std::string_view m = mime && mime->is_string() ? std::string_view(mime->get_ref<const std::string&>()) : "";
    if (m.find("json") != std::string_view::npos) return ParseIfJson(*v);
    if (m.starts_with("text/")) return *v;
    return ParseIfStructured(*v);
  }

  // `llm.prompts.N.prompt.text` / `llm.choices.N.completion.text` (completions API).
  std::optional<Json> TakeCompletionTexts(std::string_view prefix, std::string_view wrapper) {
    std::optional<Json> list = TakeFlattened(prefix);
    if (!list) return std::nullopt;
    Json texts = Json::array();
    for (const Json& e : *list) {
      const Json* w = Member(e, wrapper);
      const Json* t = w ? Member(*w, "text") : nullptr;
      texts.push_back(t ? *t : e);
    }
    if (texts.size() == 1) return texts[0];
    return texts;
  }

  // gen_ai.input.messages with gen_ai.system_instructions as a leading system message.
  static std::optional<Json> WithSystemInstructions(const Json* messages, const Json* instructions) {
    if (messages == nullptr) return std::nullopt;
    Json list = ParseIfStructured(*messages);
    if (instructions == nullptr || !list.is_array()) return list;
    Json parts = ParseIfStructured(*instructions);
    Json system = parts.is_array() ? Json{{"role", "system"}, {"parts", parts}} : Json{{"role", "system"}, {"content", parts}};
    list.insert(list.begin(), std::move(system));
    return list;
  }

  // Content carried by span events, newest convention first (§2.4).
  std::optional<Json> EventContent(Direction dir) const {
    for (const model::RawEvent& e : span_.events) {
      if (e.name != "gen_ai.client.inference.operation.details") continue;
      std::optional<Json> content =
          dir == Direction::kInput
              ? WithSystemInstructions(Member(e.attributes, "gen_ai.input.messages"),
                                       Member(e.attributes, "gen_ai.system_instructions"))
              : WithSystemInstructions(Member(e.attributes, "gen_ai.output.messages"), nullptr);
      if (content) return content;
    }
    Json messages = Json::array();
    for (const model::RawEvent& e : span_.events) {
      std::string_view name = e.name;
      if (!name.starts_with("gen_ai.")) continue;
      std::string_view role;
      if (dir == Direction::kInput && name.ends_with(".message")) {
        role = name.substr(7, name.size() - 7 - 8);
        if (role != "system" && role != "user" && role != "assistant" && role != "tool") continue;
      } else if (dir == Direction::kOutput && name == "gen_ai.choice") {
        role = "assistant";
      } else {
        continue;
      }
      messages.push_back(EventMessage(e.attributes, role));
    }
    if (!messages.empty()) return messages;
    std::string_view legacy_event = dir == Direction::kInput ? "gen_ai.content.prompt" : "gen_ai.content.completion";
    std::string_view legacy_attr = dir == Direction::kInput ? "gen_ai.prompt" : "gen_ai.completion";
    for (const model::RawEvent& e : span_.events) {
      if (e.name != legacy_event) continue;
      if (const Json* v = Member(e.attributes, legacy_attr)) return ParseIfStructured(*v);
    }
    return std::nullopt;
  }

  // One deprecated per-message event (gen_ai.user.message, gen_ai.choice …) as a message object.
  static Json EventMessage(const Json& attributes, std::string_view role) {
    const Json* body = Member(attributes, "message");
    if (body == nullptr) body = Member(attributes, "body");
    if (body == nullptr) body = Member(attributes, "gen_ai.event.content");
    Json msg = body ? ParseIfStructured(*body) : attributes;
    if (!msg.is_object()) msg = Json{{"content", msg}};
    if (const Json* calls = Member(msg, "tool_calls"); calls && calls->is_string()) msg["tool_calls"] = ParseIfStructured(*calls);
    if (!msg.contains("role")) msg["role"] = std::string(role);
    if (role == "tool" && !msg.contains("tool_call_id")) {
      if (const Json* id = Member(msg, "id")) msg["tool_call_id"] = *id;
    }
    if (const Json* fr = Member(attributes, "finish_reason"); fr && !msg.contains("finish_reason")) msg["finish_reason"] = *fr;
    return msg;
  }

  // Vercel's response: on a generation always an assistant message; elsewhere the text, or a
  // message when tool calls came with it.
  std::optional<Json> VercelResponse(const char* text_key, const char* calls_key) {
    const Json* text = attrs_.Find(text_key);
    if (text == nullptr) return std::nullopt;
    attrs_.Take(text_key);
    std::optional<Json> calls;
    if (const Json* c = attrs_.Find(calls_key)) {
      calls = ToToolCalls(ParseIfJson(*c));
      if (calls) attrs_.Take(calls_key);
    }
    if (!calls && obs_.type != ObservationType::kGeneration) return *text;
    Json msg = Json{{"role", "assistant"}, {"content", *text}};
    if (calls) msg["tool_calls"] = *std::move(calls);
    return Json::array({std::move(msg)});
  }

  std::optional<Json> VercelValues() {
    const Json* values = attrs_.Take("ai.values");
    if (values == nullptr) return TakeParsed("ai.value", ParseIfJson);
    if (!values->is_array()) return ParseIfJson(*values);
    Json out = Json::array();
    for (const Json& v : *values) out.push_back(ParseIfJson(v));
    return out;
  }

  // Source order: docs/conventions.md "input / output" (Langfuse §6b, trackly additions marked).
  void MapContent(Direction dir) {
    fallback_.reset();
    const bool in = dir == Direction::kInput;
    auto done = [&](std::optional<Json> v, Kind kind, ChatOptions chat = {}) { return Offer(dir, std::move(v), kind, chat); };
    bool set = done(TakeParsed(in ? "langfuse.observation.input" : "langfuse.observation.output", ParseIfJson), Kind::kGeneric);
    if (!set && !in && obs_.type == ObservationType::kRetriever) {
      std::optional<Json> docs = TakeFlattened("retrieval.documents.");
      if (!docs) docs = TakeParsed("gen_ai.retrieval.documents", ParseIfStructured);
      if (docs && docs->is_array()) set = done(ToDocuments(*docs), Kind::kGeneric);
    }
    if (!set && !in && obs_.type == ObservationType::kReranker) {
      if (std::optional<Json> docs = TakeFlattened("reranker.output_documents.")) set = done(ToDocuments(*docs), Kind::kGeneric);
    }
    if (!set && vercel_) {
      if (in) {
        set = done(TakeParsed("ai.prompt.messages", ParseIfJson), Kind::kMessages) ||
              done(TakeParsed("ai.prompt", ParseIfJson), Kind::kGeneric) ||
              done(TakeParsed("ai.toolCall.args", ParseIfJson), Kind::kGeneric) ||
              done(VercelValues(), Kind::kGeneric);
      } else {
        set = done(VercelResponse("ai.response.text", "ai.response.toolCalls"), Kind::kGeneric) ||
              done(VercelResponse("ai.result.text", "ai.result.toolCalls"), Kind::kGeneric) ||
              done(TakeParsed("ai.toolCall.result", ParseIfJson), Kind::kGeneric) ||
              done(TakeParsed("ai.response.object", ParseIfJson), Kind::kGeneric) ||
              done(TakeParsed("ai.result.object", ParseIfJson), Kind::kGeneric);
        if (!set) {
          if (const Json* calls = attrs_.Find("ai.response.toolCalls")) {
            if (std::optional<Json> c = ToToolCalls(ParseIfJson(*calls))) {
              attrs_.Take("ai.response.toolCalls");
              set = done(Json::array({Json{{"role", "assistant"}, {"content", nullptr}, {"tool_calls", *c}}}), Kind::kMessages);
            }
          }
        }
      }
    }
    set = set || done(EventContent(dir), Kind::kMessages) ||
          done(TakeParsed(in ? "traceloop.entity.input" : "traceloop.entity.output", ParseIfJson), Kind::kGeneric) ||
          done(in ? TakeOpenInferenceValue("input.value", "input.mime_type")
                  : TakeOpenInferenceValue("output.value", "output.mime_type"),
               Kind::kGeneric) ||
          done(TakeParsed(in ? "input" : "output", ParseIfStructured), Kind::kGeneric) ||
          done(TakeFlattened(in ? "gen_ai.prompt." : "gen_ai.completion."), Kind::kMessages,
               ChatOptions{.parse_json_content = true}) ||
          done(TakeParsed(in ? "gen_ai.prompt" : "gen_ai.completion", ParseIfStructured), Kind::kMessages) ||
          done(TakeFlattened(in ? "llm.input_messages." : "llm.output_messages."), Kind::kMessages) ||
          done(in ? TakeCompletionTexts("llm.prompts.", "prompt") : TakeCompletionTexts("llm.choices.", "completion"),
               Kind::kGeneric) ||
          done(in ? WithSystemInstructions(attrs_.Take("gen_ai.input.messages"), attrs_.Take("gen_ai.system_instructions"))
                  : TakeParsed("gen_ai.output.messages", ParseIfStructured),
               Kind::kMessages) ||
          done(TakeParsed(in ? "gen_ai.tool.call.arguments" : "gen_ai.tool.call.result", ParseIfJson), Kind::kGeneric);
    if (!set && in) {
      set = done(attrs_.TakeFirst({"gen_ai.retrieval.query.text", "retrieval.query"}, NonEmptyString), Kind::kGeneric);
      if (!set && obs_.type == ObservationType::kReranker) {
        const Json* query = attrs_.Find("reranker.query");
        std::optional<Json> docs = TakeFlattened("reranker.input_documents.");
        if (query || docs) {
          attrs_.Take("reranker.query");
          set = done(Json{{"query", query ? *query : Json(nullptr)}, {"documents", docs ? ToDocuments(*docs) : Json::array()}},
                     Kind::kGeneric);
        }
      }
    }
    Json& field = in ? obs_.input : obs_.output;
    if (!set && fallback_) field = *std::move(fallback_);
    if (!field.is_null()) ConsumeAlternatives(dir);
  }

  // Once a source supplied the content, the other recognised sources of the same direction are
  // alternative renderings of it (OpenInference writes input.value AND llm.input_messages.*).
  void ConsumeAlternatives(Direction dir) {
    static constexpr std::string_view kInputKeys[] = {
        "langfuse.observation.input", "ai.prompt.messages", "ai.prompt", "ai.toolCall.args",
        "traceloop.entity.input", "input.value", "input.mime_type", "input", "gen_ai.prompt",
        "gen_ai.input.messages", "gen_ai.system_instructions", "gen_ai.tool.call.arguments"};
    static constexpr std::string_view kOutputKeys[] = {
        "langfuse.observation.output", "ai.response.text", "ai.response.toolCalls", "ai.result.text",
        "ai.result.toolCalls", "ai.toolCall.result", "ai.response.object", "ai.result.object",
        "traceloop.entity.output", "output.value", "output.mime_type", "output", "gen_ai.completion",
        "gen_ai.output.messages", "gen_ai.tool.call.result"};
    const bool in = dir == Direction::kInput;
    for (std::string_view key : in ? std::span<const std::string_view>(kInputKeys)
                                   : std::span<const std::string_view>(kOutputKeys)) {
      attrs_.Take(key);
    }
    // A list that was rebuilt already consumed what it took; what it left (collisions) stays.
    for (std::string_view prefix : {in ? "gen_ai.prompt." : "gen_ai.completion.",
                                    in ? "llm.input_messages." : "llm.output_messages.",
                                    in ? "llm.prompts." : "llm.choices."}) {
      if (std::find(rebuilt_prefixes_.begin(), rebuilt_prefixes_.end(), prefix) == rebuilt_prefixes_.end()) {
        ConsumeFlattened(attrs_, prefix);
      }
    }
  }

  // ---- references ----------------------------------------------------------------------------

  void MapTool() {
    std::optional<std::string> name = attrs_.TakeFirst({"gen_ai.tool.name", "ai.toolCall.name", "tool.name"}, NonEmptyString);
    if (!name && obs_.type == ObservationType::kTool && attrs_.Find("traceloop.entity.name")) {
      name = attrs_.TakeFirst({"traceloop.entity.name"}, NonEmptyString);
    }
    std::optional<std::string> call_id =
        attrs_.TakeFirst({"gen_ai.tool.call.id", "ai.toolCall.id", "tool.id", "tool_call.id"}, NonEmptyString);
    if (!name && obs_.type == ObservationType::kTool) name = obs_.name;
    if (!name && !call_id) return;
    obs_.tool = model::ToolRef{.name = name.value_or(""), .call_id = call_id.value_or("")};
  }

  void MapPrompt() {
    std::optional<std::string> name = attrs_.TakeFirst(
        {"langfuse.observation.prompt.name", "langfuse.prompt.name", "gen_ai.prompt.name", "traceloop.prompt.key",
         "prompt.id"},
        NonEmptyString);
    std::optional<std::string> version =
        attrs_.TakeFirst({"langfuse.observation.prompt.version", "langfuse.prompt.version", "traceloop.prompt.version",
                          "llm.prompt_template.version"},
                         NonEmptyString);
    if (!name && vercel_) {
      if (std::optional<Json> p = attrs_.TakeFirst({"ai.telemetry.metadata.langfusePrompt"}, JsonObject)) {
        name = NonEmptyString(Member(*p, "name") ? *Member(*p, "name") : Json());
        if (const Json* v = Member(*p, "version")) version = NonEmptyString(*v);
      }
    }
    if (name) obs_.prompt = model::PromptRef{.name = *std::move(name), .version = version.value_or("")};
  }

  // ---- trace-level hints, environment, status -----------------------------------------------

  void MapTraceHints() {
    model::TraceHints& h = obs_.trace_hints;
    h.trace_name = attrs_.TakeFirst({"langfuse.trace.name"}, NonEmptyString).value_or("");
    h.session_id = attrs_
                       .TakeFirst({"trackly.session.id", "langfuse.session.id", "session.id", "gen_ai.conversation.id",
                                   "traceloop.association.properties.session_id", "ai.telemetry.metadata.sessionId",
                                   "ai.settings.context.sessionId", "langfuse.observation.metadata.langfuse_session_id",
                                   "langfuse.trace.metadata.langfuse_session_id"},
                                  NonEmptyString)
                       .value_or("");
    h.user_id = attrs_
                    .TakeFirst({"trackly.user.id", "langfuse.user.id", "user.id",
                                "traceloop.association.properties.user_id", "ai.telemetry.metadata.userId",
                                "ai.settings.context.userId", "langfuse.observation.metadata.langfuse_user_id",
                                "langfuse.trace.metadata.langfuse_user_id"},
                               NonEmptyString)
                    .value_or("");
    std::optional<std::string> feature = attrs_.TakeFirst({"trackly.feature"}, NonEmptyString);
    if (!feature) feature = resource_.TakeFirst({"trackly.feature"}, NonEmptyString);
    if (const Json* service = resource_.Find("service.name"); service && service->is_string()) {
      obs_.service_name = service->get<std::string>();
      resource_.Take("service.name");
    }
    h.feature = feature.value_or(obs_.service_name);
    h.tags = attrs_
                 .TakeFirst({"trackly.tags", "langfuse.trace.tags", "langfuse.tags",
                             "langfuse.observation.metadata.langfuse_tags", "langfuse.trace.metadata.langfuse_tags",
                             "ai.telemetry.metadata.tags", "ai.settings.context.tags", "tag.tags"},
                            ParseTags)
                 .value_or(std::vector<std::string>{});
    if (const Json* in = attrs_.Take("langfuse.trace.input")) h.trace_input = ParseIfJson(*in);
    if (const Json* out = attrs_.Take("langfuse.trace.output")) h.trace_output = ParseIfJson(*out);
    if (std::optional<Json> md = attrs_.TakeFirst({"langfuse.trace.metadata"}, JsonObject)) h.trace_metadata = *std::move(md);
    CollectMetadata("langfuse.trace.metadata.", h.trace_metadata);
  }

  void MapEnvironment() {
    auto env = [](AttributeReader& r) {
      return r.TakeFirst({"trackly.environment", "langfuse.environment", "deployment.environment.name",
                          "deployment.environment"},
                         NonEmptyString);
    };
    std::optional<std::string> environment = env(attrs_);
    if (!environment) environment = env(resource_);
    obs_.environment = environment.value_or("");
    std::optional<std::string> release = attrs_.TakeFirst({"trackly.release", "langfuse.release"}, NonEmptyString);
    if (!release) release = resource_.TakeFirst({"trackly.release", "langfuse.release", "service.version"}, NonEmptyString);
    obs_.release = release.value_or("");
  }

  const model::RawEvent* FirstException() const {
    for (const model::RawEvent& e : span_.events) {
      if (e.name == "exception") return &e;
    }
    return nullptr;
  }

  // trackly.status ≥ OTLP status; level = langfuse.observation.level ≥ (status error → ERROR).
  // An exception event alone does not fail a span (OTel: it may have been handled); it names the
  // error of a span that failed.
  void MapStatus() {
    auto status = [](const Json& v) -> std::optional<Status> {
      std::optional<std::string> s = AsString(v);
      if (!s) return std::nullopt;
      absl::AsciiStrToLower(&*s);
      Status out;
      if (!model::ParseStatus(*s, &out)) return std::nullopt;
      return out;
    };
    std::optional<Status> explicit_status = attrs_.TakeFirst({"trackly.status"}, status);
    if (explicit_status) {
      obs_.status = *explicit_status;
    } else if (span_.status_code == model::StatusCode::kError) {
      obs_.status = Status::kError;
    } else if (span_.status_code == model::StatusCode::kOk) {
      obs_.status = Status::kOk;
    }
    auto level = [](const Json& v) -> std::optional<Level> {
      std::optional<std::string> s = AsString(v);
      if (!s) return std::nullopt;
      absl::AsciiStrToUpper(&*s);
      Level out;
      if (!model::ParseLevel(*s, &out)) return std::nullopt;
      return out;
    };
    std::optional<Level> explicit_level = attrs_.TakeFirst({"langfuse.observation.level"}, level);
    if (explicit_level) {
      obs_.level = *explicit_level;
      if (obs_.level == Level::kError && obs_.status == Status::kUnset) obs_.status = Status::kError;
    } else if (obs_.status == Status::kError) {
      obs_.level = Level::kError;
    }
    obs_.status_message =
        attrs_.TakeFirst({"langfuse.observation.status_message"}, NonEmptyString).value_or(span_.status_message);
    obs_.error_type = attrs_.TakeFirst({"trackly.error.type", "error.type"}, NonEmptyString).value_or("");
    if (!obs_.is_error()) return;
    if (const model::RawEvent* e = FirstException()) {
      if (obs_.error_type.empty()) obs_.error_type = std::string(MemberString(e->attributes, "exception.type"));
      if (obs_.status_message.empty()) obs_.status_message = std::string(MemberString(e->attributes, "exception.message"));
    }
  }

  void MapCompletionStart() {
    if (const Json* v = attrs_.Find("langfuse.observation.completion_start_time")) {
      std::string text = v->is_string() ? v->get<std::string>() : v->dump();
      std::string_view unquoted = text;
      if (unquoted.size() >= 2 && unquoted.front() == '"' && unquoted.back() == '"') {
        unquoted = unquoted.substr(1, unquoted.size() - 2);
      }
      if (absl::StatusOr<int64_t> t = model::ParseTimestamp(unquoted); t.ok()) {
        obs_.completion_start_time_ns = *t;
        attrs_.Take("langfuse.observation.completion_start_time");
        return;
      }
    }
    if (span_.start_time_ns <= 0) return;
    // Offsets beyond a day are not a time to first token.
    auto offset_ns = [](double scale) {
      return [scale](const Json& v) -> std::optional<int64_t> {
        std::optional<double> d = AsDouble(v);
        if (!d || *d < 0 || *d * scale > 86400e9) return std::nullopt;
        return static_cast<int64_t>(std::llround(*d * scale));
      };
    };
    std::optional<int64_t> offset = attrs_.TakeFirst(
        {"gen_ai.response.time_to_first_chunk", "gen_ai.client.operation.time_to_first_chunk"}, offset_ns(1e9));
    if (!offset) offset = attrs_.TakeFirst({"ai.response.msToFirstChunk", "ai.stream.msToFirstChunk"}, offset_ns(1e6));
    if (offset) {
      obs_.completion_start_time_ns = span_.start_time_ns + *offset;
      return;
    }
    for (const model::RawEvent& e : span_.events) {
      if (e.name == "ai.stream.firstChunk" && e.time_ns > 0) {
        obs_.completion_start_time_ns = e.time_ns;
        return;
      }
    }
  }

  // ---- metadata ------------------------------------------------------------------------------

  // Adds every unconsumed `<prefix><key>` attribute as metadata[key] unless already set.
  void CollectMetadata(std::string_view prefix, Json& into) {
    auto [begin, end] = attrs_.PrefixRange(prefix);
    for (auto it = begin; it != end; ++it) {
      std::string_view key = std::string_view(it->first).substr(prefix.size());
      if (key.empty() || attrs_.IsConsumed(it->first)) continue;
      if (!into.contains(key)) into[std::string(key)] = ParseIfStructured(it->second);
      attrs_.Consume(it);
    }
  }

  void MergeObject(const Json& object, Json& into) {
    for (const auto& [key, value] : object.items()) {
      if (!into.contains(key)) into[key] = value;
    }
  }

  // Priority (first writer of a key wins): trackly.metadata.* ≥ langfuse.observation.metadata ≥
  // langfuse.metadata ≥ OpenInference `metadata` ≥ metadata.* ≥ traceloop association properties ≥
  // Vercel telemetry metadata / context; then resource and scope.
  void MapMetadata() {
    Json& md = obs_.metadata;
    CollectMetadata("trackly.metadata.", md);
    for (std::string_view key : {"langfuse.observation.metadata", "langfuse.metadata", "metadata"}) {
      if (std::optional<Json> obj = attrs_.TakeFirst({key}, JsonObject)) MergeObject(*obj, md);
      CollectMetadata(std::string(key) + ".", md);
    }
    CollectMetadata("traceloop.association.properties.", md);
    if (vercel_) CollectMetadata("ai.telemetry.metadata.", md);
    // AI SDK 7 writes the runtime context on its GenAI spans too, whose scope is not `ai`; the
    // prefixes are the AI SDK's alone, so they need no scope check.
    CollectMetadata("ai.settings.context.", md);
    CollectMetadata("ai.settings.runtimeContext.", md);
    Json resource = resource_.Leftovers();
    if (!resource.empty() && !md.contains("resource")) md["resource"] = std::move(resource);
    if (span_.scope && !span_.scope->scope_name.empty() && !md.contains("scope")) {
      Json scope = Json{{"name", span_.scope->scope_name}};
      if (!span_.scope->scope_version.empty()) scope["version"] = span_.scope->scope_version;
      if (span_.scope->scope_attributes.is_object() && !span_.scope->scope_attributes.empty()) {
        scope["attributes"] = span_.scope->scope_attributes;
      }
      md["scope"] = std::move(scope);
    }
  }

  void MapEvents() {
    obs_.events.reserve(span_.events.size());
    for (const model::RawEvent& e : span_.events) {
      obs_.events.push_back(model::Event{
          .name = e.name,
          .time_ns = e.time_ns,
          .attributes = e.attributes.is_object() ? e.attributes : Json::object(),
      });
    }
  }

  const RawSpan& span_;
  AttributeReader attrs_;
  AttributeReader resource_;
  Observation obs_;
  bool vercel_ = false;
  std::optional<Json> fallback_;  // first non-chat content candidate of a generation
  std::vector<std::string_view> rebuilt_prefixes_;  // flattened lists RebuildFlattened went through
};

// What is left when mapping failed unexpectedly (an allocation failure or our bug): the span
// as sent, so nothing is lost.
Observation Unmapped(const RawSpan& span) {
  Observation obs;
  obs.id = span.span_id;
  obs.trace_id = span.trace_id;
  obs.parent_id = span.parent_span_id;
  obs.name = span.name;
  obs.start_time_ns = span.start_time_ns;
  obs.end_time_ns = span.end_time_ns;
  obs.status = span.status_code == model::StatusCode::kError ? Status::kError
               : span.status_code == model::StatusCode::kOk ? Status::kOk
                                                           : Status::kUnset;
  obs.status_message = span.status_message;
  if (span.attributes.is_object()) obs.attributes = span.attributes;
  return obs;
}

}  // namespace

Observation Normalizer::Normalize(const RawSpan& span) const {
  // nlohmann::json reports type misuse by exception; the mapping checks types before every
  // access, so this is a last line of defence that keeps the contract "never fails".
  try {
    return SpanNormalizer(span).Run();
  } catch (const std::exception&) {
    return Unmapped(span);
  }
}

}  // namespace trackly::normalize
