#include "model/json.h"

namespace trackly::model {

std::string DumpJson(const Json& value) {
  // `replace` turns invalid UTF-8 into U+FFFD instead of throwing: model strings come from clients.
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace trackly::model
