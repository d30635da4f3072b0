// Outbound webhook deliveries (alerts): signed JSON POSTs over http or https, retried with
// backoff, only to public addresses. The signature scheme and how a receiver checks it are in
// docs/insight.md "Webhook deliveries".
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace trackly::server {

struct WebhookOptions {
  bool allow_private = false;  // deliver to private, loopback etc. addresses too (server option alert_webhooks_allow_private)
  int max_attempts = 5;        // first try + retries
  absl::Duration first_retry = absl::Seconds(2);  // wait before the first retry, then doubled each time (2, 4, 8, 16 s)
  absl::Duration timeout = absl::Seconds(10);     // per attempt: resolve + connect + TLS + send + response headers
  size_t max_pending = 10000;  // deliveries accepted and not yet finished (waiting retries included); more fail at once
  std::string extra_ca_pem;    // CA certificates (PEM) trusted beside the system's, e.g. an on-prem private CA
};

struct WebhookResult {
  bool delivered = false;  // the receiver answered 2xx
  int attempts = 0;        // attempts made (0 when the delivery never started: bad URL, queue full)
  int http_status = 0;     // of the last attempt; 0 if it got no response
  std::string error;       // why the last attempt failed; empty when delivered
  std::string id;          // the Trackly-Webhook-Id sent (the same on every attempt); empty if none was
};

// Checks a webhook URL when it is configured: ParseWebhookUrl (server/webhook_url.h: http or
// https, a host, optional port, no userinfo, at most 2048 chars), and unless `allow_private` a
// literal IP in a non-public range (server/address_policy.h) or the name localhost / *.localhost
// is refused. InvalidArgument "webhook: ..." naming what is wrong. Names are not resolved here:
// what they resolve to is checked at every delivery.
absl::Status CheckWebhookUrl(std::string_view url, bool allow_private);

// "v1=" + lowercase hex HMAC-SHA256(secret, "<id>.<timestamp_s>.<body>"): the
// Trackly-Signature header of a delivery.
std::string WebhookSignature(std::string_view secret, std::string_view id, int64_t timestamp_s,
                             std::string_view body);

// How long the sender waits after `failed_attempts` (>= 1) failed attempts before the next one:
// first_retry * 2^(failed_attempts - 1), at most one hour.
absl::Duration WebhookRetryDelay(const WebhookOptions& options, int failed_attempts);

// Thread-safe. Deliveries run on the sender's own thread (all network I/O is asynchronous there;
// many deliveries are in flight at once), so Send never blocks on the network.
//
// One delivery: POST `body` to the URL with Content-Type application/json, User-Agent
// trackly/<version>, Trackly-Webhook-Id (random, the same on every attempt, for the receiver to
// drop duplicates), Trackly-Webhook-Timestamp (unix seconds of the attempt, from the Clock) and
// Trackly-Signature (WebhookSignature, fresh for each attempt).
//  - 2xx: delivered. 3xx: failed, not retried (redirects are never followed). 429 and 5xx,
//    resolution and connection errors, TLS errors and timeouts: retried after WebhookRetryDelay,
//    up to max_attempts in all. Other statuses: failed, not retried.
//  - The host is resolved at each attempt, and unless allow_private the attempt is refused (not
//    retried) when ANY address it resolves to is non-public (NonPublicRange); the connection then
//    goes to those vetted addresses, never through a second resolution (DNS rebinding).
//  - https verifies the certificate chain against the system CAs (plus extra_ca_pem) and the
//    host name (or IP literal), and sends SNI; TLS 1.2 or newer.
//  - Only the response's status line and headers are read; the body is never looked at.
//  - The timeout bounds each attempt. A resolution that outlives it fails the attempt at the
//    deadline, though the system resolver may go on in the background until its own timeout.
//  - Retries become due by the Clock; the sender waits in real time for at most the retry delay
//    between looks at the clock, so with a FakeClock a retry starts once the clock has been
//    advanced past it and that wait has passed.
class WebhookSender {
 public:
  // `clock` must outlive the sender. https deliveries fail (with the reason) when the system's CA
  // store or extra_ca_pem cannot be loaded.
  WebhookSender(WebhookOptions options, const Clock& clock);
  // Stops: deliveries not finished are dropped and reported (delivered = false, "... stopped")
  // from the destroying thread. Must not be called from a `done` callback. May wait for a DNS
  // lookup the system resolver is still running.
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Queues one delivery and returns at once. `done` is called exactly once, on the sender's
  // thread (callbacks never run concurrently with each other), with the outcome; also when the
  // URL is invalid or max_pending deliveries are already waiting (attempts = 0, and an error
  // saying so). `done` may call Send.
  void Send(std::string url, std::string body, std::string secret, std::function<void(WebhookResult)> done);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trackly::server
