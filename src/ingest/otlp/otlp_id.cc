#include "ingest/otlp/otlp_id.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace trackly::ingest::otlp {

absl::Status HexIdFromBytes(std::string_view bytes, size_t width_bytes, std::string* hex) {
  if (bytes.size() != width_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", width_bytes, " bytes, got ", bytes.size()));
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  hex->resize(2 * width_bytes);
  for (size_t i = 0; i < width_bytes; ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    (*hex)[2 * i] = kDigits[byte >> 4];
    (*hex)[2 * i + 1] = kDigits[byte & 0x0F];
  }
  return absl::OkStatus();
}

absl::Status HexIdFromText(std::string_view text, size_t width_bytes, std::string* hex) {
  if (text.size() != 2 * width_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", 2 * width_bytes, " hex characters, got ", text.size()));
  }
  hex->resize(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
      (*hex)[i] = c;
    } else if (c >= 'A' && c <= 'F') {
      (*hex)[i] = static_cast<char>(c - 'A' + 'a');
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("expected ", 2 * width_bytes, " hex characters, found '",
                       absl::CEscape(absl::string_view(&text[i], 1)), "'"));
    }
  }
  return absl::OkStatus();
}

bool IsZeroId(std::string_view hex) {
  return hex.find_first_not_of('0') == std::string_view::npos;
}

}  // namespace trackly::ingest::otlp
