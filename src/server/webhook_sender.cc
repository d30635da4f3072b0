#include "server/webhook_sender.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/log.h"
#include "base/status.h"
#include "server/address_policy.h"
#include "server/query_handlers.h"
#include "server/secret.h"
#include "server/webhook_url.h"

namespace trackly::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

constexpr absl::Duration kMaxRetryDelay = absl::Hours(1);
constexpr int kMaxInterimResponses = 5;  // 1xx answers skipped before the final one

std::chrono::nanoseconds ToChrono(absl::Duration duration) {
  return std::chrono::nanoseconds(absl::ToInt64Nanoseconds(duration));
}

// Why the server option exists, said once for every refusal.
constexpr std::string_view kPrivateRefused =
    "deliveries to private, loopback and other non-public addresses are refused (server option "
    "alert_webhooks_allow_private allows them)";

// What one attempt came to.
struct AttemptOutcome {
  bool delivered = false;
  int http_status = 0;
  std::string error;
  bool retry = false;  // worth another attempt
};

// One attempt of one delivery: resolve, vet the addresses, connect to them, TLS, write the
// request, read the response's headers, all on the sender's io_context and under one deadline.
// Lives as long as one of its handlers is pending; `done` is called once, on that thread.
class Attempt : public std::enable_shared_from_this<Attempt> {
 public:
  Attempt(asio::io_context& io, ssl::context* tls, WebhookUrl url, bool allow_private,
          http::request<http::string_body> request, std::function<void(AttemptOutcome)> done)
      : url_(std::move(url)),
        allow_private_(allow_private),
        request_(std::move(request)),
        done_(std::move(done)),
        resolver_(io),
        deadline_(io) {
    if (tls != nullptr) {
      secure_.emplace(io, *tls);
    } else {
      plain_.emplace(io);
    }
  }

  void Start(absl::Duration timeout) {
    timeout_ = timeout;
    deadline_.expires_after(ToChrono(timeout));
    deadline_.async_wait([self = shared_from_this()](beast::error_code error) { self->OnDeadline(error); });
    phase_ = "resolving the host";
    resolver_.async_resolve(url_.host, absl::StrCat(url_.port), tcp::resolver::numeric_service,
                            [self = shared_from_this()](beast::error_code error, tcp::resolver::results_type results) {
                              self->OnResolved(error, std::move(results));
                            });
  }

 private:
  tcp::socket& Socket() { return secure_ ? beast::get_lowest_layer(*secure_).socket() : plain_->socket(); }

  template <typename F>
  void WithStream(F&& f) {
    if (secure_) {
      f(*secure_);
    } else {
      f(*plain_);
    }
  }

  void OnDeadline(beast::error_code error) {
    if (error || finished_) return;
    Done({.error = absl::StrCat("timed out after ", absl::FormatDuration(timeout_), " ", phase_), .retry = true});
  }

  void OnResolved(beast::error_code error, tcp::resolver::results_type results) {
    if (finished_) return;
    if (error || results.empty()) {
      Done({.error = absl::StrCat("cannot resolve ", url_.host, ": ",
                                  error ? error.message() : std::string("no addresses")),
            .retry = true});
      return;
    }
    if (!allow_private_) {
      // Every address, not just the one connected to first: the connection may fall back to any.
      for (const auto& entry : results) {
        const asio::ip::address address = entry.endpoint().address();
        if (std::optional<std::string> range = NonPublicRange(address)) {
          std::string what = url_.host_is_ip
                                 ? absl::StrCat("address ", url_.host)
                                 : absl::StrCat("host ", url_.host, " resolves to ", address.to_string(), ", which");
          Done({.error = absl::StrCat(what, " is in ", *range, "; ", Sv(kPrivateRefused)), .retry = false});
          return;
        }
      }
    }
    // To the vetted addresses themselves: resolving the name again could give others (DNS rebinding).
    phase_ = "connecting";
    asio::async_connect(Socket(), results, [self = shared_from_this()](beast::error_code e, const tcp::endpoint&) {
      self->OnConnected(e);
    });
  }

