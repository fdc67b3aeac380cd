// A test whose real data are absent ends as "Skipped" in ctest, with its reason, never as a pass.
#pragma once

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <sstream>

/// Skips the current test with a reason (a stream expression). Under ctest, which runs each test
/// case alone with CMH_SKIP_EXIT set and reads exit status 77 as skipped (SKIP_RETURN_CODE, see
/// tests/CMakeLists.txt), it prints the reason and ends the process; run by hand, the executable
/// warns and goes on with its other tests.
#define CMH_SKIP(reason)                                                  \
  do {                                                                    \
    std::ostringstream cmh_skip_reason_;                                  \
    cmh_skip_reason_ << reason;                                           \
    if (std::getenv("CMH_SKIP_EXIT")) {                                   \
      std::printf("SKIPPED: %s\n", cmh_skip_reason_.str().c_str());       \
      std::fflush(stdout);                                                \
      std::_Exit(77);                                                     \
    }                                                                     \
    WARN("SKIPPED: " << cmh_skip_reason_.str());                          \
    return;                                                               \
  } while (0)
