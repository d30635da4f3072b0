#include "ingest/otlp/otlp_response.h"

#include <gtest/gtest.h>

#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace trackly::ingest {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;

TEST(OtlpResponseTest, FullSuccessIsAnEmptyMessage) {
  EXPECT_EQ(EncodeExportResponse(0, "", WireEncoding::kJson), "{}");
  EXPECT_EQ(EncodeExportResponse(0, "", WireEncoding::kProtobuf), "");
}

TEST(OtlpResponseTest, PartialSuccessCarriesCountAndMessage) {
  EXPECT_EQ(EncodeExportResponse(2, "span \"x\" bad", WireEncoding::kJson),
            R"({"partialSuccess":{"errorMessage":"span \"x\" bad","rejectedSpans":2}})");
  ExportTraceServiceResponse response;
  ASSERT_TRUE(response.ParseFromString(EncodeExportResponse(2, "bad", WireEncoding::kProtobuf)));
  EXPECT_EQ(response.partial_success().rejected_spans(), 2);
  EXPECT_EQ(response.partial_success().error_message(), "bad");
}

TEST(OtlpResponseTest, WarningOnlyReplyKeepsTheMessage) {
  EXPECT_EQ(EncodeExportResponse(0, "note", WireEncoding::kJson),
            R"({"partialSuccess":{"errorMessage":"note","rejectedSpans":0}})");
}

TEST(OtlpResponseTest, ErrorStatusInBothEncodings) {
  const absl::Status error = absl::InvalidArgumentError("spans[0].name: expected a string");
  EXPECT_EQ(EncodeErrorStatus(error, WireEncoding::kJson),
            R"({"code":3,"message":"spans[0].name: expected a string"})");
  google::rpc::Status status;
  ASSERT_TRUE(status.ParseFromString(EncodeErrorStatus(error, WireEncoding::kProtobuf)));
  EXPECT_EQ(status.code(), 3);
  EXPECT_EQ(status.message(), "spans[0].name: expected a string");
}

}  // namespace
}  // namespace trackly::ingest
