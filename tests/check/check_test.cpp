// `cmhbench check`: a real run checked against its own reference passes; a metric lowered on
// purpose fails naming the cell, metric, reference, measured value and delta; a missing or
// failed cell fails; an improvement is reported but passes; --update rewrites the reference.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "plots/check.h"
#include "harness/harness_test_util.h"
#include "test_util.h"

namespace fs = std::filesystem;
using cmh::test::run_command;

namespace {

const std::string kExe = CMHBENCH_EXE;

// CCA at two code lengths on a tiny synthetic set: a real database in about two seconds.
const std::string kTinyExperiment = std::string("name = \"tiny\"\nbits = [8, 16]\nseeds = [1]\nthreads = 1\n") +
                                    cmh::test::kTinyDataset + "[[methods]]\nname = \"cca\"\n";

void sql(const std::string& db, const std::string& statement) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(h, statement.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(h);
  REQUIRE(rc == SQLITE_OK);
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh real database and its reference, made by `check --update`.
struct Fixture {
  cmh::test::TempDir dir;
  std::string db = dir / "r.sqlite", ref = dir / "ref.csv";
  Fixture() {
    write_text(dir / "e.toml", kTinyExperiment);
    auto r = run_command(kExe + " run " + (dir / "e.toml") + " --db " + db);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    r = run_command(kExe + " check " + db + " --against " + ref + " --update");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
  }
  cmh::test::ProcessResult check(const std::string& extra = "") const {
    return run_command(kExe + " check " + db + " --against " + ref + " " + extra);
  }
  // The 16-bit cell's key and its stored i2t mAP.
  std::pair<std::string, double> cell16() const {
    for (const auto& r : cmh::plots::read_reference(ref))
      if (r.bits == 16 && r.direction == "i2t" && r.metric == "map") return {r.cell_key, r.value};
    FAIL("no 16-bit i2t map row in the reference");
    return {};
  }
};

}  // namespace

TEST_CASE("check --update writes a reference that the same database passes", "[check]") {
  Fixture f;
  const auto rows = cmh::plots::read_reference(f.ref);
  // 2 cells × 4 directions × (map, map@R for each R of the default grid, p@r2); counts and the
  // reference-code variant are left out.
  CHECK(rows.size() >= 2 * 4 * 3);
  for (const auto& r : rows) {
    CHECK(r.experiment == "tiny");
    CHECK(r.method == "cca");
    CHECK(r.cell_key.size() == 16);
    CHECK(r.metric != "queries_without_relevant");
    CHECK(r.metric.rfind("map_at_k_reference", 0) == std::string::npos);
  }
  const auto r = f.check();
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("check: OK") != std::string::npos);
  CHECK(r.output.find("0 regressed") != std::string::npos);
}

TEST_CASE("a metric lowered on purpose fails the check with a readable message", "[check]") {
  Fixture f;
  const auto [key, value] = f.cell16();
  sql(f.db, "UPDATE metrics SET value = value - 0.02 WHERE direction = 'i2t' AND name = 'map' AND run_id = "
            "(SELECT id FROM runs WHERE cell_key = '" + key + "')");
  const auto r = f.check();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("check: FAILED") != std::string::npos);
  CHECK(r.output.find("1 regressed") != std::string::npos);
  // One sentence names the cell (label, dataset, bits, seed, key), the metric, both values and the delta.
  char expect[256];
  std::snprintf(expect, sizeof expect, "measured %.4f < reference %.4f", value - 0.02, value);
  const size_t line = r.output.find("REGRESSION: cca · tiny (synthetic) · 16 bits · seed 1 [key " + key + "], i2t map");
  REQUIRE(line != std::string::npos);
  const std::string sentence = r.output.substr(line, r.output.find('\n', line) - line);
  CHECK(sentence.find(expect) != std::string::npos);
  CHECK(sentence.find("(delta -0.0200)") != std::string::npos);
  CHECK(sentence.find("tolerance 0.0050") != std::string::npos);
  // The other values still pass; --brief lists only the failure.
  const auto brief = f.check("--brief");
  CHECK(brief.exit_code == 1);
  CHECK(brief.output.find("pass ") == std::string::npos);
  CHECK(brief.output.find("REGRESSED") != std::string::npos);
  // A wider tolerance accepts the change.
  CHECK(f.check("--tolerance 0.03").exit_code == 0);
}

TEST_CASE("a per-row tolerance in the reference overrides --tolerance", "[check]") {
  Fixture f;
  const auto [key, value] = f.cell16();
  auto rows = cmh::plots::read_reference(f.ref);
  for (auto& r : rows)
    if (r.cell_key == key && r.direction == "i2t" && r.metric == "map") r.tolerance = 0.05;
  write_text(f.ref, cmh::plots::reference_csv(rows));
  sql(f.db, "UPDATE metrics SET value = value - 0.02 WHERE direction = 'i2t' AND name = 'map'");
  const auto r = f.check();
  INFO(r.output);
  // The 16-bit row allows 0.05; the 8-bit row keeps the default and fails.
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("REGRESSION: cca · tiny (synthetic) · 8 bits") != std::string::npos);
  CHECK(r.output.find("REGRESSION: cca · tiny (synthetic) · 16 bits") == std::string::npos);
}

TEST_CASE("an improvement beyond the tolerance is reported but passes", "[check]") {
  Fixture f;
  const auto [key, value] = f.cell16();
  sql(f.db, "UPDATE metrics SET value = value + 0.02 WHERE direction = 't2i' AND name = 'map' AND run_id = "
            "(SELECT id FROM runs WHERE cell_key = '" + key + "')");
  const auto r = f.check();
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("IMPROVED") != std::string::npos);
  CHECK(r.output.find("improvement: cca · tiny (synthetic) · 16 bits · seed 1 [key " + key + "], t2i map") != std::string::npos);
  CHECK(r.output.find("1 improved") != std::string::npos);
  CHECK(r.output.find("check: OK") != std::string::npos);
}

