#include "ingest/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace trackly::ingest {
namespace {

using ::testing::HasSubstr;

TEST(DecoderRegistryTest, FindsOtlpDecodersByContentType) {
  DecoderRegistry registry;
  RegisterDecoders(registry);
  const std::tuple<std::string_view, std::string_view, WireEncoding> cases[] = {
      {"application/x-protobuf", "otlp-proto", WireEncoding::kProtobuf},
      {"application/protobuf", "otlp-proto", WireEncoding::kProtobuf},
      {"Application/X-Protobuf; charset=utf-8", "otlp-proto", WireEncoding::kProtobuf},
      {"application/json", "otlp-json", WireEncoding::kJson},
      {"application/json; charset=utf-8", "otlp-json", WireEncoding::kJson},
      {" APPLICATION/JSON ;charset=UTF-8", "otlp-json", WireEncoding::kJson},
  };
  for (const auto& [content_type, decoder, encoding] : cases) {
    absl::StatusOr<DecoderRoute> route = registry.Find(IngestProtocol::kOtlpTraces, content_type);
    ASSERT_TRUE(route.ok()) << content_type << ": " << route.status();
    EXPECT_EQ(route->decoder->name(), decoder) << content_type;
    EXPECT_EQ(route->response_encoding, encoding) << content_type;
  }
}

TEST(DecoderRegistryTest, UnsupportedContentTypeIsFlaggedForA415) {
  DecoderRegistry registry;
  RegisterDecoders(registry);
  absl::StatusOr<DecoderRoute> route =
      registry.Find(IngestProtocol::kOtlpTraces, "text/plain; charset=utf-8");
  EXPECT_EQ(route.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsUnsupportedMediaType(route.status()));
  EXPECT_THAT(route.status().message(), HasSubstr("\"text/plain\""));
  EXPECT_THAT(route.status().message(), HasSubstr("application/json"));

  absl::StatusOr<DecoderRoute> missing = registry.Find(IngestProtocol::kOtlpTraces, "");
  EXPECT_TRUE(IsUnsupportedMediaType(missing.status()));
  EXPECT_THAT(missing.status().message(), HasSubstr("missing Content-Type"));
}

TEST(MediaTypeTest, PlainInvalidArgumentIsNotUnsupportedMediaType) {
  EXPECT_FALSE(IsUnsupportedMediaType(absl::InvalidArgumentError("bad")));
  EXPECT_EQ(ContentTypeOf(WireEncoding::kJson), "application/json");
  EXPECT_EQ(ContentTypeOf(WireEncoding::kProtobuf), "application/x-protobuf");
}

}  // namespace
}  // namespace trackly::ingest
