#include "model/codec.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/time_format.h"

namespace trackly::model {
namespace {

Json StringOrNull(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }
Json TimeOrNull(int64_t ns) { return ns == 0 ? Json(nullptr) : Json(FormatRfc3339Micros(ns)); }

std::string_view CostSourceName(CostSource source) {
  switch (source) {
    case CostSource::kProvided: return "provided";
    case CostSource::kComputed: return "computed";
    case CostSource::kNone: break;
  }
  return "";
}

Json ToJson(const TraceHints& hints) {
  Json j = Json::object();
  if (!hints.trace_name.empty()) j["trace_name"] = hints.trace_name;
  if (!hints.session_id.empty()) j["session_id"] = hints.session_id;
  if (!hints.user_id.empty()) j["user_id"] = hints.user_id;
  if (!hints.feature.empty()) j["feature"] = hints.feature;
  if (!hints.tags.empty()) j["tags"] = hints.tags;
  if (!hints.trace_metadata.empty()) j["metadata"] = hints.trace_metadata;
  if (!hints.trace_input.is_null()) j["input"] = hints.trace_input;
  if (!hints.trace_output.is_null()) j["output"] = hints.trace_output;
  return j;
}

// ---------------------------------------------------------------------------------------------
// Writing text directly.
//
// AppendJson writes what DumpJson(ToJson(x)) writes without building the tree: building and
// dumping a Json object allocates a map node and a string per field. Free-form values (input,
// attributes, ...) are walked here too rather than handed to nlohmann's serializer, whose
// byte-at-a-time UTF-8 decoder took over half the time. Measured per typical span
// (bench/codec_bench.cc): see the figures there. The price is that the field list exists twice,
// here and in ToJson; codec_test.cc checks the two produce identical bytes.

// Not thread-safe. Streams compact JSON into a string exactly as Json::dump(-1, ' ', false,
// error_handler_t::replace) would. Callers write object keys in sorted order, because Json
// objects are std::maps and dump them sorted, and call Finish() at the end.
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  // Moves the buffered text into the output.
  void Finish() { Flush(); }
  // Whether every value written so far is in the text exactly (see AppendJson in codec.h).
  bool exact() const { return exact_; }

  void BeginObject() {
    Separate();
    Put('{');
    first_ = true;
  }
  void EndObject() {
    Put('}');
    first_ = false;
  }
  void BeginArray() {
    Separate();
    Put('[');
    first_ = true;
  }
  void EndArray() {
    Put(']');
    first_ = false;
  }
  // `key` is one of our field names: plain ASCII that needs no escaping.
  void Key(std::string_view key) {
    Separate();
    Put('"');
    Put(key);
    Put('"');
    Put(':');
    first_ = true;
  }

  void Null() {
    Separate();
    Put("null");
  }
  void Bool(bool value) {
    Separate();
    Put(value ? "true" : "false");
  }
  template <typename Integer>
  void Int(Integer value) {
    Separate();
    char buffer[24];
    char* end = std::to_chars(buffer, buffer + sizeof(buffer), value).ptr;
    Put(std::string_view(buffer, end - buffer));
  }
  void Double(double value) {
    Separate();
    if (!std::isfinite(value)) {
      exact_ = false;
      Put("null");  // as nlohmann writes NaN and infinities
      return;
    }
    // nlohmann's own shortest round-trip formatting (Grisu2, "%g"-like layout, "15.0" for
    // integral values), so numbers are byte-identical to Json::dump.
    char buffer[64];
    char* end = nlohmann::detail::to_chars(buffer, buffer + sizeof(buffer), value);
    Put(std::string_view(buffer, end - buffer));
  }
  void String(std::string_view value) {
    Separate();
    size_t start = Position();
    Put('"');
    bool ascii = PutEscaped(value);
    Put('"');
    // Invalid UTF-8 is rare (it comes only from misbehaving clients); nlohmann's replacement rules
    // for it are intricate, so such strings are redone by its serializer rather than a copy of them.
    if (!ascii && !simdjson::validate_utf8(value.data(), value.size())) {
      exact_ = false;
      Flush();
      out_->resize(start);
      Serializer().dump(Json(value), /*pretty_print=*/false, /*ensure_ascii=*/false, 0);
    }
  }
  void StringOrNull(std::string_view value) { value.empty() ? Null() : String(value); }
  void TimeOrNull(int64_t unix_ns) {
    if (unix_ns == 0) return Null();
    // The text keeps whole microseconds, from kEarliestExactTimeNs on.
    if (unix_ns % 1000 != 0 || unix_ns < kEarliestExactTimeNs) exact_ = false;
    Separate();
    Put('"');
    Put(FormatRfc3339Micros(unix_ns));  // digits and punctuation only: nothing to escape
    Put('"');
  }
  // A value that ParseObservationJson reads back as an object (attributes, metadata, ...): one
  // that is not an object (null is read back as {}) is not there exactly.
  void ObjectValue(const Json& value) {
    if (!value.is_object()) exact_ = false;
    Value(value);
  }
  // A free-form value (input, attributes, ...). Recursive, as nlohmann's own serializer is.
  void Value(const Json& value) {
    switch (value.type()) {
      case Json::value_t::null: return Null();
      case Json::value_t::boolean: return Bool(value.get<bool>());
      case Json::value_t::number_integer: return Int(value.get<Json::number_integer_t>());
      case Json::value_t::number_unsigned: return Int(value.get<Json::number_unsigned_t>());
      case Json::value_t::number_float: return Double(value.get<double>());
      case Json::value_t::string: return String(value.get_ref<const std::string&>());
      case Json::value_t::array:
        BeginArray();
        for (const Json& element : value.get_ref<const Json::array_t&>()) Value(element);
        return EndArray();
      case Json::value_t::object:
        BeginObject();
        for (const auto& [key, member] : value.get_ref<const Json::object_t&>()) {
          String(key);
          Put(':');
          first_ = true;
          Value(member);
        }
        return EndObject();
      case Json::value_t::binary:
      case Json::value_t::discarded:
        break;  // never parsed from JSON; left to nlohmann
    }
    exact_ = false;
    Separate();
    Flush();
    Serializer().dump(value, /*pretty_print=*/false, /*ensure_ascii=*/false, 0);
  }

