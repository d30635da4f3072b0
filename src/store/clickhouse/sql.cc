#include "store/clickhouse/sql.h"

namespace trackly::store::clickhouse {
namespace {

std::string Enclose(std::string_view value, char quote) {
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back(quote);
  for (char c : value) {
    if (c == '\\' || c == quote) out.push_back('\\');
    out.push_back(c);
  }
  out.push_back(quote);
  return out;
}

}  // namespace

std::string Quote(std::string_view value) { return Enclose(value, '\''); }
std::string QuoteIdentifier(std::string_view name) { return Enclose(name, '`'); }

}  // namespace trackly::store::clickhouse
