// Hand-written on purpose: Debian ships no C++ library for HTTP multipart/form-data bodies (Boost
// has none; gmime, mimetic and vmime are e-mail libraries that copy every part and bring their own
// I/O and allocation models). The format needed here is small — delimiter lines, a few header
// lines per part, raw bytes — and parsing it over a string_view of the already size-capped body
// costs no copies.
#include "ingest/langsmith/multipart_reader.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "ingest/media_type.h"

namespace trackly::ingest::langsmith {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr size_t kMaxBoundaryChars = 70;  // RFC 2046 §5.1.1

std::string_view Trim(std::string_view s) {
  absl::string_view t = absl::StripAsciiWhitespace(absl::string_view(s.data(), s.size()));
  return std::string_view(t.data(), t.size());
}

// The value of parameter `key` in a header value "type; a=b; key=\"v\"" (case-insensitive key,
// quotes removed; quoted-pair escapes are not used by form-data clients, which percent-encode).
// Empty when absent.
std::string_view HeaderParam(std::string_view value, std::string_view key) {
  size_t pos = value.find(';');
  while (pos != std::string_view::npos) {
    size_t start = pos + 1;
    // The end of this parameter: the next ';' outside quotes.
    size_t end = start;
    bool quoted = false;
    while (end < value.size() && (quoted || value[end] != ';')) {
      if (value[end] == '"') quoted = !quoted;
      ++end;
    }
    std::string_view param = Trim(value.substr(start, end - start));
    size_t eq = param.find('=');
    if (eq != std::string_view::npos &&
        absl::EqualsIgnoreCase(Sv(Trim(param.substr(0, eq))), Sv(key))) {
      std::string_view v = Trim(param.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
    pos = end < value.size() ? end : std::string_view::npos;
  }
  return {};
}

// Parses one part's header block (lines separated by CRLF, no trailing blank line) into `part`.
absl::Status ParsePartHeaders(std::string_view headers, int64_t index, FormPart& part) {
  bool has_disposition = false;
  while (!headers.empty()) {
    size_t eol = headers.find(kCrlf);
    std::string_view line = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("multipart part ", index, ": header line without ':'"));
    }
    std::string_view field = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (absl::EqualsIgnoreCase(Sv(field), "content-disposition")) {
      has_disposition = true;
      part.name = HeaderParam(value, "name");
    } else if (absl::EqualsIgnoreCase(Sv(field), "content-type")) {
      part.content_type = value;
    } else if (absl::EqualsIgnoreCase(Sv(field), "content-encoding") &&
               !absl::EqualsIgnoreCase(Sv(value), "identity")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "multipart part ", index, ": per-part Content-Encoding is not allowed (compress the "
          "whole request instead)"));
    }
  }
  if (!has_disposition || part.name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "multipart part ", index, ": no Content-Disposition form-data name"));
  }
  return absl::OkStatus();
}

// After a delimiter: "--" closes the body (returns true); otherwise optional transport padding
// and CRLF, and `pos` moves past them.
absl::StatusOr<bool> AfterDelimiter(std::string_view body, size_t& pos, int64_t index) {
  if (body.substr(pos, 2) == "--") return true;
  while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
  if (body.substr(pos, 2) != kCrlf) {
    return absl::InvalidArgumentError(
        absl::StrCat("multipart part ", index, ": no line break after the boundary"));
  }
  pos += 2;
  return false;
}

}  // namespace

absl::StatusOr<std::string_view> MultipartBoundary(std::string_view content_type) {
  if (BareMediaType(content_type) != "multipart/form-data") {
    return absl::InvalidArgumentError(absl::StrCat(
        "Content-Type must be multipart/form-data, got \"", Sv(content_type), "\""));
  }
  std::string_view boundary = HeaderParam(content_type, "boundary");
  if (boundary.empty() || boundary.size() > kMaxBoundaryChars) {
    return absl::InvalidArgumentError(
        "Content-Type multipart/form-data needs a boundary of 1 to 70 characters");
  }
  return boundary;
}

absl::StatusOr<std::vector<FormPart>> ParseMultipartFormData(std::string_view body,
                                                             std::string_view boundary,
                                                             const MultipartLimits& limits) {
  const std::string delimiter = absl::StrCat("--", Sv(boundary));
  // Every delimiter after the first is preceded by CRLF, which belongs to it, not to the part.
  const std::string inner_delimiter = absl::StrCat(Sv(kCrlf), delimiter);

  size_t pos;
  if (body.substr(0, delimiter.size()) == delimiter) {
    pos = delimiter.size();
  } else {
    size_t first = body.find(inner_delimiter);  // after a preamble
    if (first == std::string_view::npos) {
      return absl::InvalidArgumentError("multipart body does not contain its boundary");
    }
    pos = first + inner_delimiter.size();
  }

  std::vector<FormPart> parts;
  for (int64_t index = 0;; ++index) {
    TRACKLY_ASSIGN_OR_RETURN(bool closed, AfterDelimiter(body, pos, index));
    if (closed) return parts;
    if (index >= limits.max_parts) {
      return absl::ResourceExhaustedError(
          absl::StrCat("multipart body has more than ", limits.max_parts, " parts"));
    }
    FormPart part;
    // Headers end at the first blank line; a part without headers starts with it at once.
    size_t body_start;
    if (body.substr(pos, 2) == kCrlf) {
      TRACKLY_RETURN_IF_ERROR(ParsePartHeaders({}, index, part));  // reports the missing name
      body_start = pos + 2;
    } else {
      size_t end = body.find("\r\n\r\n", pos);
      if (end == std::string_view::npos ||
          static_cast<int64_t>(end - pos) > limits.max_part_header_bytes) {
        return absl::InvalidArgumentError(absl::StrCat(
            "multipart part ", index, ": headers not ended by a blank line within ",
            limits.max_part_header_bytes, " bytes"));
      }
      TRACKLY_RETURN_IF_ERROR(ParsePartHeaders(body.substr(pos, end - pos), index, part));
      body_start = end + 4;
    }
    size_t next = body.find(inner_delimiter, body_start);
    if (next == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "multipart part ", index, " (\"", Sv(part.name), "\"): no closing boundary"));
    }
    part.body = body.substr(body_start, next - body_start);
    parts.push_back(part);
    pos = next + inner_delimiter.size();
  }
}

}  // namespace trackly::ingest::langsmith
