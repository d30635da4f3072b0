// The reads the ClickHouse store's writer and its read methods share, over one database. Every
// read collapses the rows of a key to the newest version (rows.h), so it is correct whether or
// not ClickHouse has merged the parts yet.
//
// Reads by key put the key condition in PREWHERE: 18.16 does not move conditions on primary-key
// columns there itself, and then decompresses every selected column of each granule the index
// could not rule out (payloads, trace input and output) before finding the key absent. A lookup
// of one missing trace read 2.8 MB that way, 0.15 MB with PREWHERE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "model/observation.h"
#include "model/observation_fragment.h"
#include "store/clickhouse/http_client.h"
#include "store/clickhouse/schema.h"

namespace trackly::store::clickhouse {

// Thread-safe (as HttpClient). Borrows the client, which must outlive it.
class Database {
 public:
  Database(HttpClient& client, std::string name, const ServerInfo& server);

  // Runs a query that ends in FORMAT RowBinary; returns its rows.
  absl::StatusOr<std::string> Select(std::string_view sql) const;
  // Runs `insert_sql` (…FORMAT RowBinary) with `rows` as its data.
  absl::Status Insert(std::string_view insert_sql, std::string_view rows) const;
  // Runs a statement that returns nothing (INSERT … SELECT), with the settings of Insert (an
  // INSERT … SELECT may write to any number of partitions).
  absl::Status Execute(std::string_view sql) const;
  // Runs ALTER TABLE `table` `commands` (DELETE WHERE …, DROP PARTITION …): on a cluster, on the
  // table's local tables on every shard (schema.h), as a Distributed table takes no such command.
  absl::Status Alter(std::string_view table, std::string_view commands) const;
  // The table whose rows are those of system.`name` (mutations, …) on every shard: on one server
  // system.`name` itself.
  std::string SystemTable(std::string_view name) const;
  const std::string& name() const { return name_; }