 private:
  void Separate() {
    if (!first_) Put(',');
    first_ = false;
  }

  // Text goes through a local buffer: appending to a std::string piece by piece costs a call per
  // piece (std::string's members are not inlined), which was a quarter of the time.
  void Put(char c) {
    if (end_ == std::end(buffer_)) Flush();
    *end_++ = c;
  }
  void Put(std::string_view text) {
    if (text.size() > static_cast<size_t>(std::end(buffer_) - end_)) {
      Flush();
      if (text.size() > sizeof(buffer_)) {
        out_->append(text);
        return;
      }
    }
    std::memcpy(end_, text.data(), text.size());
    end_ += text.size();
  }
  void Flush() {
    out_->append(buffer_, end_);
    end_ = buffer_;
  }
  size_t Position() const { return out_->size() + (end_ - buffer_); }

  // Whether any of the 8 bytes in `word` is a control character, '"' or '\\': the bytes JSON
  // escapes. Classic SWAR tests ("has a byte less than n", "has a zero byte"), exact as a yes/no,
  // so plain text is scanned 8 bytes per step.
  static bool AnyToEscape(uint64_t word) {
    constexpr uint64_t kOnes = 0x0101010101010101, kHigh = 0x8080808080808080;
    auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    uint64_t below_space = (word - kOnes * 0x20) & ~word & kHigh;
    return (below_space | has_zero(word ^ (kOnes * '"')) | has_zero(word ^ (kOnes * '\\'))) != 0;
  }

  // JSON escaping of valid UTF-8 as nlohmann does it: the two-character escapes for \b \t \n \f
  // \r " and \, \u00xx (lower-case hex) for other control characters, everything else verbatim.
  // Returns whether `s` is all ASCII (then it is certainly valid UTF-8).
  bool PutEscaped(std::string_view s) {
    uint64_t seen = 0;  // OR of all bytes: a high bit set if any is not ASCII
    size_t run = 0;     // start of the pending run of verbatim bytes
    size_t i = 0;
    while (i < s.size()) {
      if (i + 8 <= s.size()) {
        uint64_t word;
        std::memcpy(&word, s.data() + i, 8);
        if (!AnyToEscape(word)) {
          seen |= word;
          i += 8;
          continue;
        }
      }
      unsigned char c = static_cast<unsigned char>(s[i]);
      seen |= c;
      if (c >= 0x20 && c != '"' && c != '\\') {
        ++i;
        continue;
      }
      Put(s.substr(run, i - run));
      run = ++i;
      switch (c) {
        case '"': Put("\\\""); break;
        case '\\': Put("\\\\"); break;
        case '\b': Put("\\b"); break;
        case '\t': Put("\\t"); break;
        case '\n': Put("\\n"); break;
        case '\f': Put("\\f"); break;
        case '\r': Put("\\r"); break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          const char escape[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          Put(std::string_view(escape, sizeof(escape)));
        }
      }
    }
    Put(s.substr(run));
    return (seen & 0x8080808080808080) == 0;
  }

  // Made on first use: constructing one allocates, and almost no observation needs it. It writes
  // straight into the output, so callers flush the buffer first.
  nlohmann::detail::serializer<Json>& Serializer() {
    if (!serializer_) {
      serializer_.emplace(nlohmann::detail::output_adapter<char>(*out_), ' ', Json::error_handler_t::replace);
    }
    return *serializer_;
  }

