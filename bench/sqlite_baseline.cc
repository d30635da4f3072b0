// The naive-schema yardstick of issue 2 ("SQLite with three secondary indexes near 50,000 rows/s:
// the design has to beat a naive schema, not match it"): how fast plain SQLite stores the spans
// bench/ingest_load sends, in the schema a first design would pick, so that the server's ingest
// rate can be stated as a ratio to it on whatever machine runs both (as
// bench/clickhouse_ingest.mjs does for ClickHouse's bare insert).
//
//   build/bench/sqlite_baseline [--spans-per-batch 100] [--batches-per-commit 1] [--duration-s 10]
//       [--synchronous full|normal] [--runs 3] [--dir DIR]
//
// The rows are the canonical observations the server stores: ingest_load's OTLP protobuf bodies
// (bench/agent_batch.h, one template per connection of its default 8, seeded as it seeds them)
// through the server's own decoder and normalizer (ingest::OtlpProtoDecoder,
// normalize::BatchNormalizer), turned into column values before the clock starts. The timed part
// is SQLite alone: each request gets a fresh random trace id, as ingest_load patches one into
// each body, and one INSERT OR REPLACE per span; one transaction per --batches-per-commit
// requests, in WAL mode with synchronous=FULL by default (durable before the next request, like
// the server's acks). No HTTP, no decoding, no summaries or rollups: whatever else the server
// does per span is what the ratio charges it for.
//
// Each run writes a fresh database in --dir (default the system temp directory; put it on the
// filesystem of the server's data dir, fsync is most of a commit) and deletes it afterwards.
// SQLite is used directly, not through src/store/sqlite: this measures the naive schema, not ours.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench/agent_batch.h"
#include "ingest/otlp/otlp_proto_decoder.h"
#include "model/json.h"
#include "model/observation.h"
#include "normalize/batch_normalizer.h"
#include "normalize/cost/price_catalog.h"
#include "normalize/cost/price_source.h"

namespace trackly::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kProject[] = "default";
// ingest_load's default --connections; connection i sends from a template seeded 1000 + i.
constexpr int kTemplates = 8;

struct Options {
  int spans_per_batch = 100;
  int batches_per_commit = 1;  // requests per transaction
  double duration_s = 10;
  std::string synchronous = "full";  // "full" or "normal"
  int runs = 3;
  std::string dir = std::filesystem::temp_directory_path().string();
};

// A column value, bound as SQLite's NULL, INTEGER, REAL or TEXT.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

Value Text(std::string_view text) {
  if (text.empty()) return std::monostate{};
  return std::string(text);
}
Value JsonText(const model::Json& json) {
  if (json.is_null() || (json.is_structured() && json.empty())) return std::monostate{};
  return model::DumpJson(json);
}
Value EventsJson(const std::vector<model::Event>& events) {
  model::Json out = model::Json::array();
  for (const model::Event& e : events) {
    out.push_back({{"name", e.name}, {"time_ns", e.time_ns}, {"attributes", e.attributes}});
  }
  return JsonText(out);
}

