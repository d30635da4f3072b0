// Who may send how many requests (docs/api.md "Limits"): three token-bucket limits
// (server/rate_limiter.h), each answered with RateLimitedError (429 + Retry-After, the seconds
// until the bucket holds a token again).
//
//   per client address    every request, before anything else is looked at
//   per API key           every request authenticated by a key, after the key is verified
//   failed authentication per client address, much stricter: a presented credential that does not
//                         verify takes a token; while the address has none left, its requests that
//                         need a credential are refused before the credential is checked, so
//                         keys and login tokens cannot be guessed quickly. A verified credential
//                         takes nothing, so valid keys never wear this bucket down.
//
// Addresses: an IPv4 address (also IPv4-mapped IPv6) is one client; an IPv6 address counts by its
// /64 prefix, the block one host or site usually holds. A rate of 0 turns that limit off.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "base/clock.h"
#include "server/rate_limiter.h"

namespace trackly::server {

struct RateLimitOptions {
  // Requests per second one API key may send on average (0 = no limit), and how many at once.
  int key_requests_per_second = 5'000;
  int key_burst = 10'000;
  // Requests per second from one client address (0 = no limit), and how many at once.
  int address_requests_per_second = 10'000;
  int address_burst = 20'000;
  // Failed authentications per minute from one address (0 = no limit), and how many at once.
  int failed_auth_per_minute = 10;
  int failed_auth_burst = 20;
  // Most keys / addresses each limit tracks at once (~150 bytes each).
  int max_tracked_clients = 100'000;
};

// "203.0.113.7", "2001:db8:1:2::/64": the key `address` is counted under.
std::string ClientAddressKey(const boost::asio::ip::address& address);

// Thread-safe.
class ClientRateLimits {
 public:
  // `clock` must outlive this.
  ClientRateLimits(const RateLimitOptions& options, const Clock& clock);

  // Takes a token of `address`'s bucket; RateLimitedError when it has none.
  absl::Status CheckAddress(const boost::asio::ip::address& address);
  // RateLimitedError while `address` has no failed-authentication token left; takes nothing.
  absl::Status CheckNotBlocked(const boost::asio::ip::address& address);
  // Takes a failed-authentication token of `address` (none left: nothing happens). Logs a warning
  // when this leaves the address blocked.
  void RecordFailedAuth(const boost::asio::ip::address& address);
  // Takes a token of `key_id`'s bucket; RateLimitedError when it has none.
  absl::Status CheckKey(std::string_view key_id);

 private:
  std::optional<RateLimiter> per_address_;
  std::optional<RateLimiter> per_key_;
  std::optional<RateLimiter> failed_auth_;
};

}  // namespace trackly::server
