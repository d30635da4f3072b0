#include "normalize/flattened_list.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>


namespace trackly::normalize {
namespace {

// A plain decimal without leading zeros ("0", "17"), at most kMaxFlattenedIndex; else -1.
int64_t ParseIndex(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return -1;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v <= kMaxFlattenedIndex ? v : -1;
}

// Places `value` at `path` under `root`, creating objects on the way. False when the path runs
// into an existing scalar or the leaf is already set (the key is then left alone).
bool Place(Json& root, const std::vector<std::string_view>& path, const Json& value) {
  Json* node = &root;
  for (size_t i = 0; i < path.size(); ++i) {
    if (node->is_null()) *node = Json::object();
    if (!node->is_object()) return false;
    Json::object_t& obj = node->get_ref<Json::object_t&>();
    auto it = obj.find(path[i]);
    if (it == obj.end()) it = obj.emplace(std::string(path[i]), Json()).first;
    node = &it->second;
  }
  if (!node->is_null()) return false;
  *node = value;
  return true;
}

// Turns objects whose keys are all indexes into arrays ordered by index. Depth is bounded by
// kMaxFlattenedDepth because the tree was built from at most that many segments.
void Arrayify(Json& node) {
  if (!node.is_object() || node.empty()) return;
  Json::object_t& obj = node.get_ref<Json::object_t&>();
  std::vector<std::pair<int64_t, Json*>> indexed;
  indexed.reserve(obj.size());
  for (auto& [key, child] : obj) {
    Arrayify(child);
    int64_t index = ParseIndex(key);
    if (index >= 0) indexed.emplace_back(index, &child);
  }
  if (indexed.size() != obj.size()) return;
  std::sort(indexed.begin(), indexed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Json array = Json::array();
  array.get_ref<Json::array_t&>().reserve(indexed.size());
  for (auto& [index, child] : indexed) array.push_back(std::move(*child));
  node = std::move(array);
}

}  // namespace

Json RebuildFlattened(AttributeReader& attributes, std::string_view prefix) {
  std::map<int64_t, Json> elements;
  std::vector<std::string_view> path;
  auto [begin, end] = attributes.PrefixRange(prefix);
  for (auto it = begin; it != end; ++it) {
    std::string_view rest = std::string_view(it->first).substr(prefix.size());
    size_t dot = rest.find('.');
    int64_t index = ParseIndex(rest.substr(0, dot));
    if (index < 0) continue;
    path.clear();
    if (dot != std::string_view::npos) {
      std::string_view tail = rest.substr(dot + 1);
      if (static_cast<size_t>(std::count(tail.begin(), tail.end(), '.')) >= kMaxFlattenedDepth) continue;
      for (size_t start = 0;;) {
        size_t next = tail.find('.', start);
        path.push_back(tail.substr(start, next == std::string_view::npos ? next : next - start));
        if (next == std::string_view::npos) break;
        start = next + 1;
      }
      if (std::any_of(path.begin(), path.end(), [](std::string_view s) { return s.empty(); })) continue;
    }
    if (Place(elements[index], path, it->second)) {
      attributes.Consume(it);
    } else if (elements[index].is_null()) {
      elements.erase(index);
    }
  }
  Json out = Json::array();
  for (auto& [index, element] : elements) {
    Arrayify(element);
    out.push_back(std::move(element));
  }
  return out;
}

void ConsumeFlattened(AttributeReader& attributes, std::string_view prefix) {
  auto [begin, end] = attributes.PrefixRange(prefix);
  for (auto it = begin; it != end; ++it) {
    std::string_view rest = std::string_view(it->first).substr(prefix.size());
    if (ParseIndex(rest.substr(0, rest.find('.'))) >= 0) attributes.Consume(it);
  }
}

}  // namespace trackly::normalize
