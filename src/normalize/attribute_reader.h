// Typed, consumption-tracking access to one span's attribute object. The normalizer looks keys
// up directly (no copies of the whole object) and marks what a mapped field took; Leftovers()
// then copies only the rest, once.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "model/json.h"

namespace trackly::normalize {

using model::Json;

// Not thread-safe. Borrows `attributes`, which must outlive the reader.
class AttributeReader {
 public:
  using Iterator = Json::object_t::const_iterator;

  // A value that is not a JSON object reads as an empty object.
  explicit AttributeReader(const Json& attributes);

  // The value under `key`, or nullptr.
  const Json* Find(std::string_view key) const;
  // Find() and mark the key consumed when present.
  const Json* Take(std::string_view key);
  // Marks the key under `it` consumed (`it` must come from this reader).
  void Consume(Iterator it);
  bool IsConsumed(std::string_view key) const;

  // The keys starting with `prefix`, in key order.
  std::pair<Iterator, Iterator> PrefixRange(std::string_view prefix) const;

  // The first of `keys` whose value `convert` accepts (returns an engaged optional). The winner is
  // consumed, and so is every later candidate holding an equal converted value (pure duplicates,
  // e.g. the same model under three names); candidates that disagree stay in the leftovers.
  template <typename Convert>
  auto TakeFirst(std::initializer_list<std::string_view> keys, Convert convert)
      -> decltype(convert(std::declval<const Json&>()));

  // Every attribute not consumed, as a JSON object.
  Json Leftovers() const;

 private:
  static const Json::object_t& EmptyObject();
  // Position of `key` in entries_, or -1.
  int64_t IndexOf(std::string_view key) const;

  const Json::object_t* object_;
  // The normalizer probes ~150 candidate keys per span, mostly absent: a hash index over the
  // keys (views into object_, stable for the reader's lifetime) beats the tree's string compares.
  struct KeyHash {
    size_t operator()(std::string_view key) const {
      return absl::Hash<absl::string_view>()(absl::string_view(key.data(), key.size()));
    }
  };
  absl::flat_hash_map<std::string_view, size_t, KeyHash> index_;
  // Most probes miss, and hashing a ~25-byte key costs more than the rest of a miss: a 256-bit
  // filter over a signature of each present key (its length and two of its bytes) answers most
  // misses without hashing. Exact as a "no"; a "maybe" goes to index_.
  static uint8_t Signature(std::string_view key) {
    if (key.empty()) return 0;
    return static_cast<uint8_t>(key.size() * 37 + static_cast<unsigned char>(key.back()) * 7 +
                                static_cast<unsigned char>(key[key.size() / 2]));
  }
  uint64_t key_filter_[4] = {0, 0, 0, 0};
  std::vector<Iterator> entries_;  // in key order
  std::vector<bool> consumed_;     // parallel to entries_
  size_t consumed_count_ = 0;
};

template <typename Convert>
auto AttributeReader::TakeFirst(std::initializer_list<std::string_view> keys, Convert convert)
    -> decltype(convert(std::declval<const Json&>())) {
  decltype(convert(std::declval<const Json&>())) winner;
  for (std::string_view key : keys) {
    int64_t pos = IndexOf(key);
    if (pos < 0) continue;
    Iterator it = entries_[pos];
    auto value = convert(it->second);
    if (!value) continue;
    if (!winner) {
      winner = std::move(value);
      Consume(it);
    } else if (*value == *winner) {
      Consume(it);
    }
  }
  return winner;
}

// Value conversions. Attribute values arrive with whatever JSON type the client chose; these
// accept the sensible spellings and reject the rest (nullopt), never throw.

// A string, or an integer written as decimal text (ids sent as numbers).
std::optional<std::string> AsString(const Json& value);
// An integer: integer, integral double, or decimal text. Negative values are kept so the caller
// can reject them by name (token counts are validated in BatchNormalizer).
std::optional<int64_t> AsCount(const Json& value);
// A finite number or numeric text.
std::optional<double> AsDouble(const Json& value);
// true/false, or the text "true"/"false".
std::optional<bool> AsBool(const Json& value);

// Parses JSON text; nullopt when malformed.
std::optional<Json> ParseJson(std::string_view text);
// `value` itself, except that a string holding a JSON object or array is parsed (kept as the
// string when malformed). Used where a JSON string is allowed but plain text is common.
Json ParseIfStructured(const Json& value);
// `value` itself, except that a string holding any JSON text is parsed (kept when malformed).
// Used where the sender always JSON-encodes (Langfuse's input/output).
Json ParseIfJson(const Json& value);

// The member `key` of `object`, or nullptr when `object` is not an object or lacks it.
const Json* Member(const Json& object, std::string_view key);
// The member as a string, or empty.
std::string_view MemberString(const Json& object, std::string_view key);

}  // namespace trackly::normalize