  void OnConnected(beast::error_code error) {
    if (finished_) return;
    if (error) {
      Done({.error = absl::StrCat("cannot connect to ", url_.host, " port ", url_.port, ": ", error.message()),
            .retry = true});
      return;
    }
    if (!secure_) return Write();
    beast::error_code setup;
    // SNI carries names only (RFC 6066); an IP literal is checked against the certificate's IP entries.
    if (!url_.host_is_ip && !SSL_set_tlsext_host_name(secure_->native_handle(), url_.host.c_str())) {
      Done({.error = absl::StrCat("TLS with ", url_.host, ": cannot set the server name"), .retry = false});
      return;
    }
    secure_->set_verify_mode(ssl::verify_peer, setup);
    if (!setup) {
      secure_->set_verify_callback(
          [this, check = ssl::host_name_verification(url_.host)](bool preverified, ssl::verify_context& context) {
            // Kept so that the error says which check failed; OpenSSL's says only "verify failed".
            if (!preverified) {
              if (verify_error_.empty()) {
                verify_error_ = absl::StrCat(
                    "certificate not trusted: ",
                    X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.native_handle())));
              }
              return false;
            }
            if (check(preverified, context)) return true;
            verify_error_ = absl::StrCat("certificate is not valid for ", url_.host);
            return false;
          },
          setup);
    }
    if (setup) {
      Done({.error = absl::StrCat("TLS with ", url_.host, ": ", setup.message()), .retry = false});
      return;
    }
    phase_ = "in the TLS handshake";
    secure_->async_handshake(ssl::stream_base::client, [self = shared_from_this()](beast::error_code e) {
      self->OnHandshake(e);
    });
  }

  void OnHandshake(beast::error_code error) {
    if (finished_) return;
    if (error) {
      Done({.error = absl::StrCat("TLS handshake with ", url_.host, " failed: ",
                                  verify_error_.empty() ? error.message() : verify_error_),
            .retry = true});
      return;
    }
    Write();
  }

  void Write() {
    phase_ = "sending the request";
    WithStream([this](auto& stream) {
      http::async_write(stream, request_, [self = shared_from_this()](beast::error_code e, size_t) {
        self->OnWritten(e);
      });
    });
  }

  void OnWritten(beast::error_code error) {
    if (finished_) return;
    if (error) {
      Done({.error = absl::StrCat("sending to ", url_.host, " failed: ", error.message()), .retry = true});
      return;
    }
    phase_ = "waiting for the response";
    ReadHeader();
  }

  void ReadHeader() {
    parser_.emplace();
    WithStream([this](auto& stream) {
      http::async_read_header(stream, buffer_, *parser_, [self = shared_from_this()](beast::error_code e, size_t) {
        self->OnHeader(e);
      });
    });
  }

  void OnHeader(beast::error_code error) {
    if (finished_) return;
    if (error) {
      Done({.error = absl::StrCat("reading the response of ", url_.host, " failed: ", error.message()),
            .retry = true});
      return;
    }
    const int status = static_cast<int>(parser_->get().result_int());
    // The reason phrase is the standard one: the receiver's own text is not repeated into our records.
    std::string http_text = absl::StrCat("HTTP ", status);
    if (const http::status known = http::int_to_status(status); known != http::status::unknown) {
      const auto reason = http::obsolete_reason(known);
      absl::StrAppend(&http_text, " ", absl::string_view(reason.data(), reason.size()));
    }
    if (status >= 100 && status < 200 && status != 101 && ++interim_responses_ <= kMaxInterimResponses) {
      ReadHeader();  // 100 Continue, 103 Early Hints: the final answer follows
      return;
    }
    if (status >= 200 && status < 300) {
      Done({.delivered = true, .http_status = status});
    } else if (status >= 300 && status < 400) {
      Done({.http_status = status, .error = absl::StrCat(http_text, ": redirects are not followed"), .retry = false});
    } else {
      Done({.http_status = status, .error = http_text, .retry = status == 429 || status >= 500});
    }
  }

  void Done(AttemptOutcome outcome) {
    finished_ = true;
    beast::error_code ignored;
    deadline_.cancel();
    resolver_.cancel();
    // No TLS close_notify: the request said Connection: close and the answer is in.
    Socket().close(ignored);
    std::function<void(AttemptOutcome)> done = std::move(done_);
    done(std::move(outcome));
  }

  const WebhookUrl url_;
  const bool allow_private_;
  http::request<http::string_body> request_;
  std::function<void(AttemptOutcome)> done_;
  absl::Duration timeout_;
  tcp::resolver resolver_;
  asio::steady_timer deadline_;
  std::optional<beast::tcp_stream> plain_;                           // http
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure_;       // https
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;  // of the response being read
  int interim_responses_ = 0;
  std::string phase_;         // for the timeout message
  std::string verify_error_;  // set by the certificate check
  bool finished_ = false;
};

}  // namespace