// One plain column per field of the canonical observation (JSON fields as JSON text). The table
// starts with `project` and `trace_id`, bound separately: the project is not a field, and the
// trace id is patched per request.
struct Column {
  const char* name;
  const char* type;
  Value (*value)(const model::Observation& o);
};
const Column kColumns[] = {
    {"span_id", "TEXT NOT NULL", [](const model::Observation& o) { return Text(o.id); }},
    {"parent_id", "TEXT", [](const model::Observation& o) { return Text(o.parent_id); }},
    {"name", "TEXT", [](const model::Observation& o) { return Text(o.name); }},
    {"type", "TEXT", [](const model::Observation& o) { return Text(model::ToString(o.type)); }},
    {"status", "TEXT", [](const model::Observation& o) { return Text(model::ToString(o.status)); }},
    {"status_message", "TEXT", [](const model::Observation& o) { return Text(o.status_message); }},
    {"error_type", "TEXT", [](const model::Observation& o) { return Text(o.error_type); }},
    {"level", "TEXT", [](const model::Observation& o) { return Text(model::ToString(o.level)); }},
    {"start_ns", "INTEGER", [](const model::Observation& o) { return Value(o.start_time_ns); }},
    {"end_ns", "INTEGER", [](const model::Observation& o) { return Value(o.end_time_ns); }},
    {"completion_start_ns", "INTEGER", [](const model::Observation& o) { return Value(o.completion_start_time_ns); }},
    {"model", "TEXT", [](const model::Observation& o) { return Text(o.model); }},
    {"provider", "TEXT", [](const model::Observation& o) { return Text(o.provider); }},
    {"model_parameters", "TEXT", [](const model::Observation& o) { return JsonText(o.model_parameters); }},
    {"input_tokens", "INTEGER", [](const model::Observation& o) { return Value(o.usage.input_tokens); }},
    {"output_tokens", "INTEGER", [](const model::Observation& o) { return Value(o.usage.output_tokens); }},
    {"total_tokens", "INTEGER", [](const model::Observation& o) { return Value(o.usage.total_tokens); }},
    {"cache_read_tokens", "INTEGER", [](const model::Observation& o) { return Value(o.usage.cache_read_tokens); }},
    {"cache_write_tokens", "INTEGER", [](const model::Observation& o) { return Value(o.usage.cache_write_tokens); }},
    {"reasoning_tokens", "INTEGER", [](const model::Observation& o) { return Value(o.usage.reasoning_tokens); }},
    {"usage_estimated", "INTEGER", [](const model::Observation& o) { return Value(int64_t{o.usage.estimated}); }},
    {"cost_input", "REAL", [](const model::Observation& o) { return Value(o.cost.input); }},
    {"cost_output", "REAL", [](const model::Observation& o) { return Value(o.cost.output); }},
    {"cost_total", "REAL", [](const model::Observation& o) { return Value(o.cost.total); }},
    {"cost_source", "INTEGER", [](const model::Observation& o) { return Value(int64_t{static_cast<int>(o.cost.source)}); }},
    {"price_id", "TEXT", [](const model::Observation& o) { return Text(o.cost.price_id); }},
    {"cache_savings", "REAL", [](const model::Observation& o) { return Value(o.cost.cache_savings); }},
    {"cost_note", "TEXT", [](const model::Observation& o) { return Text(o.cost.note); }},
    {"input", "TEXT", [](const model::Observation& o) { return JsonText(o.input); }},
    {"output", "TEXT", [](const model::Observation& o) { return JsonText(o.output); }},
    {"metadata", "TEXT", [](const model::Observation& o) { return JsonText(o.metadata); }},
    {"attributes", "TEXT", [](const model::Observation& o) { return JsonText(o.attributes); }},
    {"events", "TEXT", [](const model::Observation& o) { return EventsJson(o.events); }},
    {"prompt_name", "TEXT", [](const model::Observation& o) { return o.prompt ? Text(o.prompt->name) : Value(); }},
    {"prompt_version", "TEXT", [](const model::Observation& o) { return o.prompt ? Text(o.prompt->version) : Value(); }},
    {"tool_name", "TEXT", [](const model::Observation& o) { return o.tool ? Text(o.tool->name) : Value(); }},
    {"tool_call_id", "TEXT", [](const model::Observation& o) { return o.tool ? Text(o.tool->call_id) : Value(); }},
    {"environment", "TEXT", [](const model::Observation& o) { return Text(o.environment); }},
    {"release", "TEXT", [](const model::Observation& o) { return Text(o.release); }},
    {"service_name", "TEXT", [](const model::Observation& o) { return Text(o.service_name); }},
    {"retry_count", "INTEGER", [](const model::Observation& o) { return Value(int64_t{o.retry_count}); }},
    {"redactions", "INTEGER", [](const model::Observation& o) { return Value(int64_t{o.redactions}); }},
    {"session_id", "TEXT", [](const model::Observation& o) { return Text(o.trace_hints.session_id); }},
    {"user_id", "TEXT", [](const model::Observation& o) { return Text(o.trace_hints.user_id); }},
    {"feature", "TEXT", [](const model::Observation& o) { return Text(o.trace_hints.feature); }},
    {"tags", "TEXT", [](const model::Observation& o) { return JsonText(model::Json(o.trace_hints.tags)); }},
    {"trace_name", "TEXT", [](const model::Observation& o) { return Text(o.trace_hints.trace_name); }},
    {"trace_metadata", "TEXT", [](const model::Observation& o) { return JsonText(o.trace_hints.trace_metadata); }},
    {"trace_input", "TEXT", [](const model::Observation& o) { return JsonText(o.trace_hints.trace_input); }},
    {"trace_output", "TEXT", [](const model::Observation& o) { return JsonText(o.trace_hints.trace_output); }},
};

