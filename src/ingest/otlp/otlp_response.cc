#include "ingest/otlp/otlp_response.h"

#include "google/rpc/status.pb.h"
#include "model/json.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace trackly::ingest {

std::string EncodeExportResponse(int64_t rejected_spans, std::string_view error_message,
                                 WireEncoding encoding) {
  const bool partial = rejected_spans != 0 || !error_message.empty();
  if (encoding == WireEncoding::kJson) {
    model::Json body = model::Json::object();
    if (partial) {
      body["partialSuccess"] = {{"rejectedSpans", rejected_spans},
                                {"errorMessage", std::string(error_message)}};
    }
    return model::DumpJson(body);
  }
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
  if (partial) {
    response.mutable_partial_success()->set_rejected_spans(rejected_spans);
    response.mutable_partial_success()->set_error_message(std::string(error_message));
  }
  return response.SerializeAsString();
}

std::string EncodeErrorStatus(const absl::Status& status, WireEncoding encoding) {
  const int code = static_cast<int>(status.code());
  if (encoding == WireEncoding::kJson) {
    return model::DumpJson({{"code", code}, {"message", std::string(status.message())}});
  }
  google::rpc::Status body;
  body.set_code(code);
  body.set_message(std::string(status.message()));
  return body.SerializeAsString();
}

}  // namespace trackly::ingest