absl::Status CheckWebhookUrl(std::string_view text, bool allow_private) {
  TRACKLY_ASSIGN_OR_RETURN(WebhookUrl url, ParseWebhookUrl(text));
  if (allow_private) return absl::OkStatus();
  if (url.host_is_ip) {
    if (std::optional<std::string> range = NonPublicRange(asio::ip::make_address(url.host))) {
      return absl::InvalidArgumentError(
          absl::StrCat("webhook: URL host ", url.host, " is in ", *range, "; ", Sv(kPrivateRefused)));
    }
  } else if (url.host == "localhost" || absl::EndsWith(url.host, ".localhost")) {
    // RFC 6761: such names always resolve to loopback, so they can be refused before any lookup.
    return absl::InvalidArgumentError(
        absl::StrCat("webhook: URL host ", url.host, " is a loopback name; ", Sv(kPrivateRefused)));
  }
  return absl::OkStatus();
}

std::string WebhookSignature(std::string_view secret, std::string_view id, int64_t timestamp_s,
                             std::string_view body) {
  const std::string message = absl::StrCat(Sv(id), ".", timestamp_s, ".", Sv(body));
  static constexpr unsigned char kNoKey[1] = {0};  // OpenSSL wants a non-null key pointer
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  const void* key = secret.empty() ? static_cast<const void*>(kNoKey) : static_cast<const void*>(secret.data());
  HMAC(EVP_sha256(), key, static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &digest_size);
  return absl::StrCat(
      "v1=", absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), digest_size)));
}

absl::Duration WebhookRetryDelay(const WebhookOptions& options, int failed_attempts) {
  absl::Duration delay = options.first_retry;
  for (int i = 1; i < failed_attempts && delay < kMaxRetryDelay; ++i) delay *= 2;
  return std::min(delay, kMaxRetryDelay);
}