  std::string* out_;
  char buffer_[2048];
  char* end_ = buffer_;
  bool first_ = true;  // no separator before the next value: start of text, object, array or value
  bool exact_ = true;  // see exact()
  std::optional<nlohmann::detail::serializer<Json>> serializer_;
};

void WriteUsage(const Usage& u, JsonWriter& w) {
  w.BeginObject();
  w.Key("cache_read_tokens");
  w.Int(u.cache_read_tokens);
  w.Key("cache_write_tokens");
  w.Int(u.cache_write_tokens);
  if (u.estimated) {
    w.Key("estimated");
    w.Bool(true);
  }
  w.Key("input_tokens");
  w.Int(u.input_tokens);
  w.Key("output_tokens");
  w.Int(u.output_tokens);
  w.Key("reasoning_tokens");
  w.Int(u.reasoning_tokens);
  w.Key("total_tokens");
  w.Int(u.total_tokens);
  w.EndObject();
}

void WriteCost(const Cost& c, JsonWriter& w) {
  w.BeginObject();
  if (c.cache_savings != 0) {
    w.Key("cache_savings");
    w.Double(c.cache_savings);
  }
  w.Key("currency");
  w.String("USD");
  w.Key("input");
  w.Double(c.input);
  if (!c.note.empty()) {
    w.Key("note");
    w.String(c.note);
  }
  w.Key("output");
  w.Double(c.output);
  if (!c.price_id.empty()) {
    w.Key("price_id");
    w.String(c.price_id);
  }
  w.Key("source");
  w.StringOrNull(CostSourceName(c.source));
  w.Key("total");
  w.Double(c.total);
  w.EndObject();
}

void WriteStrings(const std::vector<std::string>& strings, JsonWriter& w) {
  w.BeginArray();
  for (const std::string& s : strings) w.String(s);
  w.EndArray();
}

void WriteEvents(const std::vector<Event>& events, JsonWriter& w) {
  w.BeginArray();
  for (const Event& e : events) {
    w.BeginObject();
    w.Key("attributes");
    w.ObjectValue(e.attributes);
    w.Key("name");
    w.String(e.name);
    w.Key("time");
    w.TimeOrNull(e.time_ns);
    w.EndObject();
  }
  w.EndArray();
}

void WritePrompt(const std::optional<PromptRef>& prompt, JsonWriter& w) {
  if (!prompt) return w.Null();
  w.BeginObject();
  w.Key("name");
  w.String(prompt->name);
  w.Key("version");
  w.StringOrNull(prompt->version);
  w.EndObject();
}

void WriteTool(const std::optional<ToolRef>& tool, JsonWriter& w) {
  if (!tool) return w.Null();
  w.BeginObject();
  w.Key("call_id");
  w.StringOrNull(tool->call_id);
  w.Key("name");
  w.String(tool->name);
  w.EndObject();
}

// Only the hints that are set, as ToJson(TraceHints) has them.
void WriteTraceHints(const TraceHints& h, JsonWriter& w) {
  w.BeginObject();
  if (!h.feature.empty()) {
    w.Key("feature");
    w.String(h.feature);
  }
  if (!h.trace_input.is_null()) {
    w.Key("input");
    w.Value(h.trace_input);
  }
  if (!h.trace_metadata.empty()) {
    w.Key("metadata");
    w.ObjectValue(h.trace_metadata);
  }
  if (!h.trace_output.is_null()) {
    w.Key("output");
    w.Value(h.trace_output);
  }
  if (!h.session_id.empty()) {
    w.Key("session_id");
    w.String(h.session_id);
  }
  if (!h.tags.empty()) {
    w.Key("tags");
    WriteStrings(h.tags, w);
  }
  if (!h.trace_name.empty()) {
    w.Key("trace_name");
    w.String(h.trace_name);
  }
  if (!h.user_id.empty()) {
    w.Key("user_id");
    w.String(h.user_id);
  }
  w.EndObject();
}

bool HasTraceHints(const TraceHints& h) {
  return !h.trace_name.empty() || !h.session_id.empty() || !h.user_id.empty() || !h.feature.empty() ||
         !h.tags.empty() || !h.trace_metadata.empty() || !h.trace_input.is_null() ||
         !h.trace_output.is_null();
}

// ---------------------------------------------------------------------------------------------
// Reading.
//
// One reader, written once over a small "node" interface, runs on two trees: nlohmann's
// (ObservationFromJson) and simdjson's DOM (ParseObservationJson), so both agree on every field,
// default and error by construction. simdjson parses the text ~20x faster than Json::parse
// (measured); only the free-form subtrees (input, attributes, ...) are then converted to Json.
//
// A Node offers is_null/is_string/is_number/is_object/is_array/is_bool; GetStringView/GetInt/
// GetDouble/GetBool with nlohmann's get<T> conversions; ToJson(); ForEachElement(f) over an array;
// and a nested Members type, built from an object node, whose Find(key) returns the member (the
// last one when a key repeats, as Json::parse keeps) or nothing, and nothing for every key when
// the node is not an object (as Json::find does).

class JsonNode {
 public:
  explicit JsonNode(const Json& value) : value_(&value) {}

  bool is_null() const { return value_->is_null(); }
  bool is_string() const { return value_->is_string(); }
  bool is_number() const { return value_->is_number(); }
  bool is_object() const { return value_->is_object(); }
  bool is_array() const { return value_->is_array(); }
  bool is_bool() const { return value_->is_boolean(); }
  std::string_view GetStringView() const { return value_->get_ref<const std::string&>(); }
  bool GetBool() const { return value_->get<bool>(); }
  int64_t GetInt() const { return value_->get<int64_t>(); }
  double GetDouble() const { return value_->get<double>(); }
  Json ToJson() const { return *value_; }
  template <typename F>
  void ForEachElement(F&& f) const {
    for (const Json& element : *value_) f(JsonNode(element));
  }

  class Members {
   public:
    explicit Members(const JsonNode& node) : object_(*node.value_) {}
    std::optional<JsonNode> Find(std::string_view key) const {
      auto it = object_.find(key);
      if (it == object_.end()) return std::nullopt;
      return JsonNode(*it);
    }

   private:
    const Json& object_;
  };

