#include "server/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status.h"
#include "server/http_status.h"

namespace trackly::server {
namespace {

constexpr std::string_view kIndex = "index.html";
// Paths that belong to the APIs: an unknown one is an API error, never the UI.
constexpr std::string_view kApiPrefixes[] = {"/api/", "/v1/", "/otel/"};

// A relative file path made only of safe segments, so a request can never name a file outside
// the UI (no "..", no absolute paths, no escapes, no hidden files).
bool IsSafeRelativePath(std::string_view path) {
  if (path.empty()) return false;
  for (absl::string_view segment : absl::StrSplit(Sv(path), '/')) {
    if (segment.empty() || segment.front() == '.') return false;
    for (char c : segment) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.';
      if (!ok) return false;
    }
  }
  return true;
}

HttpResponse FileResponse(std::string_view path, std::string bytes) {
  HttpResponse response = BodyResponse(http::status::ok, ContentTypeOf(path), std::move(bytes));
  // Vite names everything under assets/ by content hash, so it never changes under one name.
  response.set(http::field::cache_control, absl::StartsWith(Sv(path), "assets/")
                                               ? "public, max-age=31536000, immutable"
                                               : "no-cache");
  return response;
}

}  // namespace

std::string_view ContentTypeOf(std::string_view path) {
  static const auto* const kTypes = new absl::flat_hash_map<std::string_view, std::string_view>{
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"ico", "image/x-icon"},
      {"woff2", "font/woff2"},
      {"txt", "text/plain; charset=utf-8"},
  };
  size_t dot = path.rfind('.');
  if (dot == std::string_view::npos || path.find('/', dot) != std::string_view::npos) {
    return "application/octet-stream";
  }
  auto it = kTypes->find(path.substr(dot + 1));
  return it == kTypes->end() ? "application/octet-stream" : it->second;
}

UiFileReader EmbeddedUiReader(std::span<const std::pair<std::string_view, std::string_view>> files) {
  auto index = std::make_shared<absl::flat_hash_map<std::string_view, std::string_view>>(
      files.begin(), files.end());
  return [index](std::string_view path) -> absl::StatusOr<std::string> {
    auto it = index->find(path);
    if (it == index->end()) return absl::NotFoundError(absl::StrCat("no UI file ", Sv(path)));
    return std::string(it->second);
  };
}

absl::StatusOr<UiFileReader> DirectoryUiReader(std::string dir) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(std::filesystem::path(dir) / kIndex, error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("option ui_dir: ", dir, " has no index.html (build the UI with npm run build)"));
  }
  return [dir = std::move(dir)](std::string_view path) -> absl::StatusOr<std::string> {
    std::ifstream in(std::filesystem::path(dir) / path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("no UI file ", Sv(path)));
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return std::move(bytes).str();
  };
}

Handler StaticFilesHandler(UiFileReader reader) {
  return [reader = std::move(reader)](RequestContext context, Responder respond) {
    auto target = context.request.target();
    std::string_view path(target.data(), target.size());
    path = path.substr(0, path.find('?'));
    for (std::string_view prefix : kApiPrefixes) {
      if (absl::StartsWith(Sv(path), Sv(prefix)) || path == prefix.substr(0, prefix.size() - 1)) {
        return respond(ErrorResponse(absl::NotFoundError(
            absl::StrCat("no such endpoint: ", Sv(path.substr(0, 200))))));
      }
    }
    std::string_view relative = path.substr(path.empty() ? 0 : 1);  // origin-form: starts with '/'
    if (relative.empty()) relative = kIndex;
    absl::StatusOr<std::string> bytes = absl::NotFoundError(
        absl::StrCat("no UI file ", Sv(relative.substr(0, 200))));
    if (IsSafeRelativePath(relative)) bytes = reader(relative);
    // Anything that is not a built file is a client-side route ("/traces/abc", "/sessions/a.b"),
    // except under assets/, where a missing file must not turn into HTML.
    if (absl::IsNotFound(bytes.status()) && !absl::StartsWith(Sv(relative), "assets/")) {
      relative = kIndex;
      bytes = reader(relative);
    }
    HttpResponse response = bytes.ok() ? FileResponse(relative, *std::move(bytes))
                                       : ErrorResponse(bytes.status());
    response.set("Content-Security-Policy", kUiContentSecurityPolicy);
    respond(std::move(response));
  };
}

}  // namespace trackly::server
