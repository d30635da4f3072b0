#include "ingest/langsmith/multipart_reader.h"

#include <string>

#include "gtest/gtest.h"

namespace trackly::ingest::langsmith {
namespace {

// A body the way the langsmith JS client writes it.
std::string Part(const std::string& name, const std::string& data) {
  return "--B\r\nContent-Disposition: form-data; name=\"" + name +
         "\"\r\nContent-Type: application/json; length=" + std::to_string(data.size()) +
         "\r\n\r\n" + data + "\r\n";
}

TEST(MultipartBoundaryTest, TakesTheBoundaryParameter) {
  EXPECT_EQ(*MultipartBoundary("multipart/form-data; boundary=----LangSmithFormBoundaryx1"),
            "----LangSmithFormBoundaryx1");
  EXPECT_EQ(*MultipartBoundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\""), "a b");
}

TEST(MultipartBoundaryTest, RejectsOtherTypesAndMissingBoundary) {
  for (const char* content_type :
       {"application/json", "multipart/form-data", "multipart/form-data; boundary=",
        "multipart/mixed; boundary=x"}) {
    absl::StatusOr<std::string_view> boundary = MultipartBoundary(content_type);
    EXPECT_EQ(boundary.status().code(), absl::StatusCode::kInvalidArgument) << content_type;
  }
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=" + std::string(71, 'x')).ok());
}

TEST(ParseMultipartFormDataTest, SplitsPartsWithNamesTypesAndBodies) {
  const std::string body = Part("post.r1", "{\"id\":\"r1\"}") + Part("post.r1.inputs", "{\"q\":\"a\\r\\n\"}") +
                           "--B--\r\n";
  absl::StatusOr<std::vector<FormPart>> parts = ParseMultipartFormData(body, "B");
  ASSERT_TRUE(parts.ok()) << parts.status();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "post.r1");
  EXPECT_EQ((*parts)[0].content_type, "application/json; length=11");
  EXPECT_EQ((*parts)[0].body, "{\"id\":\"r1\"}");
  EXPECT_EQ((*parts)[1].name, "post.r1.inputs");
  EXPECT_EQ((*parts)[1].body, "{\"q\":\"a\\r\\n\"}");
}

TEST(ParseMultipartFormDataTest, KeepsBinaryBodiesThatContainCrlfAndDashes) {
  // "--B" not at a line start is data; so are CRLF and NUL.
  const std::string data = std::string("a\r\nx--B\r\n\0z", 11);
  const std::string body = Part("attachment.r1.img", data) + "--B--";
  absl::StatusOr<std::vector<FormPart>> parts = ParseMultipartFormData(body, "B");
  ASSERT_TRUE(parts.ok()) << parts.status();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].body, data);
}

TEST(ParseMultipartFormDataTest, IgnoresPreambleAndEpilogue) {
  const std::string body = "preamble text\r\n" + Part("a", "1") + "--B--\r\nepilogue";
  absl::StatusOr<std::vector<FormPart>> parts = ParseMultipartFormData(body, "B");
  ASSERT_TRUE(parts.ok()) << parts.status();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].body, "1");
}

TEST(ParseMultipartFormDataTest, AcceptsAnEmptyForm) {
  absl::StatusOr<std::vector<FormPart>> parts = ParseMultipartFormData("--B--\r\n", "B");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_TRUE(parts->empty());
}

TEST(ParseMultipartFormDataTest, RejectsMalformedBodies) {
  struct Case {
    const char* what;
    std::string body;
    const char* message;
  };
  const Case cases[] = {
      {"no boundary at all", "hello", "does not contain its boundary"},
      {"no closing delimiter", "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1",
       "no closing boundary"},
      {"headers never end", "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n", "blank line"},
      {"part without a name", "--B\r\nContent-Type: text/plain\r\n\r\n1\r\n--B--", "no Content-Disposition"},
      {"part without headers", "--B\r\n\r\n1\r\n--B--", "no Content-Disposition"},
      {"header line without colon", "--B\r\nbogus\r\n\r\n1\r\n--B--", "without ':'"},
      {"per-part encoding",
       "--B\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Encoding: gzip\r\n\r\n1\r\n--B--",
       "per-part Content-Encoding"},
      {"garbage after the boundary", "--Bxyz\r\n", "no line break after the boundary"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<FormPart>> parts = ParseMultipartFormData(c.body, "B");
    ASSERT_FALSE(parts.ok()) << c.what;
    EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_NE(parts.status().message().find(c.message), std::string::npos)
        << c.what << ": " << parts.status();
  }
}

TEST(ParseMultipartFormDataTest, RejectsMorePartsThanTheLimit) {
  const std::string body = Part("a", "1") + Part("b", "2") + Part("c", "3") + "--B--";
  absl::StatusOr<std::vector<FormPart>> parts =
      ParseMultipartFormData(body, "B", MultipartLimits{.max_parts = 2});
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(ParseMultipartFormDataTest, RejectsHeaderBlocksOverTheLimit) {
  const std::string body = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: " +
                           std::string(100, 'x') + "\r\n\r\n1\r\n--B--";
  absl::StatusOr<std::vector<FormPart>> parts =
      ParseMultipartFormData(body, "B", MultipartLimits{.max_part_header_bytes = 64});
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trackly::ingest::langsmith
