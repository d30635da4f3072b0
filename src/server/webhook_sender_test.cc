#include "server/webhook_sender.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "base/status.h"
#include "server/address_policy.h"
#include "server/http_server.h"
#include "server/webhook_url.h"

namespace trackly::server {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Generous: a condition that has not come true by then never will.
constexpr absl::Duration kWait = absl::Seconds(60);

// ---------------------------------------------------------------------------------------------
// URLs

TEST(CheckWebhookUrlTest, AcceptsAndRefusesUrls) {
  const std::string long_path(2048, 'a');
  struct Case {
    std::string url;
    bool allow_private;
    std::string error;  // substring of the message; empty = accepted
  };
  const Case cases[] = {
      {"https://hooks.example.com/trackly", false, ""},
      {"HTTPS://Hooks.Example.COM:8443/a/b?c=d&e=f", false, ""},
      {"http://example.com", false, ""},
      {"http://example.com?token=x", false, ""},
      {"http://8.8.8.8:8080/x", false, ""},
      {"http://[2606:4700::1111]/x", false, ""},
      {"http://[::ffff:8.8.8.8]/x", false, ""},
      {"http://my_host.internal-zone.example/x", false, ""},
      {"http://10.1.2.3/x", true, ""},
      {"http://localhost:9000/x", true, ""},
      {"", false, "URL is empty"},
      {"https://example.com/" + long_path, false, "longer than 2048 characters"},
      {"ftp://example.com/x", false, "must start with http:// or https://"},
      {"example.com/x", false, "must start with http:// or https://"},
      {"//example.com/x", false, "must start with http:// or https://"},
      {"https://user:pass@example.com/x", false, "user name or password"},
      {"https://user@example.com/x", false, "user name or password"},
      {"https:///x", false, "no host"},
      {"https://:443/x", false, "no host"},
      {"https://example.com:0/x", false, "port \"0\" is not a number from 1 to 65535"},
      {"https://example.com:65536/x", false, "port \"65536\""},
      {"https://example.com:/x", false, "port \"\""},
      {"https://example.com:8o/x", false, "port \"8o\""},
      {"https://example.com/x#frag", false, "fragment"},
      {"https://exa mple.com/x", false, "space, control or non-ASCII character at offset 11"},
      {"https://example.com/x\r\nX-Injected: 1", false, "control"},
      {"https://bücher.example/x", false, "non-ASCII"},
      {"https://example..com/x", false, "empty or over-long label"},
      {"https://example.com./x", false, "empty or over-long label"},
      {"https://" + std::string(64, 'a') + ".com/x", false, "empty or over-long label"},
      {"https://exa%6dple.com/x", false, "character a host name cannot have"},
      {"https://[::1/x", false, "'[' without ']'"},
      {"https://[zz::1]/x", false, "is not an IPv6 address"},
      {"https://[fe80::1%25eth0]/x", false, "zone"},
      {"https://[2606:4700::1111]x/x", false, "not a port"},
      // Shorthand IPv4 forms a resolver would still read as 127.0.0.1.
      {"http://127.1/x", false, "neither a host name nor an IPv4 address"},
      {"http://2130706433/x", false, "neither a host name nor an IPv4 address"},
      {"http://0x7f000001/x", false, "neither a host name nor an IPv4 address"},
      {"http://0177.0.0.1/x", false, "neither a host name nor an IPv4 address"},
      {"http://1.2.3.4.5/x", false, "neither a host name nor an IPv4 address"},
      // Non-public literals and loopback names, unless allowed.
      {"http://127.0.0.1:4318/x", false, "127.0.0.1 is in 127.0.0.0/8 (loopback)"},
      {"http://10.0.0.7/x", false, "10.0.0.0/8 (private)"},
      {"http://169.254.169.254/latest/meta-data", false, "169.254.0.0/16 (link-local"},
      {"http://[::1]/x", false, "::1/128 (loopback)"},
      {"http://[::ffff:192.168.1.1]/x", false, "IPv4-mapped"},
      {"http://[fd00::1]/x", false, "fc00::/7 (unique local)"},
      {"http://localhost/x", false, "localhost is a loopback name"},
      {"http://api.localhost:8080/x", false, "loopback name"},
  };
  for (const Case& c : cases) {
    absl::Status status = CheckWebhookUrl(c.url, c.allow_private);
    if (c.error.empty()) {
      EXPECT_TRUE(status.ok()) << c.url << ": " << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.url;
      EXPECT_THAT(std::string(status.message()), StartsWith("webhook: ")) << c.url;
      EXPECT_THAT(std::string(status.message()), HasSubstr(c.error)) << c.url;
    }
  }
}

TEST(ParseWebhookUrlTest, TakesTheUrlApart) {
  struct Case {
    std::string url;
    bool https;
    std::string host;
    bool host_is_ip;
    uint16_t port;
    std::string target;
    std::string host_header;
  };
  const Case cases[] = {
      {"https://Hooks.Example.com/a?b=1", true, "hooks.example.com", false, 443, "/a?b=1", "hooks.example.com"},
      {"http://example.com", false, "example.com", false, 80, "/", "example.com"},
      {"http://example.com?x=1", false, "example.com", false, 80, "/?x=1", "example.com"},
      {"http://example.com:443/", false, "example.com", false, 443, "/", "example.com:443"},
      {"https://example.com:443/", true, "example.com", false, 443, "/", "example.com"},
      {"https://1.2.3.4:8443/h", true, "1.2.3.4", true, 8443, "/h", "1.2.3.4:8443"},
      {"http://[2001:DB8:0::1]:81/h", false, "2001:db8::1", true, 81, "/h", "[2001:db8::1]:81"},
      {"http://[::1]/", false, "::1", true, 80, "/", "[::1]"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<WebhookUrl> url = ParseWebhookUrl(c.url);
    ASSERT_TRUE(url.ok()) << c.url << ": " << url.status();
    EXPECT_EQ(url->https, c.https) << c.url;
    EXPECT_EQ(url->host, c.host) << c.url;
    EXPECT_EQ(url->host_is_ip, c.host_is_ip) << c.url;
    EXPECT_EQ(url->port, c.port) << c.url;
    EXPECT_EQ(url->target, c.target) << c.url;
    EXPECT_EQ(url->HostHeader(), c.host_header) << c.url;
  }
}

// ---------------------------------------------------------------------------------------------
// Addresses

TEST(NonPublicRangeTest, ClassifiesAddresses) {
  struct Case {
    std::string address;
    std::string range;  // substring of the description; empty = public
  };
  const Case cases[] = {
      // IPv4, public
      {"8.8.8.8", ""},
      {"1.1.1.1", ""},
      {"100.63.255.255", ""},
      {"100.128.0.0", ""},
      {"172.15.255.255", ""},
      {"172.32.0.0", ""},
      {"169.253.255.255", ""},
      {"192.167.255.255", ""},
      {"223.255.255.255", ""},
      {"9.255.255.255", ""},
      {"11.0.0.0", ""},
      {"198.20.0.0", ""},
      // IPv4, not public
      {"0.0.0.0", "0.0.0.0/8"},
      {"0.1.2.3", "0.0.0.0/8"},
      {"10.0.0.0", "10.0.0.0/8 (private)"},
      {"10.255.255.255", "10.0.0.0/8 (private)"},
      {"100.64.0.1", "100.64.0.0/10 (shared address space, CGNAT)"},
      {"100.127.255.255", "100.64.0.0/10"},
      {"127.0.0.1", "127.0.0.0/8 (loopback)"},
      {"127.255.0.9", "127.0.0.0/8 (loopback)"},
      {"169.254.169.254", "169.254.0.0/16 (link-local, cloud metadata)"},
      {"172.16.0.1", "172.16.0.0/12 (private)"},
      {"172.31.255.255", "172.16.0.0/12 (private)"},
      {"192.0.0.8", "192.0.0.0/24"},
      {"192.0.2.1", "192.0.2.0/24 (documentation)"},
      {"192.88.99.1", "192.88.99.0/24"},
      {"192.168.1.1", "192.168.0.0/16 (private)"},
      {"198.18.0.1", "198.18.0.0/15 (benchmarking)"},
      {"198.19.255.255", "198.18.0.0/15"},
      {"198.51.100.7", "198.51.100.0/24 (documentation)"},
      {"203.0.113.7", "203.0.113.0/24 (documentation)"},
      {"224.0.0.1", "224.0.0.0/4 (multicast)"},
      {"239.255.255.250", "224.0.0.0/4 (multicast)"},
      {"240.0.0.1", "240.0.0.0/4 (reserved)"},
      {"255.255.255.254", "240.0.0.0/4 (reserved)"},
      {"255.255.255.255", "255.255.255.255 (broadcast)"},
      // IPv6, public
      {"2606:4700:4700::1111", ""},
      {"2a00:1450:4001::200e", ""},
      {"2001:4860::8888", ""},
      {"::ffff:8.8.8.8", ""},
      {"64:ff9b::808:808", ""},
      {"2002:808:808::1", ""},
      // IPv6, not public
      {"::", "::/128 (unspecified)"},
      {"::1", "::1/128 (loopback)"},
      {"::2", "::/96 (IPv4-compatible"},
      {"::127.0.0.1", "::/96 (IPv4-compatible"},
      {"fc00::1", "fc00::/7 (unique local)"},
      {"fdff:ffff::1", "fc00::/7 (unique local)"},
      {"fe80::1", "fe80::/10 (link-local)"},
      {"febf::1", "fe80::/10 (link-local)"},
      {"fec0::1", "fec0::/10 (site-local"},
      {"ff02::1", "ff00::/8 (multicast)"},
      {"100::1", "100::/64 (discard-only)"},
      {"2001:db8::1", "2001:db8::/32 (documentation)"},
      {"2001:0:4136:e378::1", "2001::/32 (Teredo)"},
      {"64:ff9b:1::1", "64:ff9b:1::/48 (local-use NAT64)"},
      // IPv4 inside IPv6
      {"::ffff:127.0.0.1", "::ffff:0:0/96 (IPv4-mapped) embedding 127.0.0.1 in 127.0.0.0/8 (loopback)"},
      {"::ffff:169.254.169.254", "IPv4-mapped) embedding 169.254.169.254 in 169.254.0.0/16"},
      {"::ffff:10.0.0.1", "embedding 10.0.0.1 in 10.0.0.0/8 (private)"},
      {"::ffff:0:192.168.0.1", "::ffff:0:0:0/96 (IPv4-translated) embedding 192.168.0.1"},
      {"64:ff9b::7f00:1", "64:ff9b::/96 (NAT64) embedding 127.0.0.1"},
      {"64:ff9b::a9fe:a9fe", "64:ff9b::/96 (NAT64) embedding 169.254.169.254"},
      {"2002:a00:1::1", "2002::/16 (6to4) embedding 10.0.0.1"},
      {"2002:7f00:1::", "2002::/16 (6to4) embedding 127.0.0.1"},
  };
  for (const Case& c : cases) {
    boost::system::error_code error;
    const asio::ip::address address = asio::ip::make_address(c.address, error);
    ASSERT_FALSE(error) << c.address;
    std::optional<std::string> range = NonPublicRange(address);
    if (c.range.empty()) {
      EXPECT_FALSE(range.has_value()) << c.address << " is public, got " << range.value_or("");
    } else {
      ASSERT_TRUE(range.has_value()) << c.address << " should be in " << c.range;
      EXPECT_THAT(*range, HasSubstr(c.range)) << c.address;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Signing and backoff

TEST(WebhookSignatureTest, IsHmacSha256OfIdTimestampAndBody) {
  struct Case {
    std::string secret, id;
    int64_t timestamp_s;
    std::string body, signature;
  };
  // Expected values computed outside Trackly (Python's hmac module).
  const Case cases[] = {
      {"whsec_test", "0123456789abcdef0123456789abcdef", 1700000000, R"({"alert":"errors"})",
       "v1=6710e9ba27c78574e4a76ee600f1384e946f2b7ff0fef0b74e6c6f99cd3c4759"},
      {"", "id", 0, "", "v1=833d6c33c680e6a1d7bcb1fee5e634110a61cb57f81ba0f01169d0b7788054bc"},
      {"k", "id", 1, "\xc3\xa9", "v1=a4e0d16448c5d90fa7562f3595ce92f951e62bfe413fcb03efde5dee346783e0"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(WebhookSignature(c.secret, c.id, c.timestamp_s, c.body), c.signature) << c.secret;
  }
}

TEST(WebhookRetryDelayTest, DoublesFromTheFirstRetryUpToAnHour) {
  const WebhookOptions defaults;
  const WebhookOptions fast{.first_retry = absl::Milliseconds(10)};
  const WebhookOptions slow{.first_retry = absl::Minutes(20)};
  struct Case {
    const WebhookOptions* options;
    int failed_attempts;
    absl::Duration delay;
  };
  const Case cases[] = {
      {&defaults, 1, absl::Seconds(2)},   {&defaults, 2, absl::Seconds(4)},
      {&defaults, 3, absl::Seconds(8)},   {&defaults, 4, absl::Seconds(16)},
      {&fast, 1, absl::Milliseconds(10)}, {&fast, 3, absl::Milliseconds(40)},
      {&slow, 2, absl::Minutes(40)},      {&slow, 3, absl::Hours(1)},
      {&slow, 1000, absl::Hours(1)},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(WebhookRetryDelay(*c.options, c.failed_attempts), c.delay) << c.failed_attempts;
  }
}

// ---------------------------------------------------------------------------------------------
// Deliveries

// The outcome of one Send, and a wait for it.
class Outcome {
 public:
  std::function<void(WebhookResult)> Callback() {
    return [this](WebhookResult result) {
      calls_.fetch_add(1);
      result_ = std::move(result);
      done_.Notify();
    };
  }
  // The result, once `done` has been called (a test failure if it never is).
  const WebhookResult& Wait() {
    EXPECT_TRUE(done_.WaitForNotificationWithTimeout(kWait)) << "done was not called";
    EXPECT_EQ(calls_.load(), 1);
    return result_;
  }

 private:
  absl::Notification done_;
  std::atomic<int> calls_{0};
  WebhookResult result_;
};

// An HTTP receiver on 127.0.0.1 that answers requests with the scripted statuses in turn (the
// last one repeats), or holds them unanswered while held.
class Receiver {
 public:
  explicit Receiver(std::vector<int> statuses) : statuses_(std::move(statuses)) {
    absl::StatusOr<std::unique_ptr<HttpServer>> server =
        HttpServer::Start(HttpServerOptions{}, [this](HttpRequest request, const asio::ip::address&,
                                                      Responder respond) { Handle(std::move(request), std::move(respond)); });
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  ~Receiver() {
    Release();
    server_.reset();
  }

  uint16_t port() const { return server_->endpoint().port(); }
  std::string Url(std::string_view host = "127.0.0.1", std::string_view path = "/hook?x=1") const {
    return absl::StrCat("http://", Sv(host), ":", port(), Sv(path));
  }

  void Hold() {
    absl::MutexLock lock(&mu_);
    holding_ = true;
  }
  // Answers the held requests (200) and stops holding.
  void Release() {
    std::vector<Responder> held;
    {
      absl::MutexLock lock(&mu_);
      holding_ = false;
      held.swap(held_);
    }
    for (Responder& respond : held) respond(BodyResponse(http::status::ok, "text/plain", "ok"));
  }

  // True once `n` requests have arrived.
  bool WaitForRequests(size_t n) {
    absl::MutexLock lock(&mu_);
    auto arrived = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return requests_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&arrived), kWait);
  }
  std::vector<HttpRequest> Requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  void Handle(HttpRequest request, Responder respond) {
    absl::MutexLock lock(&mu_);
    const int status = statuses_[std::min(requests_.size(), statuses_.size() - 1)];
    requests_.push_back(std::move(request));
    if (holding_) {
      held_.push_back(std::move(respond));
      return;
    }
    // A 204 has no body (RFC 9110).
    HttpResponse response =
        BodyResponse(static_cast<http::status>(status), "text/plain", status == 204 ? "" : "receiver says so");
    if (status >= 300 && status < 400) response.set(http::field::location, Url("127.0.0.1", "/elsewhere"));
    respond(std::move(response));
  }

  const std::vector<int> statuses_;
  absl::Mutex mu_;
  std::vector<HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
  bool holding_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Responder> held_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<HttpServer> server_;
};

std::string Header(const HttpRequest& request, std::string_view name) {
  return std::string(HeaderValue(request, name));
}

// What a receiver checks (docs/insight.md "Webhook deliveries").
void ExpectSignedDelivery(const HttpRequest& request, std::string_view secret, std::string_view body) {
  EXPECT_EQ(request.method(), http::verb::post);
  EXPECT_EQ(Header(request, "Content-Type"), "application/json");
  EXPECT_THAT(Header(request, "User-Agent"), StartsWith("trackly/"));
  const std::string id = Header(request, "Trackly-Webhook-Id");
  EXPECT_EQ(id.size(), 32u) << id;
  int64_t timestamp_s = 0;
  EXPECT_TRUE(absl::SimpleAtoi(Header(request, "Trackly-Webhook-Timestamp"), &timestamp_s));
  EXPECT_EQ(Header(request, "Trackly-Signature"), WebhookSignature(secret, id, timestamp_s, body));
  EXPECT_EQ(request.body(), body);
}

WebhookOptions Fast(bool allow_private = true) {
  return WebhookOptions{.allow_private = allow_private,
                        .max_attempts = 5,
                        .first_retry = absl::Milliseconds(10),
                        .timeout = absl::Seconds(30)};
}

TEST(WebhookSenderTest, RetriesA503AndDeliversSignedOnTheSecondAttempt) {
  Receiver receiver({503, 200});
  WebhookSender sender(Fast(), SystemClock::Get());
  const std::string body = R"({"alert":"errors","state":"firing"})";
  Outcome outcome;
  sender.Send(receiver.Url(), body, "whsec_secret", outcome.Callback());
  const WebhookResult& result = outcome.Wait();
  EXPECT_TRUE(result.delivered) << result.error;
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(result.http_status, 200);
  EXPECT_EQ(result.error, "");

  std::vector<HttpRequest> requests = receiver.Requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const HttpRequest& request : requests) {
    EXPECT_EQ(request.target(), "/hook?x=1");
    EXPECT_EQ(Header(request, "Host"), absl::StrCat("127.0.0.1:", receiver.port()));
    ExpectSignedDelivery(request, "whsec_secret", body);
    // The same id on every attempt, so that a receiver can drop a repeat.
    EXPECT_EQ(Header(request, "Trackly-Webhook-Id"), result.id);
  }
}

TEST(WebhookSenderTest, RetriesOnlyWhatIsWorthRetrying) {
  struct Case {
    std::string name;
    std::vector<int> statuses;
    int max_attempts;
    bool delivered;
    int attempts;
    int http_status;
    std::string error;
  };
  const Case cases[] = {
      {"2xx is delivered", {204}, 5, true, 1, 204, ""},
      {"5xx until a 2xx", {500, 502, 201}, 5, true, 3, 201, ""},
      {"3xx is not followed nor retried", {302}, 5, false, 1, 302, "HTTP 302 Found: redirects are not followed"},
      {"308 too", {308}, 5, false, 1, 308, "redirects are not followed"},
      {"4xx is not retried", {404}, 5, false, 1, 404, "HTTP 404 Not Found"},
      {"429 is retried until max_attempts", {429}, 3, false, 3, 429, "HTTP 429 Too Many Requests"},
      {"503 is retried until max_attempts", {503}, 2, false, 2, 503, "HTTP 503 Service Unavailable"},
      {"an unknown 5xx is retried", {599, 200}, 5, true, 2, 200, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Receiver receiver(c.statuses);
    WebhookOptions options = Fast();
    options.max_attempts = c.max_attempts;
    WebhookSender sender(options, SystemClock::Get());
    Outcome outcome;
    sender.Send(receiver.Url(), "{}", "s", outcome.Callback());
    const WebhookResult& result = outcome.Wait();
    EXPECT_EQ(result.delivered, c.delivered) << result.error;
    EXPECT_EQ(result.attempts, c.attempts);
    EXPECT_EQ(result.http_status, c.http_status);
    if (c.error.empty()) {
      EXPECT_EQ(result.error, "");
    } else {
      EXPECT_THAT(result.error, HasSubstr(c.error));
    }
    // Exactly one request per attempt: a redirect's Location was never asked for.
    std::vector<HttpRequest> requests = receiver.Requests();
    EXPECT_EQ(requests.size(), static_cast<size_t>(c.attempts));
    for (const HttpRequest& request : requests) EXPECT_EQ(request.target(), "/hook?x=1");
  }
}

TEST(WebhookSenderTest, StampsTheAttemptWithTheClock) {
  FakeClock clock(int64_t{1'700'000'000} * 1'000'000'000 + 999'999'999);
  Receiver receiver({200});
  WebhookSender sender(Fast(), clock);
  Outcome outcome;
  sender.Send(receiver.Url(), "{\"a\":1}", "whsec_x", outcome.Callback());
  ASSERT_TRUE(outcome.Wait().delivered);
  std::vector<HttpRequest> requests = receiver.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(Header(requests[0], "Trackly-Webhook-Timestamp"), "1700000000");
  ExpectSignedDelivery(requests[0], "whsec_x", "{\"a\":1}");
}

TEST(WebhookSenderTest, RefusesNonPublicAddressesUnlessAllowed) {
  Receiver receiver({200});
  struct Case {
    std::string url;
    std::vector<std::string> error;  // substrings
  };
  const Case cases[] = {
      // A name: refused by what it resolves to (127.0.0.1 or ::1).
      {receiver.Url("localhost"), {"host localhost resolves to ", "loopback", "alert_webhooks_allow_private"}},
      {receiver.Url("127.0.0.1"), {"address 127.0.0.1 is in 127.0.0.0/8 (loopback)"}},
      {receiver.Url("[::ffff:127.0.0.1]"), {"::ffff:0:0/96 (IPv4-mapped) embedding 127.0.0.1"}},
      {receiver.Url("0.0.0.0"), {"0.0.0.0/8"}},
  };
  WebhookSender sender(Fast(/*allow_private=*/false), SystemClock::Get());
  for (const Case& c : cases) {
    Outcome outcome;
    sender.Send(c.url, "{}", "s", outcome.Callback());
    const WebhookResult& result = outcome.Wait();
    EXPECT_FALSE(result.delivered) << c.url;
    EXPECT_EQ(result.attempts, 1) << c.url << ": refusals are not retried";
    EXPECT_EQ(result.http_status, 0) << c.url;
    for (const std::string& part : c.error) EXPECT_THAT(result.error, HasSubstr(part)) << c.url;
  }
  EXPECT_TRUE(receiver.Requests().empty());

  // The same receiver, allowed.
  WebhookSender allowed(Fast(/*allow_private=*/true), SystemClock::Get());
  Outcome outcome;
  allowed.Send(receiver.Url("localhost"), "{}", "s", outcome.Callback());
  EXPECT_TRUE(outcome.Wait().delivered);
}

TEST(WebhookSenderTest, FailsAtOnceOnABadUrl) {
  WebhookSender sender(Fast(), SystemClock::Get());
  Outcome outcome;
  sender.Send("gopher://example.com/", "{}", "s", outcome.Callback());
  const WebhookResult& result = outcome.Wait();
  EXPECT_FALSE(result.delivered);
  EXPECT_EQ(result.attempts, 0);
  EXPECT_THAT(result.error, HasSubstr("must start with http:// or https://"));
}

TEST(WebhookSenderTest, RetriesARefusedConnection) {
  uint16_t port = 0;
  {
    // A port nothing listens on any more.
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }
  WebhookOptions options = Fast();
  options.max_attempts = 2;
  WebhookSender sender(options, SystemClock::Get());
  Outcome outcome;
  sender.Send(absl::StrCat("http://127.0.0.1:", port, "/"), "{}", "s", outcome.Callback());
  const WebhookResult& result = outcome.Wait();
  EXPECT_FALSE(result.delivered);
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(result.http_status, 0);
  EXPECT_THAT(result.error, HasSubstr(absl::StrCat("cannot connect to 127.0.0.1 port ", port)));
}

TEST(WebhookSenderTest, TimesOutAnAttemptThatGetsNoAnswer) {
  Receiver receiver({200});
  receiver.Hold();
  WebhookOptions options = Fast();
  options.max_attempts = 1;
  options.timeout = absl::Milliseconds(200);
  WebhookSender sender(options, SystemClock::Get());
  Outcome outcome;
  sender.Send(receiver.Url(), "{}", "s", outcome.Callback());
  const WebhookResult& result = outcome.Wait();
  EXPECT_FALSE(result.delivered);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_EQ(result.error, "timed out after 200ms waiting for the response");
}

TEST(WebhookSenderTest, FailsADeliveryBeyondTheQueueAtOnce) {
  Receiver receiver({200});
  receiver.Hold();
  WebhookOptions options = Fast();
  options.max_pending = 2;
  WebhookSender sender(options, SystemClock::Get());
  Outcome first, second, third;
  sender.Send(receiver.Url(), "{}", "s", first.Callback());
  sender.Send(receiver.Url(), "{}", "s", second.Callback());
  sender.Send(receiver.Url(), "{}", "s", third.Callback());
  const WebhookResult& refused = third.Wait();
  EXPECT_FALSE(refused.delivered);
  EXPECT_EQ(refused.attempts, 0);
  EXPECT_EQ(refused.error, "webhook: 2 deliveries are already pending; this one was dropped");

  ASSERT_TRUE(receiver.WaitForRequests(2));
  receiver.Release();
  EXPECT_TRUE(first.Wait().delivered);
  EXPECT_TRUE(second.Wait().delivered);
  // Finished deliveries free their places.
  Outcome fourth;
  sender.Send(receiver.Url(), "{}", "s", fourth.Callback());
  EXPECT_TRUE(fourth.Wait().delivered);
}

TEST(WebhookSenderTest, ReportsWhatItDropsWhenDestroyed) {
  Receiver receiver({200});
  receiver.Hold();
  Outcome in_flight, waiting_retry;
  Receiver failing({503});
  {
    WebhookOptions options = Fast();
    options.first_retry = absl::Hours(1);
    WebhookSender sender(options, SystemClock::Get());
    sender.Send(receiver.Url(), "{}", "s", in_flight.Callback());
    sender.Send(failing.Url(), "{}", "s", waiting_retry.Callback());
    ASSERT_TRUE(receiver.WaitForRequests(1));
    ASSERT_TRUE(failing.WaitForRequests(1));
  }
  for (Outcome* outcome : {&in_flight, &waiting_retry}) {
    const WebhookResult& result = outcome->Wait();
    EXPECT_FALSE(result.delivered);
    EXPECT_EQ(result.attempts, 1);
    EXPECT_EQ(result.error, "the webhook sender stopped before the delivery finished");
  }
}

TEST(WebhookSenderTest, DeliversManyAtOnceEachWithItsOwnId) {
  Receiver receiver({200});
  WebhookSender sender(Fast(), SystemClock::Get());
  constexpr int kCount = 40;
  std::vector<std::unique_ptr<Outcome>> outcomes;
  for (int i = 0; i < kCount; ++i) {
    outcomes.push_back(std::make_unique<Outcome>());
    sender.Send(receiver.Url(), absl::StrCat("{\"n\":", i, "}"), "s", outcomes.back()->Callback());
  }
  std::set<std::string> ids;
  for (const auto& outcome : outcomes) {
    const WebhookResult& result = outcome->Wait();
    EXPECT_TRUE(result.delivered) << result.error;
    ids.insert(result.id);
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kCount));
}

// ---------------------------------------------------------------------------------------------
// https

struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed certificate (its own CA) for `subject_alt_names`, e.g. "DNS:localhost,IP:127.0.0.1".
TestCertificate MakeCertificate(const std::string& subject_alt_names) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("trackly test"), -1,
                             -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, subject_alt_names},
                            std::pair<int, std::string>{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
    EXPECT_NE(extension, nullptr);
    X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
  }
  EXPECT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  auto pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<size_t>(size));
    BIO_free(bio);
    return text;
  };
  TestCertificate out{
      .cert_pem = pem([&](BIO* bio) { PEM_write_bio_X509(bio, cert); }),
      .key_pem = pem([&](BIO* bio) { PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr); })};
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

// An https receiver on 127.0.0.1 that answers every request 200, one connection at a time, and
// records the server name (SNI) each handshake asked for.
class TlsReceiver {
 public:
  explicit TlsReceiver(const TestCertificate& certificate)
      : tls_(ssl::context::tls_server), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    tls_.use_certificate_chain(asio::buffer(certificate.cert_pem));
    tls_.use_private_key(asio::buffer(certificate.key_pem), ssl::context::pem);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TlsReceiver() {
    stopping_ = true;
    // Wakes the blocking accept with a connection that goes away at once.
    boost::system::error_code ignored;
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ignored);
    poke.close(ignored);
    thread_.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::string> ServerNames() {
    absl::MutexLock lock(&mu_);
    return server_names_;
  }

