#include "server/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "server/connection_tracker.h"
#include "server/http_status.h"

namespace trackly::server {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;

// Bytes read while waiting for a request to start.
constexpr size_t kFirstReadBytes = 4096;
// After an error response with unread request data left, the connection keeps reading (and
// dropping) for a short while before closing, so the client sees the response instead of a
// reset (a socket closed with unread data sends RST).
constexpr std::chrono::milliseconds kLingerTime{2000};
constexpr int64_t kMaxLingerBytes = int64_t{4} << 20;

bool IsHttpSyntaxError(beast::error_code error) {
  return error.category() == beast::http::make_error_code(http::error::bad_method).category();
}

}  // namespace

HttpSession::HttpSession(net::ip::tcp::socket socket, const ConnectionLimits& limits,
                         const RequestHandler& handler, ConnectionTracker& tracker)
    : stream_(std::move(socket)), limits_(limits), handler_(handler), tracker_(tracker) {
  beast::error_code error;
  net::ip::tcp::endpoint peer = stream_.socket().remote_endpoint(error);
  if (!error) client_ = peer.address();
}

HttpSession::~HttpSession() { tracker_.Remove(this); }

void HttpSession::Start() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->WaitForRequest(); });
}

void HttpSession::Shutdown() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    self->shutting_down_ = true;
    if (self->state_ == State::kIdle) self->stream_.cancel();
  });
}

void HttpSession::WaitForRequest() {
  if (shutting_down_) return Close();
  if (buffer_.size() > 0) return ReadHeader();  // a pipelined request is already here
  state_ = State::kIdle;
  stream_.expires_after(limits_.idle_timeout);
  stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                          beast::bind_front_handler(&HttpSession::OnFirstBytes,
                                                    shared_from_this()));
}

void HttpSession::OnFirstBytes(beast::error_code error, size_t bytes) {
  state_ = State::kBusy;
  if (error) return Close();  // idle timeout, client closed, or shutdown
  buffer_.commit(bytes);
  ReadHeader();
}

void HttpSession::ReadHeader() {
  state_ = State::kBusy;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(limits_.max_header_bytes));
  parser_->body_limit(static_cast<uint64_t>(limits_.max_body_bytes));
  stream_.expires_after(limits_.read_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&HttpSession::OnHeader, shared_from_this()));
}

void HttpSession::OnHeader(beast::error_code error, size_t) {
  if (error) return OnReadError(error);
  version_ = parser_->get().version();
  // A Content-Length above the cap is refused before any of the body is read.
  if (auto length = parser_->content_length();
      length && *length > static_cast<uint64_t>(limits_.max_body_bytes)) {
    return RespondAndClose(absl::ResourceExhaustedError(absl::StrCat(
        "request body of ", *length, " bytes exceeds the limit of ", limits_.max_body_bytes)));
  }
  auto expect = parser_->get()[http::field::expect];
  if (absl::EqualsIgnoreCase(absl::string_view(expect.data(), expect.size()), "100-continue")) {
    interim_.emplace(http::status::continue_, version_);
    stream_.expires_after(limits_.write_timeout);
    http::async_write(stream_, *interim_,
                      [self = shared_from_this()](beast::error_code error, size_t) {
                        self->interim_.reset();
                        if (error) return self->Close();
                        self->stream_.expires_after(self->limits_.read_timeout);
                        self->ReadBody();
                      });
    return;
  }
  ReadBody();
}

void HttpSession::ReadBody() {
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::OnBody, shared_from_this()));
}

void HttpSession::OnBody(beast::error_code error, size_t) {
  if (error) return OnReadError(error);
  HttpRequest request = parser_->release();
  parser_.reset();
  keep_alive_ = request.keep_alive();
  stream_.expires_never();  // no I/O while the handler works
  // Until it is called, the responder holds the session and counts as outstanding work of the
  // io_context, so the server's threads keep running until every request in flight has been
  // answered. Calling it releases both, so a copy kept after the call cannot stall shutdown.
  struct Pending {
    std::shared_ptr<HttpSession> session;
    net::any_io_executor executor;
  };
  auto pending = std::make_shared<std::optional<Pending>>(Pending{
      shared_from_this(),
      net::prefer(stream_.get_executor(), net::execution::outstanding_work.tracked)});
  Responder respond = [pending](HttpResponse response) {
    std::optional<Pending> taken = std::exchange(*pending, std::nullopt);
    if (!taken) return;  // a second call breaks the Responder contract; nothing to answer
    net::post(taken->executor, [session = std::move(taken->session),
                                response = std::move(response)]() mutable {
      session->Write(std::move(response));
    });
  };
  handler_(std::move(request), client_, std::move(respond));
}

void HttpSession::OnReadError(beast::error_code error) {
  if (error == http::error::body_limit) {
    return RespondAndClose(absl::ResourceExhaustedError(
        absl::StrCat("request body exceeds the limit of ", limits_.max_body_bytes, " bytes")));
  }
  if (error == http::error::header_limit) {
    return RespondAndClose(HeadersTooLargeError(absl::StrCat(
        "request headers exceed the limit of ", limits_.max_header_bytes, " bytes")));
  }
  if (IsHttpSyntaxError(error) && error != http::error::end_of_stream &&
      error != http::error::partial_message) {
    return RespondAndClose(
        absl::InvalidArgumentError(absl::StrCat("malformed HTTP request: ", error.message())));
  }
  // Timeout (a slow client), the client went away, or shutdown: nothing to answer.
  LogDebug("connection closed while reading: ", error.message());
  Close();
}

void HttpSession::RespondAndClose(const absl::Status& status) {
  keep_alive_ = false;
  parser_.reset();
  Write(ErrorResponse(status));
}

void HttpSession::Write(HttpResponse response) {
  response.version(version_);
  response.keep_alive(keep_alive_ && !shutting_down_);
  AddSecurityHeaders(response);
  response.prepare_payload();
  response_.emplace(std::move(response));
  stream_.expires_after(limits_.write_timeout);
  http::async_write(stream_, *response_,
                    beast::bind_front_handler(&HttpSession::OnWrite, shared_from_this()));
}

void HttpSession::OnWrite(beast::error_code error, size_t) {
  const bool close = !response_->keep_alive();
  response_.reset();
  if (error) return Close();
  if (close) return LingeringClose();
  WaitForRequest();
}

void HttpSession::LingeringClose() {
  beast::error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  stream_.expires_after(kLingerTime);
  Discard();
}

void HttpSession::Discard() {
  stream_.async_read_some(net::buffer(discard_),
                          [self = shared_from_this()](beast::error_code error, size_t bytes) {
                            self->discarded_bytes_ += static_cast<int64_t>(bytes);
                            if (error || self->discarded_bytes_ > kMaxLingerBytes) {
                              return self->Close();
                            }
                            self->Discard();
                          });
}

void HttpSession::Close() {
  beast::error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
}

}  // namespace trackly::server
