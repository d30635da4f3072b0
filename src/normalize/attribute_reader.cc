#include "normalize/attribute_reader.h"

#include <cmath>
#include <limits>

#include "absl/strings/numbers.h"

namespace trackly::normalize {

AttributeReader::AttributeReader(const Json& attributes)
    : object_(attributes.is_object() ? &attributes.get_ref<const Json::object_t&>()
                                     : &EmptyObject()) {
  index_.reserve(object_->size());
  entries_.reserve(object_->size());
  for (auto it = object_->begin(); it != object_->end(); ++it) {
    index_.emplace(std::string_view(it->first), entries_.size());
    const uint8_t signature = Signature(it->first);
    key_filter_[signature >> 6] |= uint64_t{1} << (signature & 63);
    entries_.push_back(it);
  }
  consumed_.assign(entries_.size(), false);
}

const Json::object_t& AttributeReader::EmptyObject() {
  static const Json::object_t* const kEmpty = new Json::object_t();
  return *kEmpty;
}

int64_t AttributeReader::IndexOf(std::string_view key) const {
  const uint8_t signature = Signature(key);
  if ((key_filter_[signature >> 6] & (uint64_t{1} << (signature & 63))) == 0) return -1;
  auto it = index_.find(key);
  return it == index_.end() ? -1 : static_cast<int64_t>(it->second);
}

const Json* AttributeReader::Find(std::string_view key) const {
  int64_t pos = IndexOf(key);
  return pos < 0 ? nullptr : &entries_[pos]->second;
}

const Json* AttributeReader::Take(std::string_view key) {
  int64_t pos = IndexOf(key);
  if (pos < 0) return nullptr;
  Consume(entries_[pos]);
  return &entries_[pos]->second;
}

void AttributeReader::Consume(Iterator it) {
  int64_t pos = IndexOf(it->first);
  if (pos < 0 || consumed_[pos]) return;
  consumed_[pos] = true;
  ++consumed_count_;
}

bool AttributeReader::IsConsumed(std::string_view key) const {
  int64_t pos = IndexOf(key);
  return pos >= 0 && consumed_[pos];
}

std::pair<AttributeReader::Iterator, AttributeReader::Iterator> AttributeReader::PrefixRange(
    std::string_view prefix) const {
  Iterator begin = object_->lower_bound(prefix);
  Iterator end = begin;
  while (end != object_->end() && std::string_view(end->first).starts_with(prefix)) ++end;
  return {begin, end};
}

Json AttributeReader::Leftovers() const {
  Json out = Json::object();
  if (consumed_count_ == entries_.size()) return out;
  Json::object_t& dst = out.get_ref<Json::object_t&>();
  if (consumed_count_ == 0) {
    dst = *object_;
    return out;
  }
  for (size_t i = 0; i < entries_.size(); ++i) {
    // Keys arrive sorted, so hinted insertion at the end is constant time.
    if (!consumed_[i]) dst.emplace_hint(dst.end(), entries_[i]->first, entries_[i]->second);
  }
  return out;
}

std::optional<std::string> AsString(const Json& value) {
  if (value.is_string()) return value.get_ref<const std::string&>();
  if (value.is_number_integer()) return value.dump();
  return std::nullopt;
}

std::optional<int64_t> AsCount(const Json& value) {
  if (value.is_number_unsigned()) {
    uint64_t v = value.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (value.is_number_integer()) {
    return value.get<int64_t>();
  }
  if (value.is_number_float()) {
    double v = value.get<double>();
    // 9.2e18 is the largest double below int64 max.
    if (!std::isfinite(v) || v < -9.2e18 || v > 9.2e18 || v != std::floor(v)) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (value.is_string()) {
    int64_t v = 0;
    if (absl::SimpleAtoi(value.get_ref<const std::string&>(), &v)) return v;
  }
  return std::nullopt;
}

std::optional<double> AsDouble(const Json& value) {
  double v = 0;
  if (value.is_number()) {
    v = value.get<double>();
  } else if (!value.is_string() || !absl::SimpleAtod(value.get_ref<const std::string&>(), &v)) {
    return std::nullopt;
  }
  return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

std::optional<bool> AsBool(const Json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  return std::nullopt;
}

namespace {

// Nesting deeper than this is kept as text: the decoders cap AnyValue nesting at 64 and everything
// downstream (serializers, the UI) walks JSON recursively.
constexpr int kMaxParsedDepth = 64;

// nlohmann's parser has no depth limit, so the text is scanned first (brackets outside strings).
bool NestsDeeperThan(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return true;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return false;
}

}  // namespace

std::optional<Json> ParseJson(std::string_view text) {
  if (NestsDeeperThan(text, kMaxParsedDepth)) return std::nullopt;
  Json parsed = Json::parse(text.begin(), text.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

Json ParseIfStructured(const Json& value) {
  if (!value.is_string()) return value;
  std::string_view text = value.get_ref<const std::string&>();
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || (text[first] != '{' && text[first] != '[')) return value;
  std::optional<Json> parsed = ParseJson(text);
  return parsed ? *std::move(parsed) : value;
}

Json ParseIfJson(const Json& value) {
  if (!value.is_string()) return value;
  std::optional<Json> parsed = ParseJson(value.get_ref<const std::string&>());
  return parsed ? *std::move(parsed) : value;
}

const Json* Member(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const Json::object_t& obj = object.get_ref<const Json::object_t&>();
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &it->second;
}

std::string_view MemberString(const Json& object, std::string_view key) {
  const Json* v = Member(object, key);
  return v && v->is_string() ? std::string_view(v->get_ref<const std::string&>()) : std::string_view();
}

}  // namespace trackly::normalize
