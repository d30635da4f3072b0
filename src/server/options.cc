#include "server/options.h"

#include <boost/asio/ip/address.hpp>
#include <toml++/toml.h>

#include <functional>
#include <limits>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "base/log.h"
#include "base/status.h"
#include "server/cors_policy.h"
#include "store/retention.h"
#include "normalize/redaction/redactor.h"

namespace trackly::server {
namespace {

enum class Kind { kString, kInt, kBool };

// One option: its key and how to read and write it on ServerOptions. Built from a generic
// accessor lambda so each option is declared once (below) for flags, environment and TOML.
struct Field {
  std::string key;
  std::string help;
  std::string flag;  // when not derived from the key
  std::string env;   // when not derived from the key
  Kind kind;
  std::function<absl::Status(ServerOptions&, std::string_view)> parse;
  std::function<std::string(const ServerOptions&)> format;
};

absl::Status ParseValue(std::string_view text, std::string* out) {
  *out = std::string(text);
  return absl::OkStatus();
}

template <typename Int>
absl::Status ParseValue(std::string_view text, Int* out) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(Sv(text), &value) || value < std::numeric_limits<Int>::min() ||
      value > std::numeric_limits<Int>::max()) {
    return absl::InvalidArgumentError(absl::StrCat("'", Sv(text), "' is not an integer"));
  }
  *out = static_cast<Int>(value);
  return absl::OkStatus();
}

absl::Status ParseValue(std::string_view text, bool* out) {
  std::string lower = absl::AsciiStrToLower(Sv(text));
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") {
    *out = true;
  } else if (lower == "false" || lower == "0" || lower == "no" || lower == "off") {
    *out = false;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("'", Sv(text), "' is not true or false"));
  }
  return absl::OkStatus();
}

std::string FormatValue(const std::string& value) { return value; }
std::string FormatValue(bool value) { return value ? "true" : "false"; }
template <typename Int>
std::string FormatValue(Int value) { return absl::StrCat(value); }

template <typename T>
constexpr Kind KindOf() {
  if constexpr (std::is_same_v<T, std::string>) return Kind::kString;
  else if constexpr (std::is_same_v<T, bool>) return Kind::kBool;
  else return Kind::kInt;
}

// `access` is a generic lambda returning a reference to the member, for const and non-const.
template <typename Access>
Field MakeField(std::string key, std::string help, Access access) {
  using T = std::remove_reference_t<decltype(access(std::declval<ServerOptions&>()))>;
  return Field{std::move(key), std::move(help), "", "", KindOf<T>(),
               [access](ServerOptions& options, std::string_view text) {
                 return ParseValue(text, &access(options));
               },
               [access](const ServerOptions& options) { return FormatValue(access(options)); }};
}

Field WithNames(Field field, std::string flag, std::string env) {
  field.flag = std::move(flag);
  field.env = std::move(env);
  return field;
}

#define TRACKLY_OPTION(key, member, help) \
  MakeField(key, help, [](auto& o) -> auto& { return o.member; })

