#include "cli/trace_view.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/status.h"
#include "model/summary.h"
#include "model/time_format.h"

namespace trackly::cli {
namespace {

constexpr size_t kMaxListNameWidth = 40;
constexpr size_t kMaxTreeNameWidth = 60;
constexpr size_t kMaxStatusWidth = 80;
// Past this depth the indentation stops growing (a 100k-deep trace would otherwise print
// lines of 200k spaces); the node's depth is printed instead.
constexpr int kMaxIndentDepth = 24;
constexpr std::string_view kColumnGap = "  ";

// Display width of UTF-8 text: one column per code point. Good enough for names and the marks we
// print; East Asian wide characters would need a wcwidth table, which no dependency offers here.
size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;
  }
  return width;
}

// Cuts `text` to at most `max_width` code points, ending with "…" when cut.
std::string Truncate(std::string_view text, size_t max_width) {
  if (DisplayWidth(text) <= max_width) return std::string(text);
  size_t kept = 0;
  size_t end = 0;
  while (end < text.size()) {
    if ((static_cast<unsigned char>(text[end]) & 0xC0) != 0x80) {
      if (kept == max_width - 1) break;
      ++kept;
    }
    ++end;
  }
  return absl::StrCat(Sv(text.substr(0, end)), "…");
}

// Control characters (newlines in names or messages) would break the row layout.
std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

enum class Align { kLeft, kRight };

// Not thread-safe. Rows of cells rendered with every column as wide as its widest cell.
class Table {
 public:
  explicit Table(std::vector<Align> aligns) : aligns_(std::move(aligns)) {}

  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

  std::vector<std::string> Render() const {
    std::vector<size_t> widths(aligns_.size(), 0);
    for (const auto& row : rows_) {
      for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
    std::vector<std::string> lines;
    lines.reserve(rows_.size());
    for (const auto& row : rows_) {
      std::string line;
      for (size_t i = 0; i < row.size(); ++i) {
        if (i > 0) line += kColumnGap;
        std::string padding(widths[i] - DisplayWidth(row[i]), ' ');
        if (aligns_[i] == Align::kRight) {
          absl::StrAppend(&line, padding, row[i]);
        } else {
          absl::StrAppend(&line, row[i], padding);
        }
      }
      line.erase(line.find_last_not_of(' ') + 1);
      lines.push_back(std::move(line));
    }
    return lines;
  }

 private:
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;
};

// "2026-11-22 03:04:05" (UTC) or "-".
std::string FormatStart(int64_t unix_ns) {
  if (unix_ns == 0) return "-";
  std::string text = model::FormatRfc3339Micros(unix_ns);
  text.resize(std::min<size_t>(text.size(), 19));
  std::replace(text.begin(), text.end(), 'T', ' ');
  return text;
}

int64_t TotalTokens(const model::Usage& usage) {
  return usage.total_tokens != 0 ? usage.total_tokens : usage.input_tokens + usage.output_tokens;
}

std::string StatusText(model::Status status, std::string_view error_type,
                       std::string_view message) {
  std::string text(Sv(model::ToString(status)));
  if (!error_type.empty()) absl::StrAppend(&text, " ", Sv(error_type));
  if (!message.empty()) absl::StrAppend(&text, ": ", Sv(message));
  return Truncate(OneLine(text), kMaxStatusWidth);
}

std::string MarkFor(bool is_error) { return is_error ? std::string(kErrorMark) : " "; }

std::string ObservationDuration(const model::Observation& o) {
  if (o.end_time_ns == 0) return "open";
  return FormatDurationMs(o.latency_ms());
}

std::string TraceDuration(const model::Trace& t) {
  if (t.end_time_ns == 0) return "-";
  return FormatDurationMs(t.latency_ms());
}

// Why a node is shown at the top level although it has a parent.
enum class TopLevelReason { kRoot, kOrphan, kCycle };

struct TreeNode {
  int index;
  int depth;
  TopLevelReason reason;
};

// The observations in display order with their depths: a pre-order walk over children sorted by
// (start, id), roots and orphans at depth 0. Iterative, so a 100k-deep trace cannot overflow the
// stack.
std::vector<TreeNode> LayOutTree(std::span<const model::Observation> observations) {
  const int n = static_cast<int>(observations.size());
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const auto& x = observations[a];
    const auto& y = observations[b];
    return std::tie(x.start_time_ns, x.id) < std::tie(y.start_time_ns, y.id);
  });

  absl::flat_hash_map<std::string_view, int> index_by_id;
  index_by_id.reserve(n);
  for (int i = 0; i < n; ++i) index_by_id.emplace(observations[i].id, i);  // first wins

  std::vector<std::vector<int>> children(n);
  std::vector<TreeNode> top_level;
  for (int i : order) {
    const auto& o = observations[i];
    if (o.is_root()) {
      top_level.push_back({i, 0, TopLevelReason::kRoot});
      continue;
    }
    auto parent = index_by_id.find(o.parent_id);
    if (parent == index_by_id.end()) {
      top_level.push_back({i, 0, TopLevelReason::kOrphan});
    } else {
      children[parent->second].push_back(i);  // in (start, id) order, as `order` is
    }
  }

  std::vector<TreeNode> out;
  out.reserve(n);
  std::vector<bool> visited(n, false);
  std::vector<TreeNode> stack;
  auto walk_from = [&](TreeNode start) {
    stack.push_back(start);
    while (!stack.empty()) {
      TreeNode node = stack.back();
      stack.pop_back();
      if (visited[node.index]) continue;  // duplicate ids
      visited[node.index] = true;
      out.push_back(node);
      const auto& kids = children[node.index];
      for (auto it = kids.rbegin(); it != kids.rend(); ++it) {
        stack.push_back({*it, node.depth + 1, TopLevelReason::kRoot});
      }
    }
  };
  for (const TreeNode& node : top_level) walk_from(node);
  // Whatever is still unvisited hangs off a parent cycle (a→b→a) and is reachable from no root.
  for (int i : order) {
    if (!visited[i]) walk_from({i, 0, TopLevelReason::kCycle});
  }
  return out;
}

