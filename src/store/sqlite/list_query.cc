#include "store/sqlite/list_query.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "base/status.h"
#include "store/store.h"

namespace trackly::store::sqlite {

std::string EncodeCursor(int64_t time_ns, std::string_view id) {
  return absl::WebSafeBase64Escape(absl::StrCat(time_ns, ":", Sv(id)));
}

absl::Status DecodeCursor(std::string_view cursor, int64_t* time_ns, std::string* id) {
  std::string raw;
  if (absl::WebSafeBase64Unescape(Sv(cursor), &raw)) {
    std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(raw, absl::MaxSplits(':', 1));
    if (absl::SimpleAtoi(parts.first, time_ns) && !parts.second.empty()) {
      *id = std::string(parts.second);
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError("cursor: malformed (pass next_cursor of a previous page unchanged)");
}

absl::Status CheckListLimit(int limit) {
  if (limit < 1 || limit > kMaxListLimit) {
    return absl::InvalidArgumentError(absl::StrCat("limit: must be within 1..", kMaxListLimit, ", got ", limit));
  }
  return absl::OkStatus();
}

void Filter::Bind(Statement& stmt) const {
  for (size_t i = 0; i < values_.size(); ++i) {
    int index = static_cast<int>(i) + 1;
    if (const auto* v = std::get_if<int64_t>(&values_[i])) {
      stmt.BindInt(index, *v);
    } else if (const auto* d = std::get_if<double>(&values_[i])) {
      stmt.BindDouble(index, *d);
    } else {
      stmt.BindText(index, std::get<std::string>(values_[i]));
    }
  }
}

}  // namespace trackly::store::sqlite