const std::vector<Field>& Fields() {
  static const std::vector<Field>* const fields = new std::vector<Field>{
      TRACKLY_OPTION("listen", listen, "HOST:PORT to listen on (port 0 picks a free port)"),
      // --data and TRACKLY_DATA, as every other command names the data directory.
      WithNames(TRACKLY_OPTION("data_dir", data_dir, "directory of the store and catalog"),
                "data", "TRACKLY_DATA"),
      TRACKLY_OPTION("io_threads", io_threads, "threads serving connections and requests"),
      TRACKLY_OPTION("max_body_bytes", max_body_bytes,
                     "largest request body, after decompression (larger: 413)"),
      TRACKLY_OPTION("max_header_bytes", max_header_bytes,
                     "largest request line plus headers (larger: 431)"),
      TRACKLY_OPTION("max_connections", max_connections, "most connections open at once"),
      TRACKLY_OPTION("idle_timeout_ms", idle_timeout_ms,
                     "keep-alive connection closed after this long without a request"),
      TRACKLY_OPTION("read_timeout_ms", read_timeout_ms,
                     "time allowed to receive one whole request"),
      TRACKLY_OPTION("write_timeout_ms", write_timeout_ms,
                     "time allowed to send one whole response"),
      TRACKLY_OPTION("rate_limit.key_requests_per_second", rate_limit.key_requests_per_second,
                     "requests per second one API key may send on average (0: no limit; more: "
                     "429)"),
      TRACKLY_OPTION("rate_limit.key_burst", rate_limit.key_burst,
                     "requests one API key may send back to back before its rate applies"),
      TRACKLY_OPTION("rate_limit.address_requests_per_second",
                     rate_limit.address_requests_per_second,
                     "requests per second from one client address (IPv6: its /64) (0: no limit)"),
      TRACKLY_OPTION("rate_limit.address_burst", rate_limit.address_burst,
                     "requests one client address may send back to back before its rate applies"),
      TRACKLY_OPTION("rate_limit.failed_auth_per_minute", rate_limit.failed_auth_per_minute,
                     "failed authentications per minute from one address before its requests "
                     "needing a credential get 429 (0: no limit)"),
      TRACKLY_OPTION("rate_limit.failed_auth_burst", rate_limit.failed_auth_burst,
                     "failed authentications one address may have back to back before that rate "
                     "applies"),
      TRACKLY_OPTION("rate_limit.max_tracked_clients", rate_limit.max_tracked_clients,
                     "most API keys / addresses each rate limit tracks (idle ones are dropped)"),
      TRACKLY_OPTION("cors_allowed_origins", cors_allowed_origins,
                     "comma-separated origins whose web pages may call the API (empty: none)"),
      TRACKLY_OPTION("writer_queue_observations", writer_queue_observations,
                     "observations waiting to be stored before ingestion answers 503"),
      TRACKLY_OPTION("decode.max_nesting_depth", decode.max_nesting_depth,
                     "deepest JSON / AnyValue nesting accepted (deeper: 400)"),
      TRACKLY_OPTION("decode.max_attributes_per_span", decode.max_attributes_per_span,
                     "attributes kept per span (more are dropped)"),
      TRACKLY_OPTION("decode.max_attribute_value_bytes", decode.max_attribute_value_bytes,
                     "longest attribute value kept (longer ones are cut)"),
      TRACKLY_OPTION("decode.max_events_per_span", decode.max_events_per_span,
                     "events kept per span (more are dropped)"),
      TRACKLY_OPTION("decode.max_links_per_span", decode.max_links_per_span,
                     "links kept per span (more are dropped)"),
      TRACKLY_OPTION("auth", auth, "require an API key (off only on a loopback address)"),
      TRACKLY_OPTION("default_project", default_project, "project used when auth is off"),
      TRACKLY_OPTION("create_demo_project", create_demo_project,
                     "create the project \"demo\" at start if missing"),
      TRACKLY_OPTION("log_level", log_level, "debug, info, warn or error"),
      TRACKLY_OPTION("redact", redact,
                     "built-in redaction before storing: secrets, cards, emails, phones (comma-separated), all or none"),
      TRACKLY_OPTION("redact_rules", redact_rules,
                     "redaction rules for every project, JSON {\"rules\": [...]} (docs/security.md \"Custom rules\")"),
      TRACKLY_OPTION("retention_payload_days", retention.payload_days,
                     "days a project's traces keep their full payloads, for projects without their own retention (0: forever)"),
      TRACKLY_OPTION("retention_summary_days", retention.summary_days,
                     "days a project's traces keep their summary, for projects without their own retention (0: forever)"),
      TRACKLY_OPTION("trace_finish_delay_ms", trace_finish_delay_ms,
                     "milliseconds a trace must go without new spans before it is evaluated (stop reason, findings)"),
      TRACKLY_OPTION("alert_interval_s", alert_interval_s, "seconds between evaluations of every project's alert rules"),
      TRACKLY_OPTION("alert_webhooks_allow_private", alert_webhooks_allow_private,
                     "deliver alert webhooks to private, loopback and link-local addresses too (on-premises, tests)"),
      TRACKLY_OPTION("ui_dir", ui_dir, "serve the web UI from this directory instead of the built-in one (UI development)"),
      TRACKLY_OPTION("store", store, "where traces are stored: sqlite (embedded, in the data directory) or clickhouse"),
      TRACKLY_OPTION("clickhouse.url", clickhouse_url, "ClickHouse HTTP interface, http://HOST:PORT (store clickhouse)"),
      TRACKLY_OPTION("clickhouse.database", clickhouse_database, "ClickHouse database (created if missing)"),
      TRACKLY_OPTION("clickhouse.cluster", clickhouse_cluster,
                     "ClickHouse cluster (in remote_servers) to lay the tables out on, replicated per shard behind "
                     "Distributed tables (empty: the one server's own tables)"),
      TRACKLY_OPTION("clickhouse.user", clickhouse_user, "ClickHouse user"),
      TRACKLY_OPTION("clickhouse.password", clickhouse_password,
                     "ClickHouse password (prefer TRACKLY_CLICKHOUSE_PASSWORD or the config file)"),
      TRACKLY_OPTION("spool.dir", spool_dir, "the local spool in front of ClickHouse (empty: DATA/spool)"),
      TRACKLY_OPTION("spool.max_bytes", spool_max_bytes, "most bytes the spool holds before ingestion answers 503"),
      TRACKLY_OPTION("node_id", node_id, "this node's name in the spool's deduplication tokens (empty: the host name)"),
  };
  return *fields;
}

