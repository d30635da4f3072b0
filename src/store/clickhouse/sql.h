// Quoting of values spliced into ClickHouse SQL text. ClickHouse 18.16 (Debian 12) has no query
// parameters ({name:Type} arrived in 19.x), so every value a query carries is a quoted literal
// built here and nowhere else.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace trackly::store::clickhouse {

// A string literal: '…' with backslash and single quote escaped; any bytes are kept as they are.
std::string Quote(std::string_view value);
// An identifier (database or table name): `…` with backslash and backquote escaped.
std::string QuoteIdentifier(std::string_view name);

}  // namespace trackly::store::clickhouse
