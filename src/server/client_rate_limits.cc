#include "server/client_rate_limits.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status.h"
#include "server/http_status.h"

namespace trackly::server {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

std::optional<RateLimiter::Rate> RateOf(double per_second, int burst) {
  if (per_second <= 0) return std::nullopt;
  return RateLimiter::Rate{per_second, static_cast<double>(std::max(burst, 1))};
}

// Retry-After is whole seconds: round up, so a client that waits that long finds a token.
int RetryAfterSeconds(int64_t wait_ns) {
  return static_cast<int>((wait_ns + kNanosPerSecond - 1) / kNanosPerSecond);
}

absl::Status Limited(int64_t wait_ns, std::string_view what) {
  int seconds = RetryAfterSeconds(wait_ns);
  return RateLimitedError(absl::StrCat(Sv(what), "; retry in ", seconds, " s"), seconds);
}

}  // namespace

std::string ClientAddressKey(const boost::asio::ip::address& address) {
  if (address.is_v4()) return address.to_v4().to_string();
  boost::asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  }
  std::array<unsigned char, 16> bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return absl::StrCat(boost::asio::ip::address_v6(bytes).to_string(), "/64");
}

ClientRateLimits::ClientRateLimits(const RateLimitOptions& options, const Clock& clock) {
  const auto max_keys = static_cast<size_t>(std::max(options.max_tracked_clients, 1));
  if (auto rate = RateOf(options.address_requests_per_second, options.address_burst)) {
    per_address_.emplace(*rate, max_keys, clock);
  }
  if (auto rate = RateOf(options.key_requests_per_second, options.key_burst)) {
    per_key_.emplace(*rate, max_keys, clock);
  }
  if (auto rate = RateOf(options.failed_auth_per_minute / 60.0, options.failed_auth_burst)) {
    failed_auth_.emplace(*rate, max_keys, clock);
  }
}

absl::Status ClientRateLimits::CheckAddress(const boost::asio::ip::address& address) {
  if (!per_address_) return absl::OkStatus();
  int64_t wait_ns = per_address_->TryTake(ClientAddressKey(address));
  if (wait_ns == 0) return absl::OkStatus();
  return Limited(wait_ns, "too many requests from this address");
}

absl::Status ClientRateLimits::CheckNotBlocked(const boost::asio::ip::address& address) {
  if (!failed_auth_) return absl::OkStatus();
  int64_t wait_ns = failed_auth_->WaitNanos(ClientAddressKey(address));
  if (wait_ns == 0) return absl::OkStatus();
  return Limited(wait_ns, "too many failed authentications from this address");
}

void ClientRateLimits::RecordFailedAuth(const boost::asio::ip::address& address) {
  if (!failed_auth_) return;
  std::string key = ClientAddressKey(address);
  failed_auth_->TryTake(key);
  if (failed_auth_->WaitNanos(key) > 0) {
    LogWarn("repeated failed authentication from ", key,
            ": refusing its requests that need a credential for now (429)");
  }
}

absl::Status ClientRateLimits::CheckKey(std::string_view key_id) {
  if (!per_key_) return absl::OkStatus();
  int64_t wait_ns = per_key_->TryTake(key_id);
  if (wait_ns == 0) return absl::OkStatus();
  return Limited(wait_ns, "too many requests with this API key");
}

}  // namespace trackly::server