#undef TRACKLY_OPTION

std::string FlagOf(const Field& field) {
  if (!field.flag.empty()) return field.flag;
  return absl::StrReplaceAll(field.key, {{".", "-"}, {"_", "-"}});
}

std::string EnvOf(const Field& field) {
  if (!field.env.empty()) return field.env;
  return absl::StrCat("TRACKLY_", absl::AsciiStrToUpper(absl::StrReplaceAll(field.key, {{".", "_"}})));
}

const Field* FindField(std::string_view key) {
  for (const Field& field : Fields()) {
    if (field.key == key) return &field;
  }
  return nullptr;
}

const Field* FindFieldByFlag(std::string_view flag) {
  for (const Field& field : Fields()) {
    if (FlagOf(field) == flag) return &field;
  }
  return nullptr;
}

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kString: return "a string";
    case Kind::kInt: return "an integer";
    case Kind::kBool: return "a boolean";
  }
  return "?";
}

// A TOML leaf as the text ParseValue reads, or an error when its type does not fit `kind`.
absl::StatusOr<std::string> TomlValueText(const toml::node& node, Kind kind) {
  switch (kind) {
    case Kind::kString:
      if (const auto* value = node.as_string()) return value->get();
      break;
    case Kind::kInt:
      if (const auto* value = node.as_integer()) return absl::StrCat(value->get());
      break;
    case Kind::kBool:
      if (const auto* value = node.as_boolean()) return std::string(value->get() ? "true" : "false");
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat("must be ", Sv(KindName(kind))));
}

absl::Status ApplyTomlTable(const toml::table& table, std::string_view prefix,
                            std::string_view path, ServerOptions& options) {
  for (const auto& [toml_key, node] : table) {
    std::string key = prefix.empty() ? std::string(toml_key.str())
                                     : absl::StrCat(Sv(prefix), ".", Sv(toml_key.str()));
    if (const toml::table* sub = node.as_table()) {
      TRACKLY_RETURN_IF_ERROR(ApplyTomlTable(*sub, key, path, options));
      continue;
    }
    const Field* field = FindField(key);
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("config file ", Sv(path), ": unknown key '", key, "'"));
    }
    absl::StatusOr<std::string> text = TomlValueText(node, field->kind);
    absl::Status status = text.ok() ? field->parse(options, *text) : text.status();
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("config file ", Sv(path), ": key '", key,
                                                     "' ", status.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyConfigFile(const std::string& path, ServerOptions& options) {
  toml::table table;
  // toml++ reports parse errors as exceptions; this is its adapter edge.
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    const toml::source_position& where = error.source().begin;
    return absl::InvalidArgumentError(absl::StrCat("config file ", path, ":", where.line, ":",
                                                   where.column, ": ",
                                                   Sv(error.description())));
  }
  return ApplyTomlTable(table, "", path, options);
}

}  // namespace

