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

/// A file named in an experiment: an absolute path as it is, a relative one from `base_dir` (the
/// experiment file's folder, as for its declarations), or as written when base_dir is empty.
inline std::string resolve_from(const std::string& path, const std::string& base_dir) {
  if (path.empty() || base_dir.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

/// " (reason)" for a message, or nothing.
inline std::string reason_suffix(const std::string& why) { return why.empty() ? "" : " (" + why + ")"; }

}  // namespace cmh
