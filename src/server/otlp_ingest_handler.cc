#include "server/otlp_ingest_handler.h"

#include <boost/beast/http/field.hpp>

#include "base/log.h"
#include "ingest/decompress.h"
#include "ingest/otlp/otlp_response.h"
#include "server/http_status.h"

namespace trackly::server {
namespace {

// An error reply as OTLP clients expect it: google.rpc.Status in `encoding`, with the HTTP
// status and headers of server/http_status.h.
HttpResponse OtlpErrorResponse(const absl::Status& status, ingest::WireEncoding encoding) {
  HttpError error = HttpErrorOf(status);
  std::string_view message = ClientMessageOf(status);
  absl::Status shown(status.code(), absl::string_view(message.data(), message.size()));
  HttpResponse response = BodyResponse(error.status, ingest::ContentTypeOf(encoding),
                                       ingest::EncodeErrorStatus(shown, encoding));
  AddErrorHeaders(status, response);
  return response;
}

HttpResponse ExportResponse(int64_t rejected_spans, std::string_view message,
                            ingest::WireEncoding encoding) {
  return BodyResponse(http::status::ok, ingest::ContentTypeOf(encoding),
                      ingest::EncodeExportResponse(rejected_spans, message, encoding));
}

}  // namespace

absl::StatusOr<OtlpIngestHandler::Decoded> OtlpIngestHandler::Decode(
    RequestContext& context, const ingest::Decoder& decoder) const {
  HttpRequest& request = context.request;
  // The raw body moves into Decompress: an uncompressed body is passed through without a copy,
  // a compressed one is freed once inflated.
  std::string_view content_encoding = HeaderValue(request, http::field::content_encoding);
  absl::StatusOr<std::string> body =
      ingest::Decompress(std::move(request.body()), content_encoding, max_body_bytes_);
  if (!body.ok()) return body.status();
  absl::StatusOr<model::SpanBatch> batch = decoder.Decode(*body, limits_);
  if (!batch.ok()) return batch.status();

  normalize::NormalizedBatch normalized = normalizer_.Normalize(*std::move(batch), context.project);
  Decoded out;
  out.write.project = std::move(context.project);
  out.write.observations = std::move(normalized.observations);
  out.rejected_spans = normalized.rejected_spans;
  out.rejection_message = std::move(normalized.rejection_message);
  return out;
}

void OtlpIngestHandler::Handle(RequestContext context, Responder respond) const {
  absl::StatusOr<ingest::DecoderRoute> route =
      decoders_.Find(ingest::IngestProtocol::kOtlpTraces,
                     HeaderValue(context.request, http::field::content_type));
  if (!route.ok()) return respond(OtlpErrorResponse(route.status(), ingest::WireEncoding::kJson));
  const ingest::WireEncoding encoding = route->response_encoding;

  // Body, decoded body and raw spans are all freed before the batch waits in the store's queue.
  absl::StatusOr<Decoded> decoded = Decode(context, *route->decoder);
  if (!decoded.ok()) return respond(OtlpErrorResponse(decoded.status(), encoding));
  if (decoded->write.observations.empty()) {
    return respond(
        ExportResponse(decoded->rejected_spans, decoded->rejection_message, encoding));
  }
  store_.Write(std::move(decoded->write),
               [respond = std::move(respond), rejected = decoded->rejected_spans,
                message = std::move(decoded->rejection_message), encoding](absl::Status status) {
                 if (!status.ok()) {
                   if (status.code() != absl::StatusCode::kUnavailable) {
                     LogWarn("storing an OTLP batch failed: ", status.ToString());
                   }
                   return respond(OtlpErrorResponse(status, encoding));
                 }
                 respond(ExportResponse(rejected, message, encoding));
               });
}

}  // namespace trackly::server