// The schema and the statement, built from kColumns. The three secondary indexes are the API's
// hot list paths a first design would index: the newest traces of a project, and a project's
// traces filtered by session and by user, each newest first.
std::string CreateSchemaSql() {
  std::string sql = "CREATE TABLE spans (project TEXT NOT NULL, trace_id TEXT NOT NULL";
  for (const Column& c : kColumns) absl::StrAppend(&sql, ", ", c.name, " ", c.type);
  absl::StrAppend(&sql,
                  ", PRIMARY KEY (project, trace_id, span_id));\n"
                  "CREATE INDEX spans_by_start ON spans (project, start_ns);\n"
                  "CREATE INDEX spans_by_session ON spans (project, session_id, start_ns);\n"
                  "CREATE INDEX spans_by_user ON spans (project, user_id, start_ns);\n");
  return sql;
}
std::string InsertSql() {
  std::vector<std::string> names = {"project", "trace_id"};
  for (const Column& c : kColumns) names.push_back(c.name);
  std::vector<std::string> params(names.size(), "?");
  return absl::StrCat("INSERT OR REPLACE INTO spans (", absl::StrJoin(names, ", "), ") VALUES (",
                      absl::StrJoin(params, ", "), ")");
}

using Row = std::vector<Value>;  // kColumns' values, in order
using Batch = std::vector<Row>;  // one request's spans

// One request of each of ingest_load's templates, decoded and normalized as POST /v1/traces does.
absl::StatusOr<std::vector<Batch>> DecodeTemplates(int spans_per_batch) {
  absl::StatusOr<std::shared_ptr<const cost::PriceCatalog>> catalog = cost::PriceCatalog::Builtin();
  if (!catalog.ok()) return catalog.status();
  cost::FixedPriceSource prices(*std::move(catalog));
  // No redaction: the server's default classes (secrets, cards) find nothing in the bench's text.
  normalize::BatchNormalizer normalizer(prices);
  ingest::OtlpProtoDecoder decoder;
  std::vector<Batch> out;
  for (int i = 0; i < kTemplates; ++i) {
    AgentBatchTemplate request(WireFormat::kProtobuf, spans_per_batch, 1000 + i);
    std::string trace_id;
    absl::StatusOr<model::SpanBatch> spans = decoder.Decode(request.Next(&trace_id), ingest::DecodeLimits{});
    if (!spans.ok()) return spans.status();
    normalize::NormalizedBatch normalized = normalizer.Normalize(*std::move(spans), kProject);
    if (normalized.rejected_spans != 0) return absl::InternalError(normalized.rejection_message);
    Batch& batch = out.emplace_back();
    for (const model::Observation& o : normalized.observations) {
      Row& row = batch.emplace_back();
      for (const Column& c : kColumns) row.push_back(c.value(o));
    }
  }
  return out;
}

absl::Status SqliteStatus(int code, sqlite3* db, const std::string& what) {
  if (code == SQLITE_OK || code == SQLITE_DONE) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": ", db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code)));
}

// Binds `value` as parameter `index` without copying: it must outlive the statement's next step.
// Binding fails only on a bad index or type, a bug here, which the INSERT's step then reports.
void Bind(sqlite3_stmt* stmt, int index, const Value& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) {
    sqlite3_bind_int64(stmt, index, *i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    sqlite3_bind_double(stmt, index, *d);
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    sqlite3_bind_text(stmt, index, s->data(), static_cast<int>(s->size()), SQLITE_STATIC);
  } else {
    sqlite3_bind_null(stmt, index);
  }
}

struct RunResult {
  int64_t rows = 0;
  double elapsed_s = 0;
};

