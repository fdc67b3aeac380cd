// Helpers for the datasets tests: paths of the real data and a visible skip when it is absent.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "skip.h"

namespace cmh::test {

inline std::string shared_data(const std::string& relative) {
  return (std::filesystem::path(CMH_SHARED_DATA_DIR) / relative).string();
}

inline std::string shared_reference(const std::string& relative) {
  return (std::filesystem::path(CMH_SHARED_REFERENCE_DIR) / relative).string();
}

inline std::string shipped_declaration(const std::string& name) {
  return (std::filesystem::path(CMH_DATASETS_DIR) / name).string();
}

}  // namespace cmh::test

/// Skips the current test visibly when a real-data file is absent (a user's machine has no
/// ../shared/data; CI has): such a test never passes silently.
#define CMH_SKIP_UNLESS_EXISTS(path)                                                                       \
  do {                                                                                                     \
    if (!std::filesystem::exists(path))                                                                    \
      CMH_SKIP((path) << " is absent (real data lives in ../shared beside the project); this test did not run"); \
  } while (0)
