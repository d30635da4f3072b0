// Pieces every SQLite list query shares (traces, sessions, scores in store.db; the audit log in
// catalog.db): a WHERE clause built from optional filters, the limit check, and the keyset cursor.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "store/sqlite/connection.h"

namespace trackly::store::sqlite {

// Cursors are keyset positions: the (time, id) of the last row of a page, so a page boundary
// does not move when newer rows arrive. Opaque to clients: base64url of "<time>:<id>".
std::string EncodeCursor(int64_t time_ns, std::string_view id);
// InvalidArgument ("cursor: malformed ...") for anything EncodeCursor did not make.
absl::Status DecodeCursor(std::string_view cursor, int64_t* time_ns, std::string* id);

// InvalidArgument naming the limit unless it is within 1..kMaxListLimit.
absl::Status CheckListLimit(int limit);

// Not thread-safe. A WHERE clause assembled from optional filters, with its parameter values in
// order. Each `?` of a condition takes the next value.
class Filter {
 public:
  template <typename... Values>
  void Add(std::string_view condition, Values... values) {
    std::string numbered;
    for (char c : condition) {
      if (c == '?') {
        absl::StrAppend(&numbered, "?", ++placeholders_);
      } else {
        numbered.push_back(c);
      }
    }
    conditions_.push_back(std::move(numbered));
    (values_.emplace_back(std::move(values)), ...);
  }
  // "1" when no condition was added, so the clause is always valid SQL.
  std::string Where() const { return conditions_.empty() ? "1" : absl::StrJoin(conditions_, " AND "); }
  void Bind(Statement& stmt) const;

 private:
  int placeholders_ = 0;
  std::vector<std::string> conditions_;
  std::vector<std::variant<int64_t, double, std::string>> values_;
};

}  // namespace trackly::store::sqlite