// Inserts requests from `batches` in turn into a new database at `path` for options.duration_s.
absl::StatusOr<RunResult> InsertFor(const std::string& path, const std::vector<Batch>& batches,
                                    const Options& options) {
  sqlite3* raw_db = nullptr;
  int rc = sqlite3_open(path.c_str(), &raw_db);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw_db, &sqlite3_close);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db.get(), "open");
  auto exec = [&](const std::string& sql) {
    return SqliteStatus(sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, nullptr), db.get(), sql);
  };
  absl::Status status = exec(absl::StrCat("PRAGMA journal_mode=WAL; PRAGMA synchronous=", options.synchronous, ";\n",
                                          CreateSchemaSql()));
  if (!status.ok()) return status;
  sqlite3_stmt* raw_insert = nullptr;
  rc = sqlite3_prepare_v2(db.get(), InsertSql().c_str(), -1, &raw_insert, nullptr);
  // Declared after `db`, so finalized before it is closed.
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> insert(raw_insert, &sqlite3_finalize);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db.get(), "prepare");

  std::mt19937_64 rng(1);
  RunResult result;
  int64_t requests = 0;
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(options.duration_s));
  while (Clock::now() < end) {
    if (status = exec("BEGIN"); !status.ok()) return status;
    for (int b = 0; b < options.batches_per_commit; ++b, ++requests) {
      const std::string trace_id = absl::StrFormat("%016x%016x", rng(), rng());
      for (const Row& row : batches[requests % batches.size()]) {
        sqlite3_bind_text(insert.get(), 1, kProject, -1, SQLITE_STATIC);
        sqlite3_bind_text(insert.get(), 2, trace_id.data(), static_cast<int>(trace_id.size()), SQLITE_STATIC);
        for (size_t i = 0; i < row.size(); ++i) Bind(insert.get(), static_cast<int>(i) + 3, row[i]);
        rc = sqlite3_step(insert.get());
        sqlite3_reset(insert.get());
        if (status = SqliteStatus(rc, db.get(), "insert"); !status.ok()) return status;
      }
      result.rows += static_cast<int64_t>(batches[requests % batches.size()].size());
    }
    if (status = exec("COMMIT"); !status.ok()) return status;
  }
  result.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  return result;  // closing checkpoints the WAL into the database file
}

int Main(int argc, char** argv) {
  Options options;
  CLI::App app{"naive SQLite schema ingest baseline"};
  app.add_option("--spans-per-batch", options.spans_per_batch, "spans per request")->capture_default_str();
  app.add_option("--batches-per-commit", options.batches_per_commit, "requests per transaction")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--duration-s", options.duration_s, "how long each run inserts")->capture_default_str();
  app.add_option("--synchronous", options.synchronous, "SQLite's synchronous setting")
      ->check(CLI::IsMember({"full", "normal"}))
      ->capture_default_str();
  app.add_option("--runs", options.runs, "runs, each on a fresh database")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--dir", options.dir, "where the databases are written")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each run's line as soon as it is known

  absl::StatusOr<std::vector<Batch>> batches = DecodeTemplates(options.spans_per_batch);
  if (!batches.ok()) {
    std::fprintf(stderr, "decoding the requests failed: %s\n", batches.status().ToString().c_str());
    return 1;
  }
  std::printf("sqlite=%s spans_per_batch=%d batches_per_commit=%d synchronous=%s duration_s=%.1f dir=%s\n",
              sqlite3_libversion(), options.spans_per_batch, options.batches_per_commit, options.synchronous.c_str(),
              options.duration_s, options.dir.c_str());
  std::vector<double> rates;
  for (int run = 1; run <= options.runs; ++run) {
    const std::string path = (std::filesystem::path(options.dir) /
                              absl::StrFormat("trackly-sqlite-baseline-%d-%d.db", ::getpid(), run)).string();
    absl::StatusOr<RunResult> result = InsertFor(path, *batches, options);
    std::error_code ignored;
    const double db_bytes = static_cast<double>(std::filesystem::file_size(path, ignored));
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ignored);
    if (!result.ok()) {
      std::fprintf(stderr, "run %d failed: %s\n", run, result.status().ToString().c_str());
      return 1;
    }
    const double rows = static_cast<double>(result->rows);
    rates.push_back(rows / result->elapsed_s);
    std::printf("run=%d rows=%lld rows_per_s=%.0f us_per_row=%.2f db_bytes_per_row=%.0f\n", run,
                static_cast<long long>(result->rows), rates.back(), result->elapsed_s * 1e6 / rows, db_bytes / rows);
  }
  std::sort(rates.begin(), rates.end());
  const size_t mid = rates.size() / 2;
  const double median = rates.size() % 2 == 1 ? rates[mid] : (rates[mid - 1] + rates[mid]) / 2;
  std::printf("median rows_per_s=%.0f [%.0f–%.0f]\n", median, rates.front(), rates.back());
  return 0;
}

}  // namespace
}  // namespace trackly::bench

int main(int argc, char** argv) { return trackly::bench::Main(argc, argv); }
