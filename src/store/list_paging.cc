#include "store/list_paging.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status.h"
#include "store/store.h"

namespace trackly::store {

std::string EncodeCursor(int64_t key, std::string_view id) {
  return absl::WebSafeBase64Escape(absl::StrCat(key, ":", Sv(id)));
}

absl::Status DecodeCursor(std::string_view cursor, int64_t* key, std::string* id) {
  std::string raw;
  if (absl::WebSafeBase64Unescape(Sv(cursor), &raw)) {
    std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(raw, absl::MaxSplits(':', 1));
    if (absl::SimpleAtoi(parts.first, key) && !parts.second.empty()) {
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

absl::Status CheckListArgs(std::string_view project, int limit) {
  if (project.empty()) return absl::InvalidArgumentError("project: required");
  return CheckListLimit(limit);
}

}  // namespace trackly::store