std::string TreeCell(const model::Observation& o, const TreeNode& node) {
  std::string cell(static_cast<size_t>(std::min(node.depth, kMaxIndentDepth)) * 2, ' ');
  if (node.depth > kMaxIndentDepth) absl::StrAppend(&cell, "[depth ", node.depth, "] ");
  absl::StrAppend(&cell, Sv(model::ToString(o.type)), " ",
                  Truncate(OneLine(o.name.empty() ? "(unnamed)" : o.name), kMaxTreeNameWidth));
  switch (node.reason) {
    case TopLevelReason::kRoot:
      break;
    case TopLevelReason::kOrphan:
      absl::StrAppend(&cell, "  (parent ", Truncate(OneLine(o.parent_id), 40), " not received)");
      break;
    case TopLevelReason::kCycle:
      absl::StrAppend(&cell, "  (parent cycle)");
      break;
  }
  return cell;
}

std::string CountsText(const model::TraceCounts& counts) {
  std::vector<std::string> parts;
  auto add = [&](int64_t n, std::string_view one, std::string_view many) {
    if (n > 0) parts.push_back(absl::StrCat(n, " ", Sv(n == 1 ? one : many)));
  };
  add(counts.generations, "generation", "generations");
  add(counts.tool_calls, "tool call", "tool calls");
  add(counts.retrievals, "retrieval", "retrievals");
  add(counts.errors, "error", "errors");
  add(counts.retries, "retry", "retries");
  std::string text = absl::StrCat(counts.observations, " observations");
  if (!parts.empty()) absl::StrAppend(&text, " (", absl::StrJoin(parts, ", "), ")");
  return text;
}

}  // namespace