 private:
  const Json* value_;
};

// Converts a simdjson value to the Json that Json::parse makes of the same text.
Json ToNlohmann(simdjson::dom::element element) {
  using simdjson::dom::element_type;
  switch (element.type()) {
    case element_type::ARRAY: {
      Json array = Json::array();
      auto& elements = array.get_ref<Json::array_t&>();
      simdjson::dom::array source = element.get_array().value_unsafe();
      elements.reserve(source.size());
      for (simdjson::dom::element e : source) elements.push_back(ToNlohmann(e));
      return array;
    }
    case element_type::OBJECT: {
      Json object = Json::object();
      auto& members = object.get_ref<Json::object_t&>();
      simdjson::dom::object source = element.get_object().value_unsafe();
      for (simdjson::dom::key_value_pair member : source) {
        // Assign, so a repeated key keeps its last value as Json::parse does; the end() hint makes
        // sorted input (all of ours) linear.
        members.insert_or_assign(members.end(), std::string(member.key), ToNlohmann(member.value));
      }
      return object;
    }
    case element_type::INT64: {
      // Json::parse stores non-negative integers as unsigned, negative ones as signed.
      int64_t value = element.get_int64().value_unsafe();
      return value >= 0 ? Json(static_cast<uint64_t>(value)) : Json(value);
    }
    case element_type::UINT64: return Json(element.get_uint64().value_unsafe());
    case element_type::DOUBLE: return Json(element.get_double().value_unsafe());
    case element_type::STRING: return Json(std::string(element.get_string().value_unsafe()));
    case element_type::BOOL: return Json(element.get_bool().value_unsafe());
    case element_type::NULL_VALUE: break;
  }
  return Json(nullptr);
}

class DomNode {
 public:
  explicit DomNode(simdjson::dom::element element) : element_(element) {}

  bool is_null() const { return element_.is_null(); }
  bool is_string() const { return element_.is_string(); }
  bool is_number() const { return element_.is_number(); }
  bool is_object() const { return element_.is_object(); }
  bool is_array() const { return element_.is_array(); }
  bool is_bool() const { return element_.is_bool(); }
  std::string_view GetStringView() const { return element_.get_string().value_unsafe(); }
  bool GetBool() const { return element_.get_bool().value_unsafe(); }
  // The same casts nlohmann's get<int64_t>() and get<double>() apply.
  int64_t GetInt() const {
    switch (element_.type()) {
      case simdjson::dom::element_type::UINT64:
        return static_cast<int64_t>(element_.get_uint64().value_unsafe());
      case simdjson::dom::element_type::DOUBLE:
        return static_cast<int64_t>(element_.get_double().value_unsafe());
      default: return element_.get_int64().value_unsafe();
    }
  }
  double GetDouble() const {
    switch (element_.type()) {
      case simdjson::dom::element_type::UINT64:
        return static_cast<double>(element_.get_uint64().value_unsafe());
      case simdjson::dom::element_type::INT64:
        return static_cast<double>(element_.get_int64().value_unsafe());
      default: return element_.get_double().value_unsafe();
    }
  }
  Json ToJson() const { return ToNlohmann(element_); }
  template <typename F>
  void ForEachElement(F&& f) const {
    simdjson::dom::array array = element_.get_array().value_unsafe();
    for (simdjson::dom::element e : array) f(DomNode(e));
  }

  // simdjson objects are key lists scanned front to back, and an observation has ~30 fields, so
  // the members are put in a small open-addressing hash table once. (A sorted list with binary
  // search spent a fifth of the decode comparing strings.)
  class Members {
   public:
    explicit Members(const DomNode& node) {
      if (!node.is_object()) return;
      simdjson::dom::object object = node.element_.get_object().value_unsafe();
      for (simdjson::dom::key_value_pair member : object) {
        members_.push_back(Member{Key(member.key), member.value});
      }
      size_t capacity = 16;
      while (capacity < 2 * members_.size()) capacity *= 2;
      slots_.assign(capacity, kEmpty);
      // A repeated key takes the slot of the earlier one: the last wins, as with Json::parse.
      for (uint32_t i = 0; i < members_.size(); ++i) slots_[Probe(members_[i].key)] = i;
    }
    std::optional<DomNode> Find(std::string_view text) const {
      if (slots_.empty()) return std::nullopt;
      uint32_t i = slots_[Probe(Key(text))];
      if (i == kEmpty) return std::nullopt;
      return DomNode(members_[i].value);
    }

   private:
    struct Key {
      explicit Key(std::string_view text) : text(text) {
        std::memcpy(&prefix, text.data(), std::min<size_t>(text.size(), sizeof(prefix)));
      }
      size_t Hash() const { return ((prefix ^ text.size()) * 0x9E3779B97F4A7C15ULL) >> 32; }
      bool operator==(const Key& other) const {
        return prefix == other.prefix && text.size() == other.text.size() &&
               (text.size() <= sizeof(prefix) || text == other.text);
      }
      std::string_view text;
      uint64_t prefix = 0;  // the first 8 bytes, zero-padded
    };
    struct Member {
      Key key;
      simdjson::dom::element value;
    };
    static constexpr uint32_t kEmpty = UINT32_MAX;

    // The slot holding `key`, or the empty slot where it would go (the table is never full).
    size_t Probe(const Key& key) const {
      size_t mask = slots_.size() - 1;
      for (size_t slot = key.Hash() & mask;; slot = (slot + 1) & mask) {
        if (slots_[slot] == kEmpty || members_[slots_[slot]].key == key) return slot;
      }
    }

    absl::InlinedVector<Member, 32> members_;
    absl::InlinedVector<uint32_t, 64> slots_;  // indexes into members_
  };

 private:
  simdjson::dom::element element_;
};

// Reads fields of a JSON object, remembering the first type error so callers check once.
template <typename Node>
class FieldReader {
 public:
  explicit FieldReader(const Node& object) : members_(object) {}

