// The web UI's files over HTTP: GET of any path that no API route takes. Built files are served
// with their content type (hashed assets under "assets/" cached for a year, index.html
// revalidated); any other path outside "assets/" gets index.html, so the UI's client-side routes
// ("/traces/abc") can be opened directly; paths under the API prefixes stay JSON 404s.
// Every answer carries kUiContentSecurityPolicy. docs/ui.md.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "server/router.h"

namespace trackly::server {

// The only CSP the UI needs: its own scripts, styles and API, nothing inline, no framing.
inline constexpr char kUiContentSecurityPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

// Reads one UI file by its relative path ("index.html", "assets/index-3f2a9c.js"); NotFound when
// there is none. Called from any thread.
using UiFileReader = std::function<absl::StatusOr<std::string>(std::string_view relative_path)>;

// The UI built into the binary: (relative path, bytes), sorted by path. Defined by the source
// that web/CMakeLists.txt generates.
std::span<const std::pair<std::string_view, std::string_view>> EmbeddedUiFiles();

// A reader over `files` (which must outlive it), e.g. EmbeddedUiFiles().
UiFileReader EmbeddedUiReader(std::span<const std::pair<std::string_view, std::string_view>> files);

// A reader over the directory `dir` (the ui_dir option), read on every request so a rebuilt UI
// shows on reload. NotFound for a missing file; InvalidArgument when `dir` has no index.html.
absl::StatusOr<UiFileReader> DirectoryUiReader(std::string dir);

// The handler for Router::SetFallback(GET, ...).
Handler StaticFilesHandler(UiFileReader reader);

// "text/html; charset=utf-8" for "index.html", "text/javascript; charset=utf-8" for ".js", …;
// "application/octet-stream" for an unknown extension.
std::string_view ContentTypeOf(std::string_view path);

}  // namespace trackly::server
