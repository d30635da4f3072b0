#include "ingest/media_type.h"

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_split.h"
#include "base/status.h"

namespace trackly::ingest {
namespace {

// Payload key of the "unsupported media type" mark; the value is unused.
constexpr absl::string_view kUnsupportedMediaTypeUrl = "trackly.dev/ingest/unsupported-media-type";

}  // namespace

std::string_view ContentTypeOf(WireEncoding encoding) {
  switch (encoding) {
    case WireEncoding::kProtobuf:
      return "application/x-protobuf";
    case WireEncoding::kJson:
      return "application/json";
  }
  return "application/octet-stream";
}

std::string BareMediaType(std::string_view content_type) {
  absl::string_view type = *absl::StrSplit(Sv(content_type), ';').begin();
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(type));
}

absl::Status UnsupportedMediaTypeError(std::string_view message) {
  absl::Status status = absl::InvalidArgumentError(Sv(message));
  status.SetPayload(kUnsupportedMediaTypeUrl, absl::Cord());
  return status;
}

bool IsUnsupportedMediaType(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument &&
         status.GetPayload(kUnsupportedMediaTypeUrl).has_value();
}

}  // namespace trackly::ingest