  std::string String(std::string_view key) { return std::string(StringView(key)); }
  // Valid until the tree is destroyed.
  std::string_view StringView(std::string_view key) {
    std::optional<Node> v = Find(key);
    if (!v || v->is_null()) return "";
    if (!v->is_string()) return Fail<std::string_view>(key, "a string");
    return v->GetStringView();
  }
  int64_t Int(std::string_view key) {
    std::optional<Node> v = Find(key);
    if (!v || v->is_null()) return 0;
    if (!v->is_number()) return Fail<int64_t>(key, "a number");
    return v->GetInt();
  }
  bool Bool(std::string_view key) {
    std::optional<Node> v = Find(key);
    if (!v || v->is_null()) return false;
    if (!v->is_bool()) return Fail<bool>(key, "a boolean");
    return v->GetBool();
  }
  double Double(std::string_view key) {
    std::optional<Node> v = Find(key);
    if (!v || v->is_null()) return 0;
    if (!v->is_number()) return Fail<double>(key, "a number");
    return v->GetDouble();
  }
  int64_t Time(std::string_view key) {
    std::string_view text = StringView(key);
    if (text.empty()) return 0;
    absl::StatusOr<int64_t> ns = ParseTimestamp(text);
    if (!ns.ok()) return Fail<int64_t>(key, "an RFC 3339 time");
    return *ns;
  }
  Json Value(std::string_view key) {
    std::optional<Node> v = Find(key);
    return v ? v->ToJson() : Json(nullptr);
  }
  Json Object(std::string_view key) {
    std::optional<Node> v = Find(key);
    if (!v || v->is_null()) return Json::object();
    if (!v->is_object()) return Fail<Json>(key, "an object");
    return v->ToJson();
  }
  std::optional<Node> Find(std::string_view key) const { return members_.Find(key); }
  absl::Status status() const { return status_; }

 private:
  template <typename T>
  T Fail(std::string_view key, const char* expected) {
    if (status_.ok()) {
      status_ = absl::InvalidArgumentError(absl::StrCat("field \"", Sv(key), "\" is not ", expected));
    }
    return T{};
  }

  typename Node::Members members_;
  absl::Status status_;
};

template <typename Node>
Usage UsageFrom(const std::optional<Node>& j, absl::Status* status) {
  Usage u;
  if (!j || !j->is_object()) return u;
  FieldReader<Node> r(*j);
  u.input_tokens = r.Int("input_tokens");
  u.output_tokens = r.Int("output_tokens");
  u.total_tokens = r.Int("total_tokens");
  u.cache_read_tokens = r.Int("cache_read_tokens");
  u.cache_write_tokens = r.Int("cache_write_tokens");
  u.reasoning_tokens = r.Int("reasoning_tokens");
  u.estimated = r.Bool("estimated");
  if (status->ok()) *status = r.status();
  return u;
}

template <typename Node>
Cost CostFrom(const std::optional<Node>& j, absl::Status* status) {
  Cost c;
  if (!j || !j->is_object()) return c;
  FieldReader<Node> r(*j);
  c.input = r.Double("input");
  c.output = r.Double("output");
  c.total = r.Double("total");
  std::string source = r.String("source");
  if (source == "provided") c.source = CostSource::kProvided;
  if (source == "computed") c.source = CostSource::kComputed;
  c.price_id = r.String("price_id");
  c.cache_savings = r.Double("cache_savings");
  c.note = r.String("note");
  if (status->ok()) *status = r.status();
  return c;
}

template <typename Node>
TraceHints HintsFrom(const std::optional<Node>& j, absl::Status* status) {
  TraceHints h;
  if (!j || !j->is_object()) return h;
  FieldReader<Node> r(*j);
  h.trace_name = r.String("trace_name");
  h.session_id = r.String("session_id");
  h.user_id = r.String("user_id");
  h.feature = r.String("feature");
  if (std::optional<Node> tags = r.Find("tags"); tags && tags->is_array()) {
    tags->ForEachElement([&](const Node& t) {
      if (t.is_string()) h.tags.emplace_back(t.GetStringView());
    });
  }
  h.trace_metadata = r.Object("metadata");
  h.trace_input = r.Value("input");
  h.trace_output = r.Value("output");
  if (status->ok()) *status = r.status();
  return h;
}

// Reads `j` into `o`, a default Observation; `o` is unspecified after an error.
template <typename Node>
absl::Status ReadObservation(const Node& j, ObservationFields fields, Observation& o) {
  if (!j.is_object()) return absl::InvalidArgumentError("observation is not a JSON object");
  FieldReader<Node> r(j);
  const bool detail = fields == ObservationFields::kAll;
  o.id = r.String("id");
  o.trace_id = r.String("trace_id");
  o.parent_id = r.String("parent_id");
  o.name = r.String("name");
  if (std::string type = r.String("type"); !ParseObservationType(type, &o.type)) {
    return absl::InvalidArgumentError(absl::StrCat("field \"type\": unknown type \"", type, "\""));
  }
  if (std::string status = r.String("status"); !ParseStatus(status, &o.status)) {
    return absl::InvalidArgumentError(absl::StrCat("field \"status\": unknown status \"", status, "\""));
  }
  o.status_message = r.String("status_message");
  o.error_type = r.String("error_type");
  if (std::string level = r.String("level"); !ParseLevel(level, &o.level)) {
    return absl::InvalidArgumentError(absl::StrCat("field \"level\": unknown level \"", level, "\""));
  }
  o.start_time_ns = r.Time("start_time");
  o.end_time_ns = r.Time("end_time");
  o.completion_start_time_ns = r.Time("completion_start_time");
  o.model = r.String("model");
  o.provider = r.String("provider");
  if (detail) o.model_parameters = r.Object("model_parameters");
  absl::Status nested;
  o.usage = UsageFrom(r.Find("usage"), &nested);
  o.cost = CostFrom(r.Find("cost"), &nested);
  if (detail) {
    o.input = r.Value("input");
    o.output = r.Value("output");
    o.metadata = r.Object("metadata");
    o.attributes = r.Object("attributes");
  }
  if (std::optional<Node> events = detail ? r.Find("events") : std::nullopt; events && events->is_array()) {
    absl::Status event_status;
    events->ForEachElement([&](const Node& e) {
      if (!event_status.ok()) return;
      FieldReader<Node> er(e);
      Event event{.name = er.String("name"), .time_ns = er.Time("time"), .attributes = er.Object("attributes")};
      event_status = er.status();
      if (event_status.ok()) o.events.push_back(std::move(event));
    });
    TRACKLY_RETURN_IF_ERROR(event_status);
  }
  if (std::optional<Node> p = r.Find("prompt"); p && p->is_object()) {
    FieldReader<Node> pr(*p);
    o.prompt = PromptRef{.name = pr.String("name"), .version = pr.String("version")};
  }
  if (std::optional<Node> t = r.Find("tool"); t && t->is_object()) {
    FieldReader<Node> tr(*t);
    o.tool = ToolRef{.name = tr.String("name"), .call_id = tr.String("call_id")};
  }
  o.environment = r.String("environment");
  o.release = r.String("release");
  o.service_name = r.String("service_name");
  o.retry_count = static_cast<int32_t>(r.Int("retry_count"));
  o.redactions = static_cast<int32_t>(r.Int("redactions"));
  o.payload_expired = r.Bool("payload_expired");
  o.trace_hints = HintsFrom(r.Find("trace_hints"), &nested);
  TRACKLY_RETURN_IF_ERROR(r.status());
  return nested;
}

template <typename Node>
absl::StatusOr<Observation> ObservationFrom(const Node& j) {
  Observation o;
  TRACKLY_RETURN_IF_ERROR(ReadObservation(j, ObservationFields::kAll, o));
  return o;
}

// The general path, for text simdjson refuses but Json::parse may accept (a byte-order mark,
// integers beyond 64 bits, nesting deeper than simdjson's limit) and for reporting what is wrong.
absl::Status ParseWithNlohmann(std::string_view text, ObservationFields fields, Observation& out) {
  Json parsed;
  try {
    parsed = Json::parse(text);
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
    return absl::InvalidArgumentError(absl::StrCat("observation is not JSON: ", e.what()));
  }
  return ReadObservation(JsonNode(parsed), fields, out);
}

// A parser keeps the buffers of the largest text it has seen; above this size a call uses its own
// parser, so a rare huge observation does not pin that much memory in every thread.
constexpr size_t kMaxRetainedParserBytes = 1 << 20;

}  // namespace

