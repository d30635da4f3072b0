#include "server/webhook_url.h"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status.h"

namespace trackly::server {
namespace {

absl::Status Invalid(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("webhook: ", Sv(what)));
}

absl::Status ParseIpv6Host(std::string_view literal, WebhookUrl& url) {
  if (literal.find('%') != std::string_view::npos) {
    return Invalid(absl::StrCat("URL host [", Sv(literal), "] has a zone, which is not allowed"));
  }
  boost::system::error_code error;
  boost::asio::ip::address_v6 address = boost::asio::ip::make_address_v6(std::string(literal), error);
  if (error) return Invalid(absl::StrCat("URL host [", Sv(literal), "] is not an IPv6 address"));
  url.host = address.to_string();
  url.host_is_ip = true;
  return absl::OkStatus();
}

bool IsNameChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }

absl::Status ParseNameOrIpv4Host(std::string_view host, WebhookUrl& url) {
  url.host = absl::AsciiStrToLower(absl::string_view(host.data(), host.size()));
  if (url.host.size() > 253) return Invalid("URL host is longer than 253 characters");
  std::vector<absl::string_view> labels = absl::StrSplit(url.host, '.');
  for (absl::string_view label : labels) {
    if (label.empty() || label.size() > 63) {
      return Invalid(absl::StrCat("URL host \"", url.host, "\" has an empty or over-long label"));
    }
    for (char c : label) {
      if (!IsNameChar(c)) {
        return Invalid(absl::StrCat("URL host \"", url.host, "\" has a character a host name cannot have"));
      }
    }
  }
  // No top-level domain starts with a digit, so such a host is meant as an IPv4 address. Only the
  // strict four-part form is taken: getaddrinfo would read "127.1", "0x7f.1" or "2130706433" as
  // addresses too, and a check of the literal would then miss what is really connected to.
  if (!absl::ascii_isdigit(static_cast<unsigned char>(labels.back()[0]))) return absl::OkStatus();
  boost::system::error_code error;
  boost::asio::ip::address_v4 address = boost::asio::ip::make_address_v4(url.host, error);
  if (error || labels.size() != 4 || address.to_string() != url.host) {
    return Invalid(absl::StrCat("URL host \"", url.host,
                                "\" is neither a host name nor an IPv4 address of four decimal parts"));
  }
  url.host_is_ip = true;
  return absl::OkStatus();
}

}  // namespace

std::string WebhookUrl::HostHeader() const {
  std::string header = host.find(':') != std::string::npos ? absl::StrCat("[", host, "]") : host;
  if (port != (https ? 443 : 80)) absl::StrAppend(&header, ":", port);
  return header;
}

absl::StatusOr<WebhookUrl> ParseWebhookUrl(std::string_view text) {
  if (text.empty()) return Invalid("URL is empty");
  if (text.size() > kMaxWebhookUrlChars) {
    return Invalid(absl::StrCat("URL is longer than ", kMaxWebhookUrlChars, " characters"));
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    // Also what keeps a URL from splitting the request line or adding a header.
    if (c <= 0x20 || c >= 0x7f) {
      return Invalid(absl::StrCat("URL has a space, control or non-ASCII character at offset ", i,
                                  " (percent-encode it; international host names go in their xn-- form)"));
    }
  }
  WebhookUrl url;
  std::string_view rest = text;
  const absl::string_view lowered_scheme_probe(text.data(), std::min<size_t>(text.size(), 8));
  if (absl::StartsWithIgnoreCase(lowered_scheme_probe, "https://")) {
    url.https = true;
    rest.remove_prefix(8);
  } else if (absl::StartsWithIgnoreCase(lowered_scheme_probe, "http://")) {
    rest.remove_prefix(7);
  } else {
    return Invalid("URL must start with http:// or https://");
  }
  if (text.find('#') != std::string_view::npos) return Invalid("URL must not have a fragment (#...)");

  const size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view path = authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return Invalid("URL must not contain a user name or password (put credentials in the path or query)");
  }

  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (absl::StartsWith(absl::string_view(authority.data(), authority.size()), "[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Invalid("URL host has '[' without ']'");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Invalid("URL has characters after the IPv6 host that are not a port");
      port = after.substr(1);
      has_port = true;
    }
    if (host.empty()) return Invalid("URL has no host");
    TRACKLY_RETURN_IF_ERROR(ParseIpv6Host(host, url));
  } else {
    if (const size_t colon = authority.find(':'); colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return Invalid("URL has no host");
    TRACKLY_RETURN_IF_ERROR(ParseNameOrIpv4Host(host, url));
  }

  url.port = url.https ? 443 : 80;
  if (has_port) {
    uint32_t number = 0;
    const bool digits = !port.empty() && port.size() <= 5 &&
                        std::all_of(port.begin(), port.end(), [](char c) { return absl::ascii_isdigit(c); });
    if (!digits || !absl::SimpleAtoi(absl::string_view(port.data(), port.size()), &number) || number == 0 ||
        number > 65535) {
      return Invalid(absl::StrCat("URL port \"", Sv(port), "\" is not a number from 1 to 65535"));
    }
    url.port = static_cast<uint16_t>(number);
  }
  url.target = path.empty() ? "/" : path[0] == '?' ? absl::StrCat("/", Sv(path)) : std::string(path);
  return url;
}

}  // namespace trackly::server
