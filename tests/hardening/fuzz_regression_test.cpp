// Replays the fuzzers' seed corpora and every input a fuzzer ever crashed on
// (tests/fuzz/regressions/<target>/, one file per crash, named after the bug) through the same
// target bodies, in the ordinary build: each must end normally or with a cmh::InputError.
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

void replay(const std::string& target, void (*one)(const uint8_t*, size_t)) {
  size_t seeds = 0;
  for (const char* kind : {"corpus", "regressions"}) {
    for (const auto& p : inputs(kind, target)) {
      const std::string bytes = cmh::test::read_file(p.string());
      INFO(p.string());
      CHECK_NOTHROW(one(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
      seeds += std::string(kind) == "corpus";
    }
  }
  CHECK(seeds > 0);  // the committed seed corpus is there
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