Json ToJson(const Usage& u) {
  Json j{{"input_tokens", u.input_tokens},         {"output_tokens", u.output_tokens},
         {"total_tokens", u.total_tokens},         {"cache_read_tokens", u.cache_read_tokens},
         {"cache_write_tokens", u.cache_write_tokens}, {"reasoning_tokens", u.reasoning_tokens}};
  // Present only on estimated usage, so reported usage keeps its shape.
  if (u.estimated) j["estimated"] = true;
  return j;
}

Json ToJson(const Cost& c) {
  std::string_view source = CostSourceName(c.source);
  Json j{{"input", c.input},
         {"output", c.output},
         {"total", c.total},
         {"currency", "USD"},
         {"source", source.empty() ? Json(nullptr) : Json(source)}};
  // The cost engine's fields appear only when set, so costs without them keep their shape.
  if (!c.price_id.empty()) j["price_id"] = c.price_id;
  if (c.cache_savings != 0) j["cache_savings"] = c.cache_savings;
  if (!c.note.empty()) j["note"] = c.note;
  return j;
}

Json ToJson(const Observation& o) {
  Json j = Json::object();
  j["id"] = o.id;
  j["trace_id"] = o.trace_id;
  j["parent_id"] = StringOrNull(o.parent_id);
  j["name"] = o.name;
  j["type"] = ToString(o.type);
  j["status"] = ToString(o.status);
  j["status_message"] = StringOrNull(o.status_message);
  j["error_type"] = StringOrNull(o.error_type);
  j["level"] = ToString(o.level);
  j["start_time"] = TimeOrNull(o.start_time_ns);
  j["end_time"] = TimeOrNull(o.end_time_ns);
  j["latency_ms"] = o.latency_ms();
  j["completion_start_time"] = TimeOrNull(o.completion_start_time_ns);
  j["model"] = StringOrNull(o.model);
  j["provider"] = StringOrNull(o.provider);
  j["model_parameters"] = o.model_parameters;
  j["usage"] = ToJson(o.usage);
  j["cost"] = ToJson(o.cost);
  j["input"] = o.input;
  j["output"] = o.output;
  j["metadata"] = o.metadata;
  j["attributes"] = o.attributes;
  Json events = Json::array();
  for (const Event& e : o.events) {
    events.push_back(Json{{"name", e.name}, {"time", TimeOrNull(e.time_ns)}, {"attributes", e.attributes}});
  }
  j["events"] = std::move(events);
  j["prompt"] = o.prompt ? Json{{"name", o.prompt->name}, {"version", StringOrNull(o.prompt->version)}}
                         : Json(nullptr);
  j["tool"] = o.tool ? Json{{"name", o.tool->name}, {"call_id", StringOrNull(o.tool->call_id)}}
                     : Json(nullptr);
  j["environment"] = StringOrNull(o.environment);
  j["release"] = StringOrNull(o.release);
  j["service_name"] = StringOrNull(o.service_name);
  j["retry_count"] = o.retry_count;
  if (o.redactions > 0) j["redactions"] = o.redactions;  // absent when nothing was redacted
  if (o.payload_expired) j["payload_expired"] = true;    // absent while the payload is kept
  Json hints = ToJson(o.trace_hints);
  if (!hints.empty()) j["trace_hints"] = std::move(hints);
  return j;
}