 private:
  HttpClient& client_;
  const std::string name_;
  const std::string cluster_;
  const QuerySettings select_settings_;
  const QuerySettings insert_settings_;
};

// Keeps each IN (…) list, and so the query text, well under ClickHouse's max_query_size (256 KiB).
inline constexpr size_t kMaxIdsPerQuery = 1000;
// Calls `fn` with consecutive chunks of at most kMaxIdsPerQuery of `ids`; stops at its first error.
absl::Status ForEachChunk(const std::vector<std::string>& ids,
                          const std::function<absl::Status(const std::vector<std::string>&)>& fn);

// `ids` as a SQL list of quoted literals: ('a', 'b'). `ids` must not be empty.
std::string InList(const std::vector<std::string>& ids);

using ObservationsByTrace = std::map<std::string, std::vector<model::Observation>>;
using TracesById = std::map<std::string, model::Trace>;
using TracesBySession = std::map<std::string, std::vector<model::Trace>>;

// How much of each observation to read.
enum class ObservationDetail {
  kFull,
  // The root's payload, and SummaryOf (rows.h) of the others with their trace_payload: what
  // model::SummarizeTrace reads.
  kSummaryInputs,
};

// Every stored observation of each of `trace_ids` in `project`, decoded, by trace id, in no
// particular order; a trace with none is absent.
absl::StatusOr<ObservationsByTrace> ReadObservationsOfTraces(const Database& db, std::string_view project,
                                                             const std::vector<std::string>& trace_ids,
                                                             ObservationDetail detail);

// The rows of one trace in `observations`: how many (every stored version of every observation,
// until merges fold them) and their lowest and highest version.
struct TraceRowVersions {
  uint64_t rows = 0;
  uint64_t min_version = 0;
  uint64_t max_version = 0;
};

// The TraceRowVersions of each of `trace_ids` in `project` that has stored observations, by trace
// id. Reads the key and version columns only, never a summary or payload.
absl::StatusOr<std::map<std::string, TraceRowVersions>> ReadTraceRowVersions(
    const Database& db, std::string_view project, const std::vector<std::string>& trace_ids);

// The latest summary of each of `trace_ids` that has one, by trace id.
absl::StatusOr<TracesById> ReadTraces(const Database& db, std::string_view project,
                                      const std::vector<std::string>& trace_ids);

// A trace a list's first step chose for its page: the trace and the version of its newest
// summary row at that moment.
struct ChosenTrace {
  std::string trace_id;
  uint64_t version = 0;
};

// The summary rows `chosen` names, exactly those (not a newer row of the trace written since),
// in the order of `chosen`. A row that is gone (a newer row of its trace was written and a merge
// folded the two) is missing from the answer, which is then shorter than `chosen`.
absl::StatusOr<std::vector<model::Trace>> ReadChosenTraces(const Database& db, std::string_view project,
                                                           const std::vector<ChosenTrace>& chosen);

// The two steps of a trace list (ClickHouseStore::ListTraces). `choose` picks the page (at most
// limit + 1 traces, in page order) from a few narrow columns; ReadChosenTraces then reads those
// rows in full. The answer is the page as `choose` saw it: writes that land between the steps
// show up in the next list, as if they had landed after it, so a cursor taken from the page and
// the page's "one more" row are exact. When a chosen row is gone by the second step, the steps
// run again (kTracePageAttempts in all), then `one_step` (one query, slower, never torn)
// answers. `between_steps`, when set, runs between the steps of every attempt (tests land writes
// there).
inline constexpr int kTracePageAttempts = 3;
absl::StatusOr<std::vector<model::Trace>> ReadTracePage(
    const Database& db, std::string_view project,
    const std::function<absl::StatusOr<std::vector<ChosenTrace>>()>& choose,
    const std::function<absl::StatusOr<std::vector<model::Trace>>()>& one_step,
    const std::function<void()>& between_steps = nullptr);

// A subquery, `SELECT trace_id FROM session_traces …`, of the traces of `project` that some
// summary row put in one of `sessions` (an InList), its latest or an older one: the candidates of
// a read of sessions' traces, found in their sessions' key ranges of session_traces
// (schema/008_session_traces.sql) rather than by the session_id of every trace of the project. A
// condition on the latest summary's session_id keeps those still in the sessions.
std::string TracesOfSessionsSql(std::string_view project, std::string_view sessions);

// The latest summaries of the traces whose latest summary names one of `session_ids`, by session
// id, each list ordered by (start, id); a session without traces is absent. Reads the summary
// rows of TracesOfSessionsSql's candidates only. Without `with_text` the traces have no metadata,
// input or output (model::SummarizeSession reads none of them), which ClickHouse then does not
// read.
absl::StatusOr<TracesBySession> ReadTracesOfSessions(const Database& db, std::string_view project,
                                                     const std::vector<std::string>& session_ids,
                                                     bool with_text = true);

// The first String column of every row of `sql` (a SELECT without FORMAT); `what` names the read
// in errors.
absl::StatusOr<std::vector<std::string>> ReadStrings(const Database& db, std::string_view sql, std::string_view what);
// The number `sql` (a SELECT of one count, without FORMAT) answers.
absl::StatusOr<int64_t> ReadCount(const Database& db, std::string_view sql);

// Waits until no mutation (ALTER … DELETE / UPDATE) of the database is running. Polled: 18.16 has
// no way to wait for a mutation (mutations_sync arrived in 19.x). DeadlineExceeded, saying the
// `what` ("erasure", "expiry") is still being applied, after `timeout` (the mutations go on).
absl::Status WaitForMutations(const Database& db, absl::Duration timeout, std::string_view what);

// Every stored fragment of `observation_id` in `project` (the first stored of each event id).
absl::StatusOr<std::vector<model::ObservationFragment>> ReadFragments(const Database& db, std::string_view project,
                                                                      std::string_view observation_id);

using FragmentsById = std::map<std::string, std::vector<model::ObservationFragment>>;
// ReadFragments of each of `observation_ids` (an id without fragments is absent), in one query
// per kMaxIdsPerQuery ids.
absl::StatusOr<FragmentsById> ReadFragmentsOf(const Database& db, std::string_view project,
                                              const std::vector<std::string>& observation_ids);

}  // namespace trackly::store::clickhouse
