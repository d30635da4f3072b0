#include "server/static_files.h"

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trackly::server {
namespace {

using ::testing::HasSubstr;

constexpr std::pair<std::string_view, std::string_view> kFiles[] = {
    {"assets/index-abc123.js", "console.log(1)"},
    {"assets/index-abc123.css", "body{}"},
    {"index.html", "<!doctype html><title>ui</title>"},
};

HttpResponse Get(const Handler& handler, std::string_view target) {
  RequestContext context;
  context.request = HttpRequest{http::verb::get, std::string(target), 11};
  HttpResponse out;
  handler(std::move(context), [&](HttpResponse response) { out = std::move(response); });
  return out;
}

std::string Header(const HttpResponse& response, std::string_view name) {
  auto it = response.find(boost::beast::string_view(name.data(), name.size()));
  return it == response.end() ? "" : std::string(it->value());
}

class StaticFilesTest : public testing::Test {
 protected:
  Handler handler_ = StaticFilesHandler(EmbeddedUiReader(kFiles));
};

TEST_F(StaticFilesTest, ServesIndexForRootAndClientRoutes) {
  for (std::string_view target : {"/", "/traces", "/traces/4bf92f35?x=1", "/sessions/a%20b"}) {
    HttpResponse response = Get(handler_, target);
    EXPECT_EQ(response.result(), http::status::ok) << target;
    EXPECT_EQ(response.body(), "<!doctype html><title>ui</title>") << target;
    EXPECT_EQ(Header(response, "Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(Header(response, "Cache-Control"), "no-cache");
    EXPECT_EQ(Header(response, "Content-Security-Policy"), kUiContentSecurityPolicy);
  }
}

TEST_F(StaticFilesTest, ServesHashedAssetsWithTypeAndLongCache) {
  HttpResponse js = Get(handler_, "/assets/index-abc123.js");
  EXPECT_EQ(js.result(), http::status::ok);
  EXPECT_EQ(js.body(), "console.log(1)");
  EXPECT_EQ(Header(js, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(Header(js, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(Header(Get(handler_, "/assets/index-abc123.css"), "Content-Type"),
            "text/css; charset=utf-8");
}

TEST_F(StaticFilesTest, MissingFileIsNotFoundRatherThanIndex) {
  HttpResponse response = Get(handler_, "/assets/gone-123.js");
  EXPECT_EQ(response.result(), http::status::not_found);
  EXPECT_EQ(Header(response, "Content-Security-Policy"), kUiContentSecurityPolicy);
}

TEST_F(StaticFilesTest, ClientRoutesMayContainDotsAndEscapes) {
  HttpResponse response = Get(handler_, "/sessions/%3Cscript%3Ewindow.x%3D2");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(), "<!doctype html><title>ui</title>");
}

TEST(StaticFilesDirTest, NeverServesAFileOutsideTheUi) {
  std::filesystem::path root = std::filesystem::path(testing::TempDir()) / "trackly_ui_escape_test";
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root / "ui" / "assets");
  std::ofstream(root / "ui" / "index.html") << "index";
  std::ofstream(root / "secret.txt") << "secret";
  absl::StatusOr<UiFileReader> reader = DirectoryUiReader((root / "ui").string());
  ASSERT_TRUE(reader.ok()) << reader.status();
  Handler handler = StaticFilesHandler(*reader);
  for (std::string_view target : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
                                  "/.%2e/secret.txt", "//secret.txt", "/assets/..%2f..%2fsecret.txt"}) {
    HttpResponse response = Get(handler, target);
    EXPECT_NE(response.body(), "secret") << target;
    if (response.result() == http::status::ok) {
      EXPECT_EQ(response.body(), "index") << target;
    }
  }
  std::filesystem::remove_all(root);
}

TEST_F(StaticFilesTest, UnknownApiPathsStayJsonErrors) {
  for (std::string_view target : {"/api/v1/nope", "/api", "/v1/metrics", "/otel/v1/logs"}) {
    HttpResponse response = Get(handler_, target);
    EXPECT_EQ(response.result(), http::status::not_found) << target;
    EXPECT_THAT(response.body(), HasSubstr("\"not_found\"")) << target;
  }
}

TEST(ContentTypeOfTest, ByExtension) {
  EXPECT_EQ(ContentTypeOf("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("a/b.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeOf("a.b/c"), "application/octet-stream");
  EXPECT_EQ(ContentTypeOf("x.unknown"), "application/octet-stream");
}

TEST(DirectoryUiReaderTest, ReadsFilesAndRequiresIndex) {
  std::filesystem::path dir = std::filesystem::path(testing::TempDir()) / "trackly_ui_dir_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "assets");
  EXPECT_EQ(DirectoryUiReader(dir.string()).status().code(), absl::StatusCode::kInvalidArgument);
  std::ofstream(dir / "index.html") << "<p>dev</p>";
  std::ofstream(dir / "assets" / "a.js") << "1";
  absl::StatusOr<UiFileReader> reader = DirectoryUiReader(dir.string());
  ASSERT_TRUE(reader.ok()) << reader.status();
  Handler handler = StaticFilesHandler(*reader);
  EXPECT_EQ(Get(handler, "/traces").body(), "<p>dev</p>");
  EXPECT_EQ(Get(handler, "/assets/a.js").body(), "1");
  EXPECT_EQ(Get(handler, "/assets/b.js").result(), http::status::not_found);
  std::filesystem::remove_all(dir);
}

TEST(EmbeddedUiFilesTest, HasTheBuiltIndex) {
  absl::StatusOr<std::string> index = EmbeddedUiReader(EmbeddedUiFiles())("index.html");
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_THAT(*index, HasSubstr("<script type=\"module\""));
  EXPECT_THAT(*index, ::testing::Not(HasSubstr("<script>")));  // nothing inline (CSP)
}

}  // namespace
}  // namespace trackly::server
