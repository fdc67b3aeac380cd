// The regression gate as CI uses it: the CI grid's cells of one method, run by cmhbench_defects
// with a defect injected into that method (same cell keys), checked by the shipped `cmhbench
// check` against the committed results/reference/ci.csv. Each defect must fail the check, naming
// the group and the metric; the same cells without a defect must pass.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "test_util.h"

namespace {

const std::string kExe = CMHBENCH_EXE;
const std::string kDefects = CMHBENCH_DEFECTS_EXE;
const std::string kSource = CMH_SOURCE_DIR;

struct Gate {
  cmh::test::ProcessResult run, check;
};

// The CI grid's cells of `method` (all code lengths and seeds), run with `defect` ("" for none), at
// one thread: ctest runs two tests at once on two cores, and one thread is a float order the
// reference's bands were measured under too.
Gate run_gate(const std::string& defect, const std::string& method, const cmh::test::TempDir& dir) {
  const std::string db = dir / (method + ".sqlite");
  Gate g;
  g.run = cmh::test::run_command("CMHBENCH_DEFECT=" + defect + " " + kDefects + " run " + kSource +
                                 "/experiments/ci.toml --only method=" + method + " --threads 1 --db " + db);
  g.check = cmh::test::run_command(kExe + " check " + db + " --against " + kSource +
                                   "/results/reference/ci.csv --only method=" + method + " --brief");
  return g;
}

// The largest drop the check reports ("delta -0.1234" in its REGRESSION lines), for the log.
double largest_drop(const std::string& out) {
  double worst = 0;
  for (size_t at = out.find("REGRESSION: "); at != std::string::npos; at = out.find("REGRESSION: ", at + 1)) {
    const size_t d = out.find("(delta ", at);
    if (d == std::string::npos) break;
    worst = std::min(worst, std::stod(out.substr(d + 7)));
  }
  return worst;
}

void expect_caught(const std::string& defect, const std::string& method, const std::string& sentence) {
  cmh::test::TempDir dir;
  const Gate g = run_gate(defect, method, dir);
  INFO(g.run.output.substr(g.run.output.size() > 2000 ? g.run.output.size() - 2000 : 0));
  REQUIRE(g.run.exit_code == 0);
  INFO(g.check.output);
  CHECK(g.check.exit_code == 1);
  CHECK(g.check.output.find("check: FAILED") != std::string::npos);
  // The sentence names the group (label, dataset, bits, seeds) and the metric.
  CHECK(g.check.output.find("REGRESSION: " + sentence) != std::string::npos);
  UNSCOPED_INFO(defect << ": largest drop " << largest_drop(g.check.output));
}

}  // namespace

TEST_CASE("regression gate: the CI grid's cells pass without a defect", "[gate]") {
  cmh::test::TempDir dir;
  for (const std::string method : {"cca", "seph-km", "dcmh"}) {
    const Gate g = run_gate("", method, dir);
    INFO(g.run.output + g.check.output);
    REQUIRE(g.run.exit_code == 0);
    CHECK(g.check.exit_code == 0);
    CHECK(g.check.output.find("check: OK") != std::string::npos);
  }
}

// Each defect below moves a value of the CI grid by at least 2.9 times that value's band (measured
// with results/reference/ci.csv on the machine that wrote it; tests/check/README.md has the table),
// so it is caught wherever the reference holds. The sentence named is the one the check prints.

TEST_CASE("regression gate: MLSPH with a learning rate 10x too small fails the check", "[gate]") {
  expect_caught("mlsph-lr-tenth", "mlsph", "mlsph · ci-synthetic · 32 bits · seeds 1–5, i2i map: ");
}

TEST_CASE("regression gate: MLSPH encoding with BatchNorm in training mode fails the check", "[gate]") {
  expect_caught("mlsph-bn-train-at-encode", "mlsph", "mlsph · ci-synthetic · 32 bits · seeds 1–5, t2t p@r2: ");
}

TEST_CASE("regression gate: SePH-km with another kernel scale fails the check", "[gate]") {
  expect_caught("seph-km-kernel-scale", "seph-km", "seph-km · ci-synthetic · 32 bits · seeds 1–5, t2i map: ");
}

TEST_CASE("regression gate: CCA codes in the wrong item order fail the check", "[gate]") {
  expect_caught("cca-codes-misordered", "cca", "cca · ci-synthetic · 16 bits · seeds 1–5, i2i map@100: ");
}

TEST_CASE("regression gate: DCMH codes in the wrong item order fail the check", "[gate]") {
  expect_caught("dcmh-codes-misordered", "dcmh", "dcmh · ci-synthetic · 32 bits · seeds 1–5, i2i map@100: ");
}
