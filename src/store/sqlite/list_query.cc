#include "store/sqlite/list_query.h"

#include <variant>

namespace trackly::store::sqlite {

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