 private:
  void Serve() {
    while (true) {
      tcp::socket socket(io_);
      boost::system::error_code error;
      acceptor_.accept(socket, error);
      if (stopping_) return;
      if (error) continue;
      ssl::stream<tcp::socket&> stream(socket, tls_);
      stream.handshake(ssl::stream_base::server, error);
      if (error) continue;  // the client refused the certificate
      {
        const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
        absl::MutexLock lock(&mu_);
        server_names_.push_back(name == nullptr ? "" : name);
      }
      boost::beast::flat_buffer buffer;
      HttpRequest request;
      http::read(stream, buffer, request, error);
      if (error) continue;
      HttpResponse response = BodyResponse(http::status::ok, "text/plain", "ok");
      response.keep_alive(false);
      response.prepare_payload();
      http::write(stream, response, error);
    }
  }

  asio::io_context io_;
  ssl::context tls_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  std::vector<std::string> server_names_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

TEST(WebhookSenderTest, VerifiesTheCertificateAndItsHostOverHttps) {
  const TestCertificate good = MakeCertificate("DNS:localhost,IP:127.0.0.1");
  const TestCertificate other_host = MakeCertificate("DNS:other.example");
  struct Case {
    std::string name;
    const TestCertificate* served;
    bool trusted;  // the served certificate is given as extra_ca_pem
    std::string host;
    bool delivered;
    std::string error;
    std::string server_name;  // SNI the receiver saw
  };
  const Case cases[] = {
      {"trusted, by IP address", &good, true, "127.0.0.1", true, "", ""},
      {"trusted, by name (sends SNI)", &good, true, "localhost", true, "", "localhost"},
      {"trusted CA, certificate for another host", &other_host, true, "127.0.0.1", false,
       "TLS handshake with 127.0.0.1 failed: certificate is not valid for 127.0.0.1", ""},
      {"trusted CA, another name", &other_host, true, "localhost", false,
       "certificate is not valid for localhost", ""},
      {"not trusted", &good, false, "127.0.0.1", false, "TLS handshake with 127.0.0.1 failed: certificate not trusted: ",
       ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TlsReceiver receiver(*c.served);
    WebhookOptions options = Fast();
    options.max_attempts = 1;
    if (c.trusted) options.extra_ca_pem = c.served->cert_pem;
    WebhookSender sender(options, SystemClock::Get());
    Outcome outcome;
    sender.Send(absl::StrCat("https://", c.host, ":", receiver.port(), "/hook"), "{}", "s", outcome.Callback());
    const WebhookResult& result = outcome.Wait();
    EXPECT_EQ(result.delivered, c.delivered) << result.error;
    if (c.delivered) {
      EXPECT_EQ(result.http_status, 200);
      EXPECT_THAT(receiver.ServerNames(), ::testing::ElementsAre(c.server_name));
    } else {
      EXPECT_EQ(result.http_status, 0);
      EXPECT_THAT(result.error, HasSubstr(c.error));
      EXPECT_TRUE(receiver.ServerNames().empty());
    }
  }
}

}  // namespace
}  // namespace trackly::server