TEST_CASE("a missing or failed cell fails the check", "[check]") {
  Fixture f;
  const auto [key, value] = f.cell16();
  SECTION("a cell with another key (its description changed)") {
    sql(f.db, "UPDATE runs SET cell_key = '00000000deadbeef' WHERE cell_key = '" + key + "'");
    const auto r = f.check();
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("MISSING: cca · tiny (synthetic) · 16 bits · seed 1 [key " + key + "] (24 reference values)") !=
          std::string::npos);
    CHECK(r.output.find("a run of the same description has key 00000000deadbeef") != std::string::npos);
    // The new key is visible as a cell the reference does not know.
    CHECK(r.output.find("not in the reference") != std::string::npos);
  }
  SECTION("a cell absent from the database") {
    sql(f.db, "PRAGMA foreign_keys = ON; DELETE FROM runs WHERE cell_key = '" + key + "'");
    const auto r = f.check();
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("no run with cell key " + key) != std::string::npos);
    CHECK(r.output.find("check: FAILED") != std::string::npos);
  }
  SECTION("a failed cell") {
    sql(f.db, "UPDATE runs SET status = 'failed', error = 'NaN loss at epoch 3' WHERE cell_key = '" + key + "'");
    const auto r = f.check();
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("NOT DONE") != std::string::npos);
    CHECK(r.output.find("the cell failed: NaN loss at epoch 3") != std::string::npos);
  }
}

TEST_CASE("check --update rewrites the reference and shows the difference", "[check]") {
  Fixture f;
  const auto [key, value] = f.cell16();
  // Keep a per-row tolerance: it must survive the rewrite.
  auto rows = cmh::plots::read_reference(f.ref);
  for (auto& r : rows)
    if (r.cell_key == key && r.direction == "t2t" && r.metric == "map") r.tolerance = 0.01;
  write_text(f.ref, cmh::plots::reference_csv(rows));
  sql(f.db, "UPDATE metrics SET value = value - 0.02 WHERE direction = 'i2t' AND name = 'map' AND run_id = "
            "(SELECT id FROM runs WHERE cell_key = '" + key + "')");
  CHECK(f.check().exit_code == 1);
  const auto u = f.check("--update");
  INFO(u.output);
  CHECK(u.exit_code == 0);
  CHECK(u.output.find("~ cca · tiny (synthetic) · 16 bits · seed 1 [key " + key + "] i2t map") != std::string::npos);
  CHECK(u.output.find("(-0.0200)") != std::string::npos);
  CHECK(u.output.find("0 added, 0 removed, 1 changed") != std::string::npos);
  const auto after = cmh::plots::read_reference(f.ref);
  CHECK(after.size() == rows.size());
  for (const auto& r : after) {
    if (r.cell_key == key && r.direction == "i2t" && r.metric == "map") CHECK(r.value == Approx(value - 0.02).margin(1e-12));
    if (r.cell_key == key && r.direction == "t2t" && r.metric == "map") CHECK(r.tolerance == 0.01);
  }
  CHECK(f.check().exit_code == 0);
}

TEST_CASE("check --update keeps only the latest run of a cell description", "[check]") {
  Fixture f;
  const std::string old_key = f.cell16().first;
  // The same label, data, bits and seed with another parameter: a new key beside the old run.
  std::string text = kTinyExperiment;
  text += "[methods.params]\nreg = 0.5\n";
  write_text(f.dir / "e2.toml", text);
  const auto run = run_command(kExe + " run " + (f.dir / "e2.toml") + " --db " + f.db);
  REQUIRE(run.exit_code == 0);
  const auto u = f.check("--update");
  INFO(u.output);
  CHECK(u.exit_code == 0);
  CHECK(u.output.find("superseded by a later run") != std::string::npos);
  const auto rows = cmh::plots::read_reference(f.ref);
  std::set<std::string> keys;
  for (const auto& r : rows) keys.insert(r.cell_key);
  CHECK(keys.size() == 2);  // the two new cells only
  CHECK(keys.count(old_key) == 0);
  CHECK(f.check().exit_code == 0);
}

TEST_CASE("check refuses bad input with exit status 2 and a message naming it", "[check]") {
  Fixture f;
  auto r = run_command(kExe + " check " + (f.dir / "none.sqlite") + " --against " + f.ref);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("none.sqlite") != std::string::npos);

  r = run_command(kExe + " check " + f.db + " --against " + (f.dir / "absent.csv"));
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("absent.csv' does not exist") != std::string::npos);
  CHECK(r.output.find("--update") != std::string::npos);

  std::string text = slurp(f.ref);
  text += "tiny,abc,cca,tiny,16,1,i2t,map,not-a-number,\n";
  write_text(f.dir / "bad.csv", text);
  r = run_command(kExe + " check " + f.db + " --against " + (f.dir / "bad.csv"));
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("bad.csv' line") != std::string::npos);
  CHECK(r.output.find("value 'not-a-number' is not a number") != std::string::npos);

  write_text(f.dir / "bad2.csv", "experiment,method\ntiny,cca\n");
  r = run_command(kExe + " check " + f.db + " --against " + (f.dir / "bad2.csv"));
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("no column 'cell_key'") != std::string::npos);

  // --update against a database without the reference's experiment writes nothing.
  const std::string before = slurp(f.ref);
  r = run_command(kExe + " check " + f.db + " --against " + f.ref + " --update --experiment other");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("no finished runs of experiment(s) other") != std::string::npos);
  CHECK(slurp(f.ref) == before);
}
