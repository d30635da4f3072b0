#include "model/time_format.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status.h"
#include "absl/time/time.h"

namespace trackly::model {

std::string FormatRfc3339Micros(int64_t unix_ns) {
  // Floor division keeps pre-1970 times correct (nanos always in [0, 1e9)).
  int64_t seconds = unix_ns / 1'000'000'000;
  int64_t nanos = unix_ns % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    --seconds;
  }
  absl::Time t = absl::FromUnixSeconds(seconds);
  return absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%S", t, absl::UTCTimeZone()),
                      absl::StrFormat(".%06dZ", nanos / 1000));
}

absl::StatusOr<int64_t> ParseTimestamp(std::string_view text) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(Sv(text));
  if (trimmed.empty()) return absl::InvalidArgumentError("empty timestamp");
  int64_t number = 0;
  if (absl::SimpleAtoi(trimmed, &number)) {
    if (number < 0) return absl::InvalidArgumentError(absl::StrCat("negative timestamp: ", trimmed));
    if (number < 100'000'000'000LL) return number * 1'000'000'000;  // seconds
    if (number < 100'000'000'000'000LL) return number * 1'000'000;  // milliseconds
    if (number < 100'000'000'000'000'000LL) return number * 1'000;  // microseconds
    return number;                                                // nanoseconds
  }
  absl::Time t;
  std::string err;
  // %E*S accepts any number of fractional digits; %Ez accepts Z, +hh:mm and -hh:mm.
  std::string owned(trimmed);
  if (!owned.empty() && (owned.back() == 'z')) owned.back() = 'Z';
  if (owned.size() > 10 && owned[10] == ' ') owned[10] = 'T';
  if (absl::ParseTime("%Y-%m-%dT%H:%M:%E*S%Ez", owned, &t, &err) ||
      absl::ParseTime("%Y-%m-%dT%H:%M:%E*S", owned, absl::UTCTimeZone(), &t, &err)) {
    return absl::ToUnixNanos(t);
  }
  return absl::InvalidArgumentError(absl::StrCat("not an RFC 3339 timestamp: \"", trimmed, "\""));
}

}  // namespace trackly::model