// Owns the io_context and its thread. Every Delivery accepted is in live_ until `done` has been
// called for it, so the destructor can report the ones it drops.
class WebhookSender::Impl {
 public:
  Impl(WebhookOptions options, const Clock& clock)
      : options_(std::move(options)), clock_(clock), work_(asio::make_work_guard(io_)) {
    beast::error_code error;
    tls_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                     error);
    if (!error && SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_2_VERSION) != 1) {
      tls_error_ = "https is unavailable: cannot require TLS 1.2";
    }
    if (!error) tls_.set_default_verify_paths(error);
    if (!error && !options_.extra_ca_pem.empty()) {
      tls_.add_certificate_authority(asio::buffer(options_.extra_ca_pem), error);
    }
    if (!error) tls_.set_verify_mode(ssl::verify_peer, error);
    if (error) tls_error_ = absl::StrCat("https is unavailable: cannot set up TLS: ", error.message());
    if (!tls_error_.empty()) LogWarn("webhooks: ", tls_error_);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() {
    work_.reset();
    io_.stop();
    thread_.join();
    std::vector<std::shared_ptr<Delivery>> dropped;
    {
      absl::MutexLock lock(&mu_);
      for (auto& [seq, delivery] : live_) dropped.push_back(std::move(delivery));
      live_.clear();
    }
    std::sort(dropped.begin(), dropped.end(), [](const auto& a, const auto& b) { return a->seq < b->seq; });
    for (const std::shared_ptr<Delivery>& delivery : dropped) {
      std::string error = delivery->rejection.empty()
                              ? std::string("the webhook sender stopped before the delivery finished")
                              : delivery->rejection;
      delivery->done(WebhookResult{.delivered = false,
                                   .attempts = delivery->attempts,
                                   .http_status = delivery->last_status,
                                   .error = std::move(error),
                                   .id = delivery->id});
    }
    // io_ goes next, destroying the handlers it still holds (and with them their attempts'
    // sockets) without running them.
  }

  void Send(std::string url, std::string body, std::string secret, std::function<void(WebhookResult)> done) {
    auto delivery = std::make_shared<Delivery>();
    delivery->url_text = std::move(url);
    delivery->body = std::move(body);
    delivery->secret = std::move(secret);
    delivery->done = std::move(done);
    {
      absl::MutexLock lock(&mu_);
      delivery->seq = next_seq_++;
      if (accepted_ >= options_.max_pending) {
        // Still reported from the sender's thread, like every other outcome.
        delivery->rejection = absl::StrCat("webhook: ", options_.max_pending,
                                           " deliveries are already pending; this one was dropped");
      } else {
        ++accepted_;
      }
      live_.emplace(delivery->seq, delivery);
    }
    asio::post(io_, [this, delivery] { Begin(delivery); });
  }

 private:
  struct Delivery {
    uint64_t seq = 0;
    std::string url_text;
    std::string body;
    std::string secret;
    std::function<void(WebhookResult)> done;
    std::string rejection;  // set when the queue was full: fails at once
    // On the sender's thread only, after Begin:
    WebhookUrl url;
    std::string id;
    int attempts = 0;
    int last_status = 0;
    std::string last_error;
  };

  void Begin(const std::shared_ptr<Delivery>& delivery) {
    if (!delivery->rejection.empty()) return Finish(*delivery, {.error = delivery->rejection});
    absl::StatusOr<WebhookUrl> url = ParseWebhookUrl(delivery->url_text);
    if (!url.ok()) return Finish(*delivery, {.error = std::string(url.status().message())});
    if (url->https && !tls_error_.empty()) return Finish(*delivery, {.error = tls_error_});
    absl::StatusOr<std::string> id = RandomHex(16);
    if (!id.ok()) return Finish(*delivery, {.error = std::string(id.status().message())});
    delivery->url = *std::move(url);
    delivery->id = *std::move(id);
    StartAttempt(delivery);
  }

  void StartAttempt(const std::shared_ptr<Delivery>& delivery) {
    ++delivery->attempts;
    const int64_t timestamp_s = clock_.NowNanos() / 1'000'000'000;
    http::request<http::string_body> request{http::verb::post, delivery->url.target, 11};
    request.set(http::field::host, delivery->url.HostHeader());
    request.set(http::field::user_agent, absl::StrCat("trackly/", Sv(kTracklyVersion)));
    request.set(http::field::content_type, "application/json");
    request.set("Trackly-Webhook-Id", delivery->id);
    request.set("Trackly-Webhook-Timestamp", absl::StrCat(timestamp_s));
    request.set("Trackly-Signature", WebhookSignature(delivery->secret, delivery->id, timestamp_s, delivery->body));
    request.set(http::field::connection, "close");
    request.body() = delivery->body;
    request.prepare_payload();
    auto attempt = std::make_shared<Attempt>(
        io_, delivery->url.https ? &tls_ : nullptr, delivery->url, options_.allow_private, std::move(request),
        [this, delivery](AttemptOutcome outcome) { AttemptDone(delivery, std::move(outcome)); });
    attempt->Start(options_.timeout);
  }

  void AttemptDone(const std::shared_ptr<Delivery>& delivery, AttemptOutcome outcome) {
    delivery->last_status = outcome.http_status;
    delivery->last_error = outcome.error;
    if (outcome.delivered) {
      return Finish(*delivery, {.delivered = true, .attempts = delivery->attempts, .http_status = outcome.http_status});
    }
    if (outcome.retry && delivery->attempts < options_.max_attempts) {
      const absl::Duration delay = WebhookRetryDelay(options_, delivery->attempts);
      return WaitForRetry(delivery, clock_.NowNanos() + absl::ToInt64Nanoseconds(delay), delay);
    }
    LogWarn("webhook to ", delivery->url.host, " not delivered after ", delivery->attempts,
            delivery->attempts == 1 ? " attempt: " : " attempts: ", outcome.error);
    Finish(*delivery, {.attempts = delivery->attempts, .http_status = outcome.http_status, .error = outcome.error});
  }

  // Due times are the Clock's; a timer on the io_context wakes the thread to look at it again,
  // so no thread sleeps per delivery.
  void WaitForRetry(const std::shared_ptr<Delivery>& delivery, int64_t due_ns, absl::Duration max_wait) {
    const int64_t wait_ns = std::clamp<int64_t>(due_ns - clock_.NowNanos(), 0, absl::ToInt64Nanoseconds(max_wait));
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::nanoseconds(wait_ns));
    timer->async_wait([this, delivery, timer, due_ns, max_wait](beast::error_code error) {
      if (error) return;
      if (clock_.NowNanos() < due_ns) return WaitForRetry(delivery, due_ns, max_wait);
      StartAttempt(delivery);
    });
  }

  void Finish(Delivery& delivery, WebhookResult result) {
    {
      absl::MutexLock lock(&mu_);
      live_.erase(delivery.seq);
      if (delivery.rejection.empty()) --accepted_;
    }
    result.id = delivery.id;
    std::function<void(WebhookResult)> done = std::move(delivery.done);
    done(std::move(result));
  }

  const WebhookOptions options_;
  const Clock& clock_;
  // Declared before io_: the streams of attempts io_ still holds at destruction were made from it.
  ssl::context tls_{ssl::context::tls_client};
  std::string tls_error_;  // why https cannot be used; empty when it can
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  absl::Mutex mu_;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  size_t accepted_ ABSL_GUARDED_BY(mu_) = 0;  // live deliveries that count against max_pending
  absl::flat_hash_map<uint64_t, std::shared_ptr<Delivery>> live_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

WebhookSender::WebhookSender(WebhookOptions options, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), clock)) {}

WebhookSender::~WebhookSender() = default;

void WebhookSender::Send(std::string url, std::string body, std::string secret,
                         std::function<void(WebhookResult)> done) {
  impl_->Send(std::move(url), std::move(body), std::move(secret), std::move(done));
}

}  // namespace trackly::server
