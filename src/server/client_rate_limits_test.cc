#include "server/client_rate_limits.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http_status.h"

namespace trackly::server {
namespace {

using ::testing::HasSubstr;
namespace ip = boost::asio::ip;

constexpr int64_t kSecond = 1'000'000'000;

int RetryAfterOf(const absl::Status& status) {
  return HttpErrorOf(status).retry_after_seconds.value_or(-1);
}

TEST(ClientAddressKeyTest, CountsIpv6ByItsSlash64) {
  EXPECT_EQ(ClientAddressKey(ip::make_address("203.0.113.7")), "203.0.113.7");
  EXPECT_EQ(ClientAddressKey(ip::make_address("::ffff:203.0.113.7")), "203.0.113.7");
  EXPECT_EQ(ClientAddressKey(ip::make_address("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientAddressKey(ip::make_address("2001:db8:1:2:bbbb::9")), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientAddressKey(ip::make_address("::1")), "::/64");
}

TEST(ClientRateLimitsTest, AddressLimitAnswers429WithSecondsUntilAToken) {
  FakeClock clock(0);
  ClientRateLimits limits({.address_requests_per_second = 1, .address_burst = 2}, clock);
  ip::address a = ip::make_address("10.0.0.1");
  EXPECT_TRUE(limits.CheckAddress(a).ok());
  EXPECT_TRUE(limits.CheckAddress(a).ok());
  absl::Status limited = limits.CheckAddress(a);
  EXPECT_EQ(HttpErrorOf(limited).status, http::status::too_many_requests);
  EXPECT_EQ(RetryAfterOf(limited), 1);
  EXPECT_THAT(limited.message(), HasSubstr("too many requests from this address"));
  EXPECT_TRUE(limits.CheckAddress(ip::make_address("10.0.0.2")).ok());
  clock.Advance(kSecond);
  EXPECT_TRUE(limits.CheckAddress(a).ok());
}

TEST(ClientRateLimitsTest, KeyLimitIsPerKey) {
  FakeClock clock(0);
  ClientRateLimits limits({.key_requests_per_second = 1, .key_burst = 1}, clock);
  EXPECT_TRUE(limits.CheckKey("k1").ok());
  EXPECT_EQ(RetryAfterOf(limits.CheckKey("k1")), 1);
  EXPECT_TRUE(limits.CheckKey("k2").ok());
}

TEST(ClientRateLimitsTest, FailedAuthBlocksTheAddressUntilATokenRefills) {
  FakeClock clock(0);
  ClientRateLimits limits({.failed_auth_per_minute = 10, .failed_auth_burst = 3}, clock);
  ip::address a = ip::make_address("10.0.0.1");
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limits.CheckNotBlocked(a).ok()) << i;
    limits.RecordFailedAuth(a);
  }
  absl::Status blocked = limits.CheckNotBlocked(a);
  EXPECT_EQ(HttpErrorOf(blocked).status, http::status::too_many_requests);
  EXPECT_EQ(RetryAfterOf(blocked), 6);  // 10 per minute: one every 6 s
  EXPECT_TRUE(limits.CheckNotBlocked(ip::make_address("10.0.0.2")).ok());
  clock.Advance(5 * kSecond);
  EXPECT_EQ(RetryAfterOf(limits.CheckNotBlocked(a)), 1);
  clock.Advance(kSecond);
  EXPECT_TRUE(limits.CheckNotBlocked(a).ok());
}

TEST(ClientRateLimitsTest, ZeroRateTurnsALimitOff) {
  FakeClock clock(0);
  ClientRateLimits limits({.key_requests_per_second = 0,
                           .key_burst = 1,
                           .address_requests_per_second = 0,
                           .address_burst = 1,
                           .failed_auth_per_minute = 0,
                           .failed_auth_burst = 1},
                          clock);
  ip::address a = ip::make_address("10.0.0.1");
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(limits.CheckAddress(a).ok());
    EXPECT_TRUE(limits.CheckKey("k").ok());
    limits.RecordFailedAuth(a);
    EXPECT_TRUE(limits.CheckNotBlocked(a).ok());
  }
}

}  // namespace
}  // namespace trackly::server