std::string FormatDurationMs(double latency_ms) {
  if (!(latency_ms >= 0)) return "-";  // also NaN
  if (latency_ms < 10) return absl::StrFormat("%.1fms", latency_ms);
  if (latency_ms < 1000) return absl::StrFormat("%.0fms", latency_ms);
  if (latency_ms < 60'000) return absl::StrFormat("%.2fs", latency_ms / 1000);
  const int64_t seconds = static_cast<int64_t>(std::llround(latency_ms / 1000));
  if (seconds < 3600) return absl::StrFormat("%dm%02ds", seconds / 60, seconds % 60);
  return absl::StrFormat("%dh%02dm", seconds / 3600, (seconds % 3600) / 60);
}

std::string FormatTokens(int64_t tokens) {
  if (tokens == 0) return "-";
  std::string digits = absl::StrCat(tokens < 0 ? -tokens : tokens);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return tokens < 0 ? absl::StrCat("-", out) : out;
}

std::string FormatCost(double usd) {
  if (usd == 0 || std::isnan(usd)) return "-";
  if (std::abs(usd) < 0.0001) return "<$0.0001";
  return absl::StrFormat("$%.4f", usd);
}

std::string FormatTailLine(const model::Json& entry) {
  auto text = [&](const char* key) -> std::string {
    auto it = entry.find(key);
    return it != entry.end() && it->is_string() ? OneLine(it->get<std::string>()) : "";
  };
  auto number = [&](const model::Json& value) { return value.is_number() ? value.get<double>() : 0.0; };
  // Columns as wide as their usual content: a line cannot know the widths of lines to come.
  auto cell = [](std::string value, size_t width, Align align = Align::kLeft) {
    if (value.empty()) value = "-";
    value = Truncate(value, width);
    std::string padding(width - DisplayWidth(value), ' ');
    return align == Align::kLeft ? absl::StrCat(value, padding) : absl::StrCat(padding, value);
  };
  const std::string start = text("start_time");  // 2026-11-22T03:04:05.557000Z
  const std::string status = text("status");
  const bool is_error = status == "error" || text("level") == "ERROR";
  std::string type = text("type");
  if (type.empty() && entry.value("update", false)) type = "update";
  const model::Json latency = entry.value("latency_ms", model::Json(nullptr));
  const model::Json usage = entry.value("usage", model::Json::object());
  int64_t tokens = static_cast<int64_t>(number(usage.value("total_tokens", model::Json(0))));
  if (tokens == 0) {
    tokens = static_cast<int64_t>(number(usage.value("input_tokens", model::Json(0))) +
                                  number(usage.value("output_tokens", model::Json(0))));
  }
  const double cost = number(entry.value("cost", model::Json::object()).value("total", model::Json(0)));
  std::string status_text = status;
  if (text("level") == "ERROR" && status != "error") absl::StrAppend(&status_text, " ERROR");
  std::string line = absl::StrJoin(
      {cell(start.size() >= 23 ? start.substr(11, 12) : "", 12), MarkFor(is_error),
       cell(text("trace_id").substr(0, 8), 8), cell(type, 10), cell(text("name"), 32), cell(text("model"), 20),
       cell(latency.is_number()                                  ? FormatDurationMs(latency.get<double>())
            : !start.empty() && text("end_time").empty() ? "open"
                                                         : "-",
            8, Align::kRight),
       cell(FormatTokens(tokens), 9, Align::kRight), cell(FormatCost(cost), 9, Align::kRight), status_text},
      Sv(kColumnGap));
  line.erase(line.find_last_not_of(' ') + 1);
  return line;
}

std::vector<std::string> FormatTraceList(std::span<const model::Trace> traces) {
  if (traces.empty()) return {"no traces"};
  Table table({Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft, Align::kRight,
               Align::kRight, Align::kRight, Align::kLeft});
  table.AddRow({" ", "ID", "NAME", "START (UTC)", "LATENCY", "TOKENS", "COST", "STATUS"});
  for (const model::Trace& t : traces) {
    const bool is_error = t.status == model::Status::kError;
    table.AddRow({MarkFor(is_error), t.id,
                  Truncate(OneLine(t.name.empty() ? "(unnamed)" : t.name), kMaxListNameWidth),
                  FormatStart(t.start_time_ns), TraceDuration(t), FormatTokens(TotalTokens(t.usage)),
                  FormatCost(t.cost.total), std::string(Sv(model::ToString(t.status)))});
  }
  return table.Render();
}

std::vector<std::string> FormatTraceTree(const model::Trace& trace,
                                         std::span<const model::Observation> observations) {
  std::vector<std::string> lines;
  lines.push_back(absl::StrCat("Trace ", trace.id, "  ",
                               OneLine(trace.name.empty() ? "(unnamed)" : trace.name)));
  lines.push_back(absl::StrCat(
      "Start ", FormatStart(trace.start_time_ns), " UTC   latency ", TraceDuration(trace),
      "   tokens ", FormatTokens(TotalTokens(trace.usage)), "   cost ", FormatCost(trace.cost.total),
      "   status ", trace.status == model::Status::kError ? absl::StrCat(kErrorMark, " ") : "",
      Sv(model::ToString(trace.status))));
  std::string who = CountsText(trace.counts);
  if (!trace.session_id.empty()) absl::StrAppend(&who, "   session ", OneLine(trace.session_id));
  if (!trace.user_id.empty()) absl::StrAppend(&who, "   user ", OneLine(trace.user_id));
  lines.push_back(std::move(who));
  lines.emplace_back();

  const std::vector<model::SubtreeTotals> subtrees = model::SummarizeSubtrees(observations);
  Table table({Align::kLeft, Align::kLeft, Align::kRight, Align::kRight, Align::kRight,
               Align::kRight, Align::kLeft});
  table.AddRow({" ", "OBSERVATION", "DURATION", "TOKENS", "COST", "SUBTREE COST", "STATUS"});
  for (const TreeNode& node : LayOutTree(observations)) {
    const model::Observation& o = observations[node.index];
    const model::SubtreeTotals& subtree = subtrees[node.index];
    table.AddRow({MarkFor(o.is_error()), TreeCell(o, node), ObservationDuration(o),
                  FormatTokens(TotalTokens(o.usage)), FormatCost(o.cost.total),
                  subtree.counts.observations > 1 ? FormatCost(subtree.cost.total) : "",
                  StatusText(o.status, o.error_type, o.is_error() ? o.status_message : "")});
  }
  for (std::string& line : table.Render()) lines.push_back(std::move(line));
  return lines;
}

std::vector<std::string> FormatRunInsight(const analysis::RunProfile& profile,
                                          std::span<const analysis::Finding> findings) {
  std::vector<std::string> lines;
  lines.push_back(absl::StrFormat(
      "Run: %d model calls, %d tool calls, %d retrievals, %d retries, %d errors, depth %d, %d plan-act rounds",
      profile.model_calls, profile.tool_calls, profile.retrievals, profile.retries, profile.errors, profile.max_depth,
      profile.planning_iterations));
  std::string stopped = absl::StrCat("Stopped: ", Sv(analysis::ToString(profile.stop_reason)));
  if (!profile.stop_evidence.empty()) absl::StrAppend(&stopped, " (", profile.stop_evidence, ")");
  lines.push_back(std::move(stopped));
  if (findings.empty()) {
    lines.push_back("No findings.");
    return lines;
  }
  for (const analysis::Finding& finding : findings) {
    lines.push_back(absl::StrCat(kFindingMark, " ", Sv(analysis::ToString(finding.kind)), ": ", finding.message));
  }
  return lines;
}

namespace {

// "+1.20s", "-350ms", "+0" — the sign always shown.
std::string SignedDuration(double ms) {
  if (ms == 0) return "+0";
  return absl::StrCat(ms > 0 ? "+" : "-", FormatDurationMs(std::fabs(ms)));
}

std::string SignedTokens(int64_t tokens) {
  if (tokens == 0) return "+0";
  return absl::StrCat(tokens > 0 ? "+" : "-", FormatTokens(tokens > 0 ? tokens : -tokens));
}

std::string SignedCost(double usd) {
  if (usd == 0) return "+$0";
  return absl::StrCat(usd > 0 ? "+" : "-", FormatCost(std::fabs(usd)));
}

std::string JsonString(const model::Json& value) { return value.is_string() ? value.get<std::string>() : ""; }

}  // namespace

std::vector<std::string> FormatTraceDiff(const model::Json& diff) {
  std::vector<std::string> lines;
  for (const char* side : {"a", "b"}) {
    const model::Json& s = diff.at(side);
    std::string line = absl::StrCat(side, ": ", JsonString(s.at("trace_id")), "  ", JsonString(s.at("name")));
    if (s.contains("typical_of")) absl::StrAppend(&line, "  (typical of ", s.at("typical_of").get<int>(), " earlier traces)");
    if (std::string_view(side) == "a") absl::StrAppend(&line, "  [baseline]");
    lines.push_back(std::move(line));
  }
  const model::Json& ta = diff.at("a").at("totals");
  const model::Json& tb = diff.at("b").at("totals");
  const double la = ta.at("latency_ms").get<double>(), lb = tb.at("latency_ms").get<double>();
  const int64_t ka = ta.at("total_tokens").get<int64_t>(), kb = tb.at("total_tokens").get<int64_t>();
  const double ca = ta.at("cost").get<double>(), cb = tb.at("cost").get<double>();
  lines.push_back(absl::StrFormat("Latency %s → %s (%s), tokens %s → %s (%s), cost %s → %s (%s), steps %d → %d",
                                  FormatDurationMs(la), FormatDurationMs(lb), SignedDuration(lb - la), FormatTokens(ka),
                                  FormatTokens(kb), SignedTokens(kb - ka), FormatCost(ca), FormatCost(cb),
                                  SignedCost(cb - ca), ta.at("steps").get<int64_t>(), tb.at("steps").get<int64_t>()));
  const model::Json& counts = diff.at("counts");
  lines.push_back(absl::StrFormat("Steps: %d same, %d changed, %d added, %d removed", counts.at("same").get<int64_t>(),
                                  counts.at("changed").get<int64_t>(), counts.at("added").get<int64_t>(),
                                  counts.at("removed").get<int64_t>()));
  lines.push_back("");
  for (const model::Json& step : diff.at("steps")) {
    const std::string kind = step.at("kind").get<std::string>();
    const char* mark = kind == "same" ? "=" : kind == "changed" ? "~" : kind == "added" ? "+" : "-";
    const model::Json& ref = step.at(kind == "removed" ? "a" : "b");
    const int depth = std::min(step.at("depth").get<int>(), 20);
    std::string line = absl::StrCat(mark, " ", std::string(2 * (depth - 1), ' '), step.at("key").get<std::string>());
    if (ref.is_object() && !ref.at("name").get<std::string>().empty()) {
      absl::StrAppend(&line, "  \"", ref.at("name").get<std::string>(), "\"");
    }
    if (kind == "changed") {
      std::vector<std::string> why;
      for (const model::Json& change : step.at("changes")) why.push_back(change.get<std::string>());
      absl::StrAppend(&line, "  [", absl::StrJoin(why, ", "), "]  latency ",
                      SignedDuration(step.at("latency_delta_ms").get<double>()), ", tokens ",
                      SignedTokens(step.at("tokens_delta").at("total").get<int64_t>()), ", cost ",
                      SignedCost(step.at("cost_delta").get<double>()));
    }
    lines.push_back(std::move(line));
    for (const auto& [which, label] : {std::pair{"input_diff", "input"}, {"output_diff", "output"}}) {
      if (!step.contains(which)) continue;
      lines.push_back(absl::StrCat("      ", label, ":"));
      for (const model::Json& diff_line : step.at(which)) {
        const std::string op = diff_line.at("op").get<std::string>();
        const char* sign = op == "same" ? " " : op == "added" ? "+" : op == "removed" ? "-" : "…";
        lines.push_back(absl::StrCat("      ", sign, " ", diff_line.at("text").get<std::string>()));
      }
    }
  }
  return lines;
}

}  // namespace trackly::cli
