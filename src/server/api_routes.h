// Every endpoint of the server, in one place (DESIGN.md "Endpoints", docs/api.md).
#pragma once

#include "query/query_service.h"
#include "server/otlp_ingest_handler.h"
#include "server/router.h"
#include "store/store.h"

namespace trackly::server {

// Adds every route to `router`. The handlers borrow the arguments, which must outlive it.
void AddApiRoutes(Router& router, const OtlpIngestHandler& otlp, query::QueryService& queries,
                  store::Store& store);

}  // namespace trackly::server
