#include "server/request_target.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status.h"

namespace trackly::server {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%') {
      int high = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
      int low = high >= 0 ? HexValue(text[i + 2]) : -1;
      if (low < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad percent escape in '", Sv(text.substr(0, 200)), "'"));
      }
      if (high == 0 && low == 0) {  // a NUL would end the value early in every C API it reaches
        return absl::InvalidArgumentError(
            absl::StrCat("'%00' (a NUL byte) is not allowed, in '", Sv(text.substr(0, 200)), "'"));
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<RequestTarget> ParseRequestTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return absl::InvalidArgumentError("request target must be a path starting with '/'");
  }
  RequestTarget out;
  size_t question = target.find('?');
  out.path = std::string(target.substr(0, question));
  if (question == std::string_view::npos) return out;
  for (absl::string_view pair : absl::StrSplit(Sv(target.substr(question + 1)), '&')) {
    if (pair.empty()) continue;
    size_t equals = pair.find('=');
    absl::string_view name = pair.substr(0, equals);
    absl::string_view value = equals == absl::string_view::npos ? "" : pair.substr(equals + 1);
    TRACKLY_ASSIGN_OR_RETURN(std::string decoded_name,
                             PercentDecode({name.data(), name.size()}, true));
    TRACKLY_ASSIGN_OR_RETURN(std::string decoded_value,
                             PercentDecode({value.data(), value.size()}, true));
    out.params.emplace_back(std::move(decoded_name), std::move(decoded_value));
  }
  return out;
}

}  // namespace trackly::server
