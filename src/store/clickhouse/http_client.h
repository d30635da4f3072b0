// A client for ClickHouse's HTTP interface (https://clickhouse.com/docs/en/interfaces/http):
// one request per call, over keep-alive connections (Boost.Beast) kept in a small pool.
//
// Contract:
//  - Query() POSTs the SQL as the body; Insert() puts the INSERT statement in the `query` URL
//    parameter and POSTs the data (e.g. RowBinary, row_binary.h) as the body. Both return the
//    response body on HTTP 200.
//  - Settings go in the URL (`database`, plus any per-call settings); the credential goes in the
//    X-ClickHouse-User / X-ClickHouse-Key headers, never in the URL.
//  - Every request sets wait_end_of_query=1, so an error that happens while the result is being
//    produced still arrives as a non-200 status rather than mid-body.
//  - Errors: the server could not be reached or timed out → Unavailable; HTTP 503 → Unavailable;
//    any other non-200 → Internal. The message names the HTTP code and carries ClickHouse's error
//    text (trimmed), e.g. "ClickHouse HTTP 404: Code: 60, ... Table t1.x doesn't exist".
//  - A request that fails on a pooled connection the server had already closed is retried once
//    on a fresh connection; one that timed out is not (the server may still be running it).
//    Most requests are idempotent anyway (SELECTs, IF NOT EXISTS DDL, inserts into
//    ReplacingMergeTree tables); the workflow cells' insert (workflow.h) is not, and would count
//    twice if a connection broke (not timed out) after the server had received it.
// Thread-safe: any number of threads may call at once; each request uses a connection of its
// own, taken from the pool (or newly opened) and returned after a complete response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace trackly::store::clickhouse {

struct HttpClientOptions {
  std::string host = "127.0.0.1";  // ClickHouse server host (name or address)
  uint16_t port = 8123;            // its HTTP port
  std::string user = "default";    // sent as X-ClickHouse-User
  std::string password;            // sent as X-ClickHouse-Key
  int timeout_ms = 30000;          // per request: connect, send and the whole response
  size_t max_idle_connections = 8;  // connections kept open between requests
};

// URL settings of one request, in order, e.g. {{"database", "trackly"}}.
using QuerySettings = std::vector<std::pair<std::string, std::string>>;

// Thread-safe (see above).
class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET /ping: OK when the server answers "Ok." (it is up and accepting queries).
  absl::Status Ping();
  absl::StatusOr<std::string> Query(std::string_view sql, const QuerySettings& settings = {});
  absl::StatusOr<std::string> Insert(std::string_view insert_sql, std::string_view data,
                                     const QuerySettings& settings = {});

  const HttpClientOptions& options() const { return options_; }

 private:
  struct Connection;

  // POSTs `body` to `target`, or GETs `target` when `body` is null.
  absl::StatusOr<std::string> Send(const std::string& target, const std::string_view* body);
  // Sets `*timed_out` when it failed because the request or its response took longer than
  // timeout_ms (the server may still be running it).
  absl::StatusOr<std::string> SendOn(Connection& connection, const std::string& target, const std::string_view* body,
                                     bool* timed_out);
  std::unique_ptr<Connection> TakeIdle();
  void ReturnIdle(std::unique_ptr<Connection> connection);

  const HttpClientOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace trackly::store::clickhouse