const std::vector<OptionInfo>& ServerOptionInfos() {
  static const std::vector<OptionInfo>* const infos = [] {
    auto* out = new std::vector<OptionInfo>;
    const ServerOptions defaults;
    for (const Field& field : Fields()) {
      out->push_back(OptionInfo{FlagOf(field), EnvOf(field), field.key,
                                field.format(defaults), field.help});
    }
    return out;
  }();
  return *infos;
}

absl::StatusOr<ServerOptions> LoadServerOptions(const OptionSources& sources) {
  ServerOptions options;
  std::string config_path = sources.config_path;
  if (config_path.empty() && sources.env) {
    config_path = sources.env("TRACKLY_CONFIG").value_or("");
  }
  if (!config_path.empty()) TRACKLY_RETURN_IF_ERROR(ApplyConfigFile(config_path, options));

  if (sources.env) {
    for (const Field& field : Fields()) {
      std::string env = EnvOf(field);
      std::optional<std::string> value = sources.env(env);
      if (!value) continue;
      if (absl::Status status = field.parse(options, *value); !status.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("environment variable ", env, ": ", status.message()));
      }
    }
  }

  for (const auto& [flag, value] : sources.flags) {
    const Field* field = FindFieldByFlag(flag);
    if (field == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option --", flag));
    }
    if (absl::Status status = field->parse(options, value); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", status.message()));
    }
  }
  return options;
}

