// The webhook URLs the server accepts (server/webhook_sender.h), taken apart for sending.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace trackly::server {

inline constexpr size_t kMaxWebhookUrlChars = 2048;

struct WebhookUrl {
  bool https = false;
  std::string host;    // lowercase DNS name, dotted-quad IPv4, or IPv6 without brackets
  bool host_is_ip = false;  // host is an IP literal (no SNI, certificate checked for the address)
  uint16_t port = 0;   // as written, else 80 / 443
  std::string target;  // path and query as written, "/" when there is none

  // The Host header: host, bracketed when IPv6, with ":port" unless it is the scheme's default.
  std::string HostHeader() const;
};

// Parses `http[s]://host[:port][/path][?query]`, scheme case-insensitive. Refused, with an
// InvalidArgument "webhook: ..." naming what is wrong: more than kMaxWebhookUrlChars characters,
// anything outside printable ASCII (international names go in their xn-- form), another scheme,
// user name or password, a fragment, an empty or malformed host (an IPv4 address must be four
// decimal parts: the shorthands resolvers also accept, like 127.1 or 2130706433, are refused so
// that what was checked is what gets connected to), an IPv6 zone, a port outside 1..65535.
// Does not look at which addresses the host stands for (server/address_policy.h does).
absl::StatusOr<WebhookUrl> ParseWebhookUrl(std::string_view url);

}  // namespace trackly::server
