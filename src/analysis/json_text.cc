#include "analysis/json_text.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "base/status.h"

namespace trackly::analysis {
namespace {

using model::Json;

// Bounds the nodes a walk visits: payloads were capped at ingest, but an analysis must stay cheap
// on whatever it is given.
constexpr size_t kMaxNodes = 200'000;

std::string CollapseWhitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string Quote(std::string_view text) { return model::DumpJson(Json(std::string(text))); }

std::string NumberText(const Json& value) {
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.0e15) {
      return std::to_string(static_cast<int64_t>(d));
    }
  }
  return model::DumpJson(value);
}

std::string NormalizeReason(std::string_view text) {
  std::string out = absl::AsciiStrToLower(absl::StripAsciiWhitespace(Sv(text)));
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

// The reason in an attribute value: a string, or the last string of a list.
std::string ReasonIn(const Json* value) {
  if (value == nullptr) return "";
  if (value->is_string()) return NormalizeReason(value->get_ref<const std::string&>());
  if (value->is_array()) {
    for (auto it = value->rbegin(); it != value->rend(); ++it) {
      if (it->is_string() && !it->get_ref<const std::string&>().empty()) {
        return NormalizeReason(it->get_ref<const std::string&>());
      }
    }
  }
  return "";
}

const Json* Member(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// Visits `root` in document order (pre-order, object members by key, arrays by index), calling
// visit(key, value) with the key the value sits under ("" for array elements and the root).
// visit returns false to skip the value's children.
template <typename Visit>
void Walk(const Json& root, Visit visit) {
  std::vector<std::pair<std::string_view, const Json*>> stack = {{"", &root}};
  size_t visited = 0;
  while (!stack.empty() && visited < kMaxNodes) {
    auto [key, value] = stack.back();
    stack.pop_back();
    ++visited;
    if (!visit(key, *value)) continue;
    if (value->is_object()) {
      const size_t first = stack.size();
      for (auto it = value->begin(); it != value->end(); ++it) stack.emplace_back(it.key(), &*it);
      std::reverse(stack.begin() + static_cast<ptrdiff_t>(first), stack.end());
    } else if (value->is_array()) {
      for (auto it = value->rbegin(); it != value->rend(); ++it) stack.emplace_back(std::string_view(), &*it);
    }
  }
}

}  // namespace

std::string CanonicalJson(const Json& value, size_t max_bytes) {
  // Work items: a value to write, or (value == nullptr) literal text.
  struct Item {
    const Json* value;
    std::string text;
  };
  std::string out;
  std::vector<Item> stack;
  stack.push_back({&value, ""});
  while (!stack.empty() && out.size() < max_bytes) {
    Item item = std::move(stack.back());
    stack.pop_back();
    if (item.value == nullptr) {
      out += item.text;
      continue;
    }
    const Json& v = *item.value;
    if (v.is_object()) {
      // Json objects iterate in key order already (model/json.h), so equal maps write equally.
      out += '{';
      stack.push_back({nullptr, "}"});
      std::vector<std::pair<const std::string*, const Json*>> members;
      for (auto it = v.begin(); it != v.end(); ++it) members.emplace_back(&it.key(), &*it);
      for (size_t i = members.size(); i-- > 0;) {
        stack.push_back({members[i].second, ""});
        stack.push_back({nullptr, (i > 0 ? "," : "") + Quote(*members[i].first) + ":"});
      }
    } else if (v.is_array()) {
      out += '[';
      stack.push_back({nullptr, "]"});
      for (size_t i = v.size(); i-- > 0;) {
        stack.push_back({&v[i], ""});
        if (i > 0) stack.push_back({nullptr, ","});
      }
    } else if (v.is_string()) {
      out += Quote(CollapseWhitespace(v.get_ref<const std::string&>()));
    } else if (v.is_number()) {
      out += NumberText(v);
    } else {
      out += model::DumpJson(v);
    }
  }
  if (out.size() > max_bytes) out.resize(max_bytes);
  return out;
}

std::vector<std::string> TokenSet(std::string_view text) {
  std::vector<std::string> tokens;
  std::string current;
  for (char c : text) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      current.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  return tokens;
}

double Jaccard(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.empty() && b.empty()) return 1;
  size_t common = 0;
  auto x = a.begin();
  auto y = b.begin();
  while (x != a.end() && y != b.end()) {
    if (*x < *y) {
      ++x;
    } else if (*y < *x) {
      ++y;
    } else {
      ++common;
      ++x;
      ++y;
    }
  }
  return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

std::string OutputText(const Json& output, size_t max_bytes) {
  std::string text;
  Walk(output, [&](std::string_view key, const Json& value) {
    if (text.size() >= max_bytes) return false;
    if (key == "role" || key == "finish_reason" || key == "id" || key == "tool_call_id" ||
        key == "type" || key == "name" || key == "tool_calls") {
      return false;
    }
    if (value.is_string()) {
      if (!text.empty()) text += '\n';
      text += value.get_ref<const std::string&>();
    }
    return true;
  });
  if (text.size() > max_bytes) text.resize(max_bytes);
  return text;
}

bool HasToolCalls(const Json& output) {
  bool found = false;
  Walk(output, [&](std::string_view key, const Json& value) {
    if (found) return false;
    if (key == "tool_calls" && value.is_array() && !value.empty()) found = true;
    return !found;
  });
  return found;
}

std::string FinishReasonOf(const model::Observation& observation) {
  for (std::string_view key : {"gen_ai.response.finish_reasons", "gen_ai.response.finish_reason",
                               "llm.finish_reason", "ai.response.finishReason"}) {
    std::string reason = ReasonIn(Member(observation.attributes, key));
    if (!reason.empty()) return reason;
  }
  std::string reason;
  Walk(observation.output, [&](std::string_view key, const Json& value) {
    if ((key == "finish_reason" || key == "finishReason" || key == "stop_reason") && value.is_string() &&
        !value.get_ref<const std::string&>().empty()) {
      reason = NormalizeReason(value.get_ref<const std::string&>());
    }
    return true;
  });
  if (!reason.empty()) return reason;
  return ReasonIn(Member(observation.metadata, "finish_reason"));
}

bool ContainsPhrase(std::string_view lower_text, std::string_view phrase) {
  if (phrase.empty()) return false;
  for (size_t at = lower_text.find(phrase); at != std::string_view::npos;
       at = lower_text.find(phrase, at + 1)) {
    const size_t end = at + phrase.size();
    const bool left_ok = at == 0 || !absl::ascii_isalnum(static_cast<unsigned char>(lower_text[at - 1]));
    const bool right_ok = end == lower_text.size() || !absl::ascii_isalnum(static_cast<unsigned char>(lower_text[end]));
    if (left_ok && right_ok) return true;
  }
  return false;
}

std::string_view FirstPhrase(std::string_view lower_text, std::span<const std::string_view> phrases) {
  for (std::string_view phrase : phrases) {
    if (ContainsPhrase(lower_text, phrase)) return phrase;
  }
  return "";
}

}  // namespace trackly::analysis
