// POST /api/public/ingestion: Langfuse batch ingestion (shared/reference/wire-formats.md §6a,
// docs/integrations.md "Langfuse"). Content-Encoding is undone under the body cap (413 beyond
// it); a body that is not JSON or has no `batch` array is a 400 {"message","errors"}; otherwise
// each event is decoded (ingest::langfuse::LangfuseBatchDecoder) and normalized on its own
// (normalize::BatchNormalizer::NormalizeFragments: usage checks, chat content), the good events'
// fragments and scores (score-create) are written to the caller's project in one store write,
// with cost computed on the fragments' merge (BatchNormalizer::MergedPricer), and once that is
// durable the reply is 207 with one success or error per event. A store that is full gets 503 + Retry-After and nothing is acknowledged.
// Every reply has a JSON body: the legacy client parses it even on errors.
#pragma once

#include <cstdint>

#include "ingest/decoder.h"
#include "ingest/langfuse/langfuse_batch_decoder.h"
#include "normalize/batch_normalizer.h"
#include "server/router.h"
#include "store/store.h"

namespace trackly::server {

// Thread-safe; borrows everything it is given.
class LangfuseIngestHandler {
 public:
  LangfuseIngestHandler(const normalize::BatchNormalizer& normalizer, store::Store& store,
                        const ingest::DecodeLimits& limits, int64_t max_body_bytes)
      : normalizer_(normalizer), store_(store), limits_(limits), max_body_bytes_(max_body_bytes) {}

  // Decodes and normalizes on the calling (I/O) thread; `respond` is called from the store's
  // callback (or at once when there is nothing to store).
  void Handle(RequestContext context, Responder respond) const;

 private:
  const ingest::langfuse::LangfuseBatchDecoder decoder_{};
  const normalize::BatchNormalizer& normalizer_;
  store::Store& store_;
  const ingest::DecodeLimits limits_;
  const int64_t max_body_bytes_;
};

}  // namespace trackly::server
