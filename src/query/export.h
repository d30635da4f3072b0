// Exports of traces (docs/api.md "Export"): a filtered set of a project's traces with every
// observation, as JSON lines or as OTLP/JSON. Works on any Store (reads only).
//
// - JSON lines: one trace per line, `{"trace", "observations"}`, the shape of
//   GET /api/v1/traces/{id} (without scores).
// - OTLP/JSON: one ExportTraceServiceRequest whose spans carry the canonical fields as the
//   Langfuse OTel and trackly attributes the normalizer reads (type, model, parameters, usage,
//   cost, input, output, prompt, level, session, user, tags, environment, release), plus the
//   span's original attributes, so POSTing the export to /v1/traces of any trackly (or Langfuse)
//   recreates the traces. Ids that are not OTLP ids (32 / 16 hex digits; a UUID loses its dashes)
//   are replaced by a hash of them and kept in `trackly.trace.id` / `trackly.observation.id`.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "model/json.h"
#include "store/store.h"

namespace trackly::query {

enum class ExportFormat { kJsonLines, kOtlpJson };

// "jsonl" or "otlp"; InvalidArgument naming the parameter otherwise.
absl::StatusOr<ExportFormat> ParseExportFormat(std::string_view text);

struct ExportResult {
  ExportFormat format = ExportFormat::kJsonLines;
  std::string body;
  std::string next_cursor;  // the traces after these (TraceQuery cursor); empty when none
  int64_t traces = 0;
  int64_t observations = 0;
};

// Reads the page of traces `query` selects (query.limit of them) with all their observations and
// renders them. A trace deleted between the list and its read is left out.
absl::StatusOr<ExportResult> ExportTraces(store::Store& store, const store::TraceQuery& query, ExportFormat format);

// The resourceSpans entry of one trace (OTLP/JSON), as ExportTraces writes it.
model::Json TraceToOtlpJson(const store::TraceDetail& detail);

}  // namespace trackly::query
