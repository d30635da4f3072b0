// Minimal leveled logging to stderr. Never log request bodies or secrets.
#pragma once

#include <string_view>

#include "absl/strings/str_cat.h"

namespace trackly {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Thread-safe. Messages below the level are dropped. Default: kInfo.
void SetLogLevel(LogLevel level);
// Parses "debug", "info", "warn", "error"; returns false for anything else.
bool ParseLogLevel(std::string_view text, LogLevel* level);
// Thread-safe; writes one line "2026-11-22T03:04:05.123Z INFO message" to stderr.
void LogLine(LogLevel level, std::string_view message);

template <typename... Args>
void LogInfo(const Args&... args) { LogLine(LogLevel::kInfo, absl::StrCat(args...)); }
template <typename... Args>
void LogWarn(const Args&... args) { LogLine(LogLevel::kWarn, absl::StrCat(args...)); }
template <typename... Args>
void LogError(const Args&... args) { LogLine(LogLevel::kError, absl::StrCat(args...)); }
template <typename... Args>
void LogDebug(const Args&... args) { LogLine(LogLevel::kDebug, absl::StrCat(args...)); }

}  // namespace trackly