Json ToJson(const TraceCounts& counts) {
  return Json{{"observations", counts.observations}, {"generations", counts.generations},
              {"tool_calls", counts.tool_calls},     {"retrievals", counts.retrievals},
              {"errors", counts.errors},             {"retries", counts.retries}};
}

Json ToJson(const Trace& t) {
  Json j = Json::object();
  j["id"] = t.id;
  j["name"] = t.name;
  j["start_time"] = TimeOrNull(t.start_time_ns);
  j["end_time"] = TimeOrNull(t.end_time_ns);
  j["latency_ms"] = t.latency_ms();
  j["status"] = ToString(t.status);
  j["session_id"] = StringOrNull(t.session_id);
  j["user_id"] = StringOrNull(t.user_id);
  j["feature"] = StringOrNull(t.feature);
  j["environment"] = StringOrNull(t.environment);
  j["release"] = StringOrNull(t.release);
  j["tags"] = t.tags;
  j["metadata"] = t.metadata;
  j["input"] = t.input;
  j["output"] = t.output;
  j["counts"] = ToJson(t.counts);
  j["usage"] = ToJson(t.usage);
  j["cost"] = ToJson(t.cost);
  j["models"] = t.models;
  j["complete"] = t.has_root;
  return j;
}

Json ToJson(const Session& s) {
  return Json{{"id", s.id},
              {"trace_count", s.trace_count},
              {"first_time", TimeOrNull(s.first_time_ns)},
              {"last_time", TimeOrNull(s.last_time_ns)},
              {"user_id", StringOrNull(s.user_id)},
              {"counts", ToJson(s.counts)},
              {"usage", ToJson(s.usage)},
              {"cost", ToJson(s.cost)},
              {"error_count", s.error_count}};
}

Json ToJson(const Score& s) {
  return Json{{"id", s.id},
              {"trace_id", s.trace_id},
              {"observation_id", StringOrNull(s.observation_id)},
              {"name", s.name},
              {"value", s.value},
              {"comment", StringOrNull(s.comment)},
              {"source", StringOrNull(s.source)},
              {"time", TimeOrNull(s.time_ns)}};
}


bool AppendJson(const Observation& o, std::string* out) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("attributes");
  w.ObjectValue(o.attributes);
  w.Key("completion_start_time");
  w.TimeOrNull(o.completion_start_time_ns);
  w.Key("cost");
  WriteCost(o.cost, w);
  w.Key("end_time");
  w.TimeOrNull(o.end_time_ns);
  w.Key("environment");
  w.StringOrNull(o.environment);
  w.Key("error_type");
  w.StringOrNull(o.error_type);
  w.Key("events");
  WriteEvents(o.events, w);
  w.Key("id");
  w.String(o.id);
  w.Key("input");
  w.Value(o.input);
  w.Key("latency_ms");
  w.Double(o.latency_ms());
  w.Key("level");
  w.String(ToString(o.level));
  w.Key("metadata");
  w.ObjectValue(o.metadata);
  w.Key("model");
  w.StringOrNull(o.model);
  w.Key("model_parameters");
  w.ObjectValue(o.model_parameters);
  w.Key("name");
  w.String(o.name);
  w.Key("output");
  w.Value(o.output);
  w.Key("parent_id");
  w.StringOrNull(o.parent_id);
  if (o.payload_expired) {
    w.Key("payload_expired");
    w.Bool(true);
  }
  w.Key("prompt");
  WritePrompt(o.prompt, w);
  w.Key("provider");
  w.StringOrNull(o.provider);
  if (o.redactions > 0) {
    w.Key("redactions");
    w.Int(o.redactions);
  }
  w.Key("release");
  w.StringOrNull(o.release);
  w.Key("retry_count");
  w.Int(o.retry_count);
  w.Key("service_name");
  w.StringOrNull(o.service_name);
  w.Key("start_time");
  w.TimeOrNull(o.start_time_ns);
  w.Key("status");
  w.String(ToString(o.status));
  w.Key("status_message");
  w.StringOrNull(o.status_message);
  w.Key("tool");
  WriteTool(o.tool, w);
  if (HasTraceHints(o.trace_hints)) {
    w.Key("trace_hints");
    WriteTraceHints(o.trace_hints, w);
  }
  w.Key("trace_id");
  w.String(o.trace_id);
  w.Key("type");
  w.String(ToString(o.type));
  w.Key("usage");
  WriteUsage(o.usage, w);
  w.EndObject();
  w.Finish();
  return w.exact();
}

