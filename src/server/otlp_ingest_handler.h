// POST /v1/traces (and aliases): OTLP/HTTP ingestion (shared/reference/wire-formats.md §1).
// Content-Type picks the decoder (415 if none), Content-Encoding is undone under the body cap
// (413 beyond it), the spans are decoded (400 with the decoder's message), normalized and priced
// (normalize::BatchNormalizer; spans with invalid usage are rejected in partial_success) and written
// to the caller's project. The reply is sent only once the store has made the batch durable:
// 200 with ExportTraceServiceResponse (partial_success counting rejected spans) in the request's
// encoding, or 503 + Retry-After when the store is full. Error bodies are google.rpc.Status in the
// request's encoding (JSON when the encoding is unknown).
#pragma once

#include <cstdint>

#include "ingest/decoder.h"
#include "ingest/registry.h"
#include "normalize/batch_normalizer.h"
#include "server/router.h"
#include "store/store.h"

namespace trackly::server {

// Thread-safe; borrows everything it is given.
class OtlpIngestHandler {
 public:
  OtlpIngestHandler(const ingest::DecoderRegistry& decoders,
                    const normalize::BatchNormalizer& normalizer, store::Store& store,
                    const ingest::DecodeLimits& limits, int64_t max_body_bytes)
      : decoders_(decoders),
        normalizer_(normalizer),
        store_(store),
        limits_(limits),
        max_body_bytes_(max_body_bytes) {}

  // Decodes and normalizes on the calling (I/O) thread, then returns; `respond` is called from
  // the store's callback.
  void Handle(RequestContext context, Responder respond) const;

 private:
  // A request decoded and normalized: what to store and what to report as rejected.
  struct Decoded {
    store::WriteBatch write;
    int64_t rejected_spans = 0;
    std::string rejection_message;
  };
  absl::StatusOr<Decoded> Decode(RequestContext& context, const ingest::Decoder& decoder) const;

  const ingest::DecoderRegistry& decoders_;
  const normalize::BatchNormalizer& normalizer_;
  store::Store& store_;
  const ingest::DecodeLimits limits_;
  const int64_t max_body_bytes_;
};

}  // namespace trackly::server
