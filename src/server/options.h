// The server's settings and where they come from. Precedence, highest first:
//   command-line flags  >  TRACKLY_* environment variables  >  TOML config file  >  defaults.
// Every option has one name used everywhere: flag `--max-body-bytes`, environment variable
// `TRACKLY_MAX_BODY_BYTES`, TOML key `max_body_bytes` (dotted keys are tables: `decode.max_...`
// is `[decode] max_...`). One exception: the data directory is `--data` / `TRACKLY_DATA` (as in
// every other command), TOML `data_dir`. docs/configuration.md lists them all.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ingest/decoder.h"
#include "server/client_rate_limits.h"
#include "server/retention_policy.h"

namespace trackly::server {

struct ServerOptions {
  // HOST:PORT to listen on; port 0 picks a free port. IPv6 hosts in brackets: [::1]:4318.
  std::string listen = "127.0.0.1:4318";
  // Directory holding the store and the catalog (created if missing).
  std::string data_dir = "./trackly-data";
  // Threads running network I/O and request handling.
  int io_threads = 2;
  // Largest request body accepted, counted after decompression (and before it); larger → 413.
  int64_t max_body_bytes = int64_t{64} << 20;
  // Largest request line plus headers accepted; larger → 431.
  int max_header_bytes = 16 << 10;
  // Most connections open at once; further ones are closed right after accept.
  int max_connections = 4096;
  // How long a keep-alive connection may wait for its next request before it is closed.
  int idle_timeout_ms = 60'000;
  // How long a client may take to send one whole request (headers and body) once it has started.
  int read_timeout_ms = 30'000;
  // How long a client may take to receive one response.
  int write_timeout_ms = 30'000;
  // Request rate limits per API key, per client address and for failed authentication
  // (server/client_rate_limits.h); beyond them 429 + Retry-After.
  RateLimitOptions rate_limit;
  // Origins (scheme://host[:port], comma-separated) whose browser pages may call the API; empty
  // sends no CORS headers at all (server/cors_policy.h).
  std::string cors_allowed_origins;
  // Observations accepted but not yet durable; beyond it ingestion answers 503 + Retry-After.
  int64_t writer_queue_observations = 200'000;
  // Per-span limits applied while decoding; beyond them values are truncated or dropped.
  ingest::DecodeLimits decode;
  // Require an API key. Off is only allowed on a loopback address; every request then acts on
  // `default_project`.
  bool auth = true;
  // The project requests act on when auth is off (created at start if missing).
  std::string default_project = "default";
  // Create the project "demo" at start if missing.
  bool create_demo_project = false;
  // Log level: debug, info, warn or error.
  std::string log_level = "info";
  // Built-in redaction applied to everything ingested before it is stored: a comma-separated
  // list of secrets, cards, emails, phones, or all / none (normalize/redaction/redactor.h).
  std::string redact = "secrets,cards";
  // Redaction rules applied to every project next to its own, as the JSON text
  // {"rules": [...]} (normalize/redaction/rules.h); empty = none.
  std::string redact_rules;
  // Retention of projects without their own (docs/security.md "Retention"): full payloads for
  // retention_payload_days days, then the summary until retention_summary_days; 0 = keep forever.
  RetentionDefaults retention;
  // How long a trace must go without a new span before the server evaluates it (stop reason and
  // findings stored as scores; server/trace_finisher.h, docs/insight.md).
  int trace_finish_delay_ms = 30'000;
  // Seconds between two evaluations of every project's alert rules (server/alert_evaluator.h,
  // docs/insight.md "Alerts").
  int alert_interval_s = 60;
  // Deliver alert webhooks to private, loopback and link-local addresses too (on-premises
  // receivers, tests); off, such URLs are refused when set and such addresses when resolved.
  bool alert_webhooks_allow_private = false;
  // Directory of a built web UI (web/dist) to serve at "/" instead of the one built into the
  // binary, read on every request (UI development); empty serves the built-in UI.
  std::string ui_dir;
  // Where traces are stored: "sqlite" (embedded, in data_dir) or "clickhouse" (docs/scale-out.md;
  // the catalog of projects, keys and users is then in ClickHouse too).
  std::string store = "sqlite";
  // The ClickHouse HTTP interface (http://HOST:PORT), database, user and password (store
  // clickhouse). Prefer the environment or the config file for the password.
  std::string clickhouse_url = "http://127.0.0.1:8123";
  std::string clickhouse_database = "trackly";
  // A cluster of the server's remote_servers: the tables are Replicated…MergeTree on every shard
  // behind Distributed tables (docs/scale-out.md "A ClickHouse cluster"); empty: the server's own.
  std::string clickhouse_cluster;
  std::string clickhouse_user = "default";
  std::string clickhouse_password;
  // The local spool in front of ClickHouse: its directory (empty: data_dir/spool), its size
  // limit (beyond it ingestion answers 503) and this node's name in its deduplication tokens
  // (empty: the host name). Unused with the sqlite store.
  std::string spool_dir;
  int64_t spool_max_bytes = int64_t{1} << 30;
  std::string node_id;
};

// The ClickHouse address of `url` ("http://HOST:PORT", port defaulting to 8123). InvalidArgument
// naming the problem otherwise.
struct ClickHouseAddress {
  std::string host;
  uint16_t port = 8123;
};
absl::StatusOr<ClickHouseAddress> ParseClickHouseUrl(std::string_view url);

// One option as the command line, the environment and the config file know it.
struct OptionInfo {
  std::string flag;           // "max-body-bytes" (used as --max-body-bytes)
  std::string env;            // "TRACKLY_MAX_BODY_BYTES"
  std::string toml_key;       // "max_body_bytes" or "decode.max_events_per_span"
  std::string default_value;  // as text, from a default-constructed ServerOptions
  std::string help;           // one line
};

// Every option, in documentation order.
const std::vector<OptionInfo>& ServerOptionInfos();

// Where LoadServerOptions reads from.
struct OptionSources {
  // Flags given on the command line: flag name (without "--") → value text.
  std::vector<std::pair<std::string, std::string>> flags;
  // Environment lookup (nullopt = unset); tests pass a fake, the CLI passes getenv.
  std::function<std::optional<std::string>(const std::string&)> env;
  // TOML config file; empty = none (TRACKLY_CONFIG names one when this is empty).
  std::string config_path;
};

// Builds options from defaults, then the config file, then the environment, then flags.
// InvalidArgument naming the source and the option for an unknown option (flag, TOML key), a bad
// value, an unreadable or malformed config file.
absl::StatusOr<ServerOptions> LoadServerOptions(const OptionSources& sources);

// Checks combinations: auth off on a non-loopback address, ranges. InvalidArgument says which.
absl::Status ValidateServerOptions(const ServerOptions& options);

// "127.0.0.1:4318" → host "127.0.0.1", port 4318; "[::1]:0" → "::1", 0. InvalidArgument otherwise.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
absl::StatusOr<HostPort> ParseHostPort(std::string_view text);

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host);

}  // namespace trackly::server