void AppendDetailJson(const Observation& o, std::string* out) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("$detail");
  w.Int(1);
  w.Key("attributes");
  w.ObjectValue(o.attributes);
  if (!o.cost.price_id.empty()) {
    w.Key("cost");
    w.BeginObject();
    w.Key("price_id");
    w.String(o.cost.price_id);
    w.EndObject();
  }
  w.Key("events");
  WriteEvents(o.events, w);
  w.Key("input");
  w.Value(o.input);
  w.Key("level");
  w.String(ToString(o.level));
  w.Key("metadata");
  w.ObjectValue(o.metadata);
  w.Key("model_parameters");
  w.ObjectValue(o.model_parameters);
  w.Key("output");
  w.Value(o.output);
  w.Key("prompt");
  WritePrompt(o.prompt, w);
  if (o.redactions > 0) {
    w.Key("redactions");
    w.Int(o.redactions);
  }
  w.Key("service_name");
  w.StringOrNull(o.service_name);
  w.Key("status");
  w.String(ToString(o.status));
  w.Key("status_message");
  w.StringOrNull(o.status_message);
  w.Key("tool");
  WriteTool(o.tool, w);
  w.Key("type");
  w.String(ToString(o.type));
  if (o.usage.estimated) {
    w.Key("usage");
    w.BeginObject();
    w.Key("estimated");
    w.Bool(true);
    w.EndObject();
  }
  w.EndObject();
  w.Finish();
}

void MergeDetail(Observation&& detail, Observation& summary) {
  summary.status_message = std::move(detail.status_message);
  summary.model_parameters = std::move(detail.model_parameters);
  summary.input = std::move(detail.input);
  summary.output = std::move(detail.output);
  summary.metadata = std::move(detail.metadata);
  summary.attributes = std::move(detail.attributes);
  summary.events = std::move(detail.events);
  summary.prompt = std::move(detail.prompt);
  summary.tool = std::move(detail.tool);
  summary.service_name = std::move(detail.service_name);
  summary.redactions = detail.redactions;
  summary.usage.estimated = detail.usage.estimated;
  summary.cost.price_id = std::move(detail.cost.price_id);
}

void AppendJson(const Trace& t, std::string* out) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("complete");
  w.Bool(t.has_root);
  w.Key("cost");
  WriteCost(t.cost, w);
  w.Key("counts");
  w.BeginObject();
  w.Key("errors");
  w.Int(t.counts.errors);
  w.Key("generations");
  w.Int(t.counts.generations);
  w.Key("observations");
  w.Int(t.counts.observations);
  w.Key("retries");
  w.Int(t.counts.retries);
  w.Key("retrievals");
  w.Int(t.counts.retrievals);
  w.Key("tool_calls");
  w.Int(t.counts.tool_calls);
  w.EndObject();
  w.Key("end_time");
  w.TimeOrNull(t.end_time_ns);
  w.Key("environment");
  w.StringOrNull(t.environment);
  w.Key("feature");
  w.StringOrNull(t.feature);
  w.Key("id");
  w.String(t.id);
  w.Key("input");
  w.Value(t.input);
  w.Key("latency_ms");
  w.Double(t.latency_ms());
  w.Key("metadata");
  w.Value(t.metadata);
  w.Key("models");
  WriteStrings(t.models, w);
  w.Key("name");
  w.String(t.name);
  w.Key("output");
  w.Value(t.output);
  w.Key("release");
  w.StringOrNull(t.release);
  w.Key("session_id");
  w.StringOrNull(t.session_id);
  w.Key("start_time");
  w.TimeOrNull(t.start_time_ns);
  w.Key("status");
  w.String(ToString(t.status));
  w.Key("tags");
  WriteStrings(t.tags, w);
  w.Key("usage");
  WriteUsage(t.usage, w);
  w.Key("user_id");
  w.StringOrNull(t.user_id);
  w.EndObject();
  w.Finish();
}

absl::StatusOr<Observation> ObservationFromJson(const Json& j) { return ObservationFrom(JsonNode(j)); }

absl::StatusOr<Score> ScoreFromJson(const Json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("score is not a JSON object");
  FieldReader<JsonNode> r{JsonNode(j)};
  Score s{.id = r.String("id"),
          .trace_id = r.String("trace_id"),
          .observation_id = r.String("observation_id"),
          .name = r.String("name"),
          .value = r.Value("value"),
          .comment = r.String("comment"),
          .source = r.String("source"),
          .time_ns = r.Time("time")};
  TRACKLY_RETURN_IF_ERROR(r.status());
  return s;
}

absl::Status ParseObservationJson(std::string_view text, ObservationFields fields, Observation& out) {
  thread_local simdjson::dom::parser reused_parser;
  std::optional<simdjson::dom::parser> own_parser;
  simdjson::dom::parser* parser = &reused_parser;
  if (text.size() > kMaxRetainedParserBytes) parser = &own_parser.emplace();
  simdjson::dom::element root;
  if (parser->parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) {
    return ParseWithNlohmann(text, fields, out);
  }
  return ReadObservation(DomNode(root), fields, out);
}

absl::StatusOr<Observation> ParseObservationJson(std::string_view text) {
  Observation o;
  TRACKLY_RETURN_IF_ERROR(ParseObservationJson(text, ObservationFields::kAll, o));
  return o;
}

}  // namespace trackly::model