absl::Status ValidateServerOptions(const ServerOptions& options) {
  TRACKLY_ASSIGN_OR_RETURN(HostPort listen, ParseHostPort(options.listen));
  if (!options.auth && !IsLoopbackHost(listen.host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to listen on non-loopback address ", options.listen,
        " with auth off: anyone who can reach it could write and read traces; turn auth on "
        "(--auth true) or listen on 127.0.0.1"));
  }
  struct Range {
    std::string_view key;
    int64_t value;
    int64_t min;
  };
  for (const Range& range : {
           Range{"io_threads", options.io_threads, 1},
           Range{"max_body_bytes", options.max_body_bytes, 1},
           Range{"max_header_bytes", options.max_header_bytes, 1024},
           Range{"max_connections", options.max_connections, 1},
           Range{"idle_timeout_ms", options.idle_timeout_ms, 1},
           Range{"read_timeout_ms", options.read_timeout_ms, 1},
           Range{"write_timeout_ms", options.write_timeout_ms, 1},
           Range{"rate_limit.key_requests_per_second",
                 options.rate_limit.key_requests_per_second, 0},
           Range{"rate_limit.key_burst", options.rate_limit.key_burst, 1},
           Range{"rate_limit.address_requests_per_second",
                 options.rate_limit.address_requests_per_second, 0},
           Range{"rate_limit.address_burst", options.rate_limit.address_burst, 1},
           Range{"rate_limit.failed_auth_per_minute",
                 options.rate_limit.failed_auth_per_minute, 0},
           Range{"rate_limit.failed_auth_burst", options.rate_limit.failed_auth_burst, 1},
           Range{"rate_limit.max_tracked_clients", options.rate_limit.max_tracked_clients, 1},
           Range{"writer_queue_observations", options.writer_queue_observations, 1},
           Range{"trace_finish_delay_ms", options.trace_finish_delay_ms, 0},
           Range{"alert_interval_s", options.alert_interval_s, 1},
           Range{"decode.max_nesting_depth", options.decode.max_nesting_depth, 1},
           Range{"decode.max_attributes_per_span", options.decode.max_attributes_per_span, 0},
           Range{"decode.max_attribute_value_bytes", options.decode.max_attribute_value_bytes, 1},
           Range{"decode.max_events_per_span", options.decode.max_events_per_span, 0},
           Range{"decode.max_links_per_span", options.decode.max_links_per_span, 0},
       }) {
    if (range.value < range.min) {
      return absl::InvalidArgumentError(absl::StrCat("option ", Sv(range.key), " must be at least ",
                                                     range.min, ", got ", range.value));
    }
  }
  if (absl::Status origins = ParseCorsOrigins(options.cors_allowed_origins).status();
      !origins.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("option cors_allowed_origins: ", origins.message()));
  }
  if (options.data_dir.empty()) return absl::InvalidArgumentError("option data_dir is empty");
  if (!options.auth && options.default_project.empty()) {
    return absl::InvalidArgumentError("option default_project is empty (needed with auth off)");
  }
  LogLevel level;
  if (!ParseLogLevel(options.log_level, &level)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "option log_level must be debug, info, warn or error, got '", options.log_level, "'"));
  }
  if (absl::StatusOr<normalize::RedactionClasses> redact = normalize::ParseRedactionClasses(options.redact);
      !redact.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("option redact: ", redact.status().message()));
  }
  if (!options.redact_rules.empty()) {
    if (absl::Status rules = normalize::ParseRedactionRulesText(options.redact_rules).status(); !rules.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("option redact_rules: ", rules.message()));
    }
  }
  if (absl::Status retention = store::ValidateRetention({.payload_days = options.retention.payload_days,
                                                          .summary_days = options.retention.summary_days});
      !retention.ok()) {
    // ValidateRetention names the field ("payload_days: ..."); the option is that name prefixed.
    return absl::InvalidArgumentError(absl::StrCat("option retention_", retention.message()));
  }
  if (options.store != "sqlite" && options.store != "clickhouse") {
    return absl::InvalidArgumentError(
        absl::StrCat("option store must be sqlite or clickhouse, got '", options.store, "'"));
  }
  if (options.store == "clickhouse") {
    if (absl::Status url = ParseClickHouseUrl(options.clickhouse_url).status(); !url.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("option clickhouse.url: ", url.message()));
    }
    if (options.clickhouse_database.empty()) return absl::InvalidArgumentError("option clickhouse.database is empty");
    if (options.spool_max_bytes < (int64_t{1} << 20)) {
      return absl::InvalidArgumentError(
          absl::StrCat("option spool.max_bytes must be at least 1048576, got ", options.spool_max_bytes));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ClickHouseAddress> ParseClickHouseUrl(std::string_view url) {
  absl::string_view rest = Sv(url);
  if (!absl::ConsumePrefix(&rest, "http://")) {
    return absl::InvalidArgumentError(absl::StrCat("'", Sv(url), "' is not http://HOST:PORT (https: put a TLS "
                                                   "proxy on the ClickHouse host, or use a loopback/VPN link)"));
  }
  absl::ConsumeSuffix(&rest, "/");
  ClickHouseAddress address;
  const size_t colon = rest.rfind(':');
  address.host = std::string(rest.substr(0, colon));
  if (colon != absl::string_view::npos) {
    uint32_t port = 0;
    if (!absl::SimpleAtoi(rest.substr(colon + 1), &port) || port == 0 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("'", Sv(url), "' has a bad port"));
    }
    address.port = static_cast<uint16_t>(port);
  }
  if (address.host.empty() || address.host.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", Sv(url), "' has no host"));
  }
  return address;
}

absl::StatusOr<HostPort> ParseHostPort(std::string_view text) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen address '", Sv(text), "' is not HOST:PORT (e.g. 127.0.0.1:4318 or [::1]:4318)"));
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return invalid();
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return invalid();
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return invalid();  // a bare IPv6 address is ambiguous without brackets
  }
  uint32_t port = 0;
  if (port_text.empty() || !absl::SimpleAtoi(Sv(port_text), &port) || port > 65535) {
    return invalid();
  }
  if (host != "localhost") {
    boost::system::error_code error;
    boost::asio::ip::make_address(std::string(host), error);
    if (error) {
      return absl::InvalidArgumentError(absl::StrCat("listen host '", Sv(host),
                                                     "' is not an IP address or localhost"));
    }
  }
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;
  boost::system::error_code error;
  boost::asio::ip::address address = boost::asio::ip::make_address(std::string(host), error);
  return !error && address.is_loopback();
}

}  // namespace trackly::server
