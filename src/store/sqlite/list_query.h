// The WHERE clause every SQLite list query builds (traces, sessions, scores in store.db; the audit
// log in catalog.db) from optional filters; paging is store/list_paging.h.
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

// Not thread-safe. A WHERE clause assembled from optional filters, with its parameter values in
// order. Each `?` of a condition takes the next value.
class Filter {
 public:
  using Value = std::variant<int64_t, double, std::string>;

  template <typename... Values>
  void Add(std::string_view condition, Values... values) {
    AddValues(condition, {Value(std::move(values))...});
  }
  // As Add, with the values in a list (for a condition whose parts are optional).
  void AddValues(std::string_view condition, std::vector<Value> values) {
    std::string numbered;
    for (char c : condition) {
      if (c == '?') {
        absl::StrAppend(&numbered, "?", ++placeholders_);
      } else {
        numbered.push_back(c);
      }
    }
    conditions_.push_back(std::move(numbered));
    for (Value& value : values) values_.push_back(std::move(value));
  }
  // "1" when no condition was added, so the clause is always valid SQL.
  std::string Where() const { return conditions_.empty() ? "1" : absl::StrJoin(conditions_, " AND "); }
  void Bind(Statement& stmt) const;

 private:
  int placeholders_ = 0;
  std::vector<std::string> conditions_;
  std::vector<Value> values_;
};

}  // namespace trackly::store::sqlite
