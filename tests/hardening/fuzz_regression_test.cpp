// Replays the fuzzers' seed corpora and every input a fuzzer ever crashed on
// (tests/fuzz/regressions/<target>/, one file per crash, named after the bug) through the same
// target bodies, in the ordinary build: nothing may escape but a cmh::InputError, and every
// regression input must be refused with one.
#include <catch2/catch.hpp>
#include <filesystem>

#include "hardening_util.h"
#include "targets.h"

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> inputs(const std::string& kind, const std::string& target) {
  std::vector<fs::path> out;
  const fs::path dir = fs::path(CMH_FUZZ_DIR) / kind / target;
  if (fs::is_directory(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file() && e.path().filename() != "README.md") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

using cmh::fuzz::Outcome;

// The seed corpus may hold valid and invalid inputs, but must reach the accepting path at least
// once (else the target tests only its refusals); every regression input was malformed and must
// now be refused with an InputError: a crash fixed by accepting the input would be a new bug.
void replay(const std::string& target, Outcome (*one)(const uint8_t*, size_t)) {
  size_t seeds = 0, accepted_seeds = 0, regressions = 0;
  for (const char* kind : {"corpus", "regressions"}) {
    for (const auto& p : inputs(kind, target)) {
      const std::string bytes = cmh::test::read_file(p.string());
      INFO(p.string());
      Outcome outcome = Outcome::kAccepted;
      CHECK_NOTHROW(outcome = one(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
      if (std::string(kind) == "corpus") {
        ++seeds;
        accepted_seeds += outcome == Outcome::kAccepted;
      } else {
        ++regressions;
        CHECK(outcome == Outcome::kRefused);
      }
    }
  }
  CHECK(seeds > 0);  // the committed seed corpus is there
  CHECK(accepted_seeds > 0);
  INFO(regressions << " regression inputs");
}

}  // namespace

TEST_CASE("fuzz corpus and regressions: experiment parser", "[hardening][fuzz]") {
  replay("experiment", cmh::fuzz::experiment_one);
}

TEST_CASE("fuzz corpus and regressions: dataset declaration parser", "[hardening][fuzz]") {
  replay("declaration", cmh::fuzz::declaration_one);
}

TEST_CASE("fuzz corpus and regressions: .mat loading", "[hardening][fuzz]") {
  replay("mat", cmh::fuzz::mat_one);
}
