// Existence checks on paths a user wrote, which never throw: std::filesystem's throwing forms
// raise filesystem_error for a name the system refuses (too long, a loop of links), and that
// must become the same clear "does not exist" input error as a missing file, with the reason.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

namespace cmh {

/// True when `path` is an existing regular file. Otherwise false, and `why` (when given) gets the
/// system's reason if it refused the name itself, or stays empty for a plain missing file.
inline bool is_existing_file(const std::string& path, std::string* why = nullptr) {
  std::error_code ec;
  const bool yes = std::filesystem::is_regular_file(path, ec);
  if (why) *why = ec && ec != std::errc::no_such_file_or_directory ? ec.message() : "";
  return yes;
}

/// " (reason)" for a message, or nothing.
inline std::string reason_suffix(const std::string& why) { return why.empty() ? "" : " (" + why + ")"; }

}  // namespace cmh
