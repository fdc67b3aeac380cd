// `cmhbench check`: a real run checked against its own reference passes; a metric lowered on
// purpose fails naming the group, metric, reference, measured value and delta; every branch of
// the decision (pass, improved, regressed, at the band's edge, skip, missing, not done, running,
// no metric, NaN); --update from several databases measures bands; older files still read.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "check_fixtures.h"

using namespace cmh::test;

namespace {

// CCA at two code lengths on a tiny synthetic set: a real database in about two seconds.
const std::string kTinyExperiment = std::string("name = \"tiny\"\nbits = [8, 16]\nseeds = [1]\nthreads = 1\n") +
                                    kTinyDataset + "[[methods]]\nname = \"cca\"\n";

// A fresh real database and its reference, made by `check --update` from that one run.
struct Fixture {
  TempDir dir;
  std::string db = dir / "r.sqlite", ref = dir / "ref.csv";
  Fixture() {
    write_file(dir / "e.toml", kTinyExperiment);
    run_ok(kExe + " run " + (dir / "e.toml") + " --db " + db);
    run_ok(kExe + " check " + db + " --against " + ref + " --update");
  }
  ProcessResult check(const std::string& extra = "") const {
    return run_command(kExe + " check " + db + " --against " + ref + " " + extra);
  }
  // The 16-bit cell's key and its stored i2t mAP.
  std::pair<std::string, double> cell16() const {
    for (const auto& r : cmh::plots::read_reference(ref))
      if (r.bits == 16 && r.direction == "i2t" && r.metric == "map") return {r.cell_keys[0], r.mean};
    FAIL("no 16-bit i2t map row in the reference");
    return {};
  }
  // Rewrites the reference with `edit` applied to the 16-bit i2t map row.
  template <class Edit>
  void edit_row16(Edit edit) const {
    auto rows = cmh::plots::read_reference(ref);
    for (auto& r : rows)
      if (r.bits == 16 && r.direction == "i2t" && r.metric == "map") edit(r);
    write_file(ref, cmh::plots::reference_csv(rows));
  }
  void lower16(double by) const {
    sql(db, "UPDATE metrics SET value = value - " + std::to_string(by) +
                " WHERE direction = 'i2t' AND name = 'map' AND run_id = " + run_of(cell16().first));
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
    REQUIRE(r.cell_keys.size() == 1);
    CHECK(r.cell_keys[0].size() == 16);
    CHECK(r.seeds == std::vector<int64_t>{1});
    CHECK(r.metric != "queries_without_relevant");
    CHECK(r.metric.rfind("map_at_k_reference", 0) == std::string::npos);
    // One run of one seed measures no spread: the fallback band, and the file says so.
    CHECK(!r.noise);
    CHECK(r.band == 0.005);
    CHECK(r.why.find("no spread measured") != std::string::npos);
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
  f.lower16(0.02);
  const auto r = f.check();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("check: FAILED") != std::string::npos);
  CHECK(r.output.find("1 regressed") != std::string::npos);
  // One sentence names the group (label, dataset, bits, seed, key), the metric, both values and the delta.
  char expect[256];
  std::snprintf(expect, sizeof expect, "measured %.4f < reference %.4f", value - 0.02, value);
  const size_t line = r.output.find("REGRESSION: cca · tiny (synthetic) · 16 bits · seed 1 [key " + key + "], i2t map:");
  REQUIRE(line != std::string::npos);
  const std::string sentence = r.output.substr(line, r.output.find('\n', line) - line);
  CHECK(sentence.find(expect) != std::string::npos);
  CHECK(sentence.find("(delta -0.0200") != std::string::npos);
  CHECK(sentence.find("band 0.0050") != std::string::npos);
  // The other values still pass; --brief lists only the failure.
  const auto brief = f.check("--brief");
  CHECK(brief.exit_code == 1);
  CHECK(brief.output.find("pass ") == std::string::npos);
  CHECK(brief.output.find("REGRESSED") != std::string::npos);
  // A row's own band decides, not --tolerance (which is for rows without one).
  CHECK(f.check("--tolerance 0.03").exit_code == 1);
  f.edit_row16([](cmh::plots::ReferenceRow& row) { row.band = 0.03; });
  CHECK(f.check().exit_code == 0);
}

TEST_CASE("check decides at the band's edge: a drop of exactly the band passes, a little more fails", "[check]") {
  Fixture f;
  f.edit_row16([](cmh::plots::ReferenceRow& row) { row.band = 0.01; });
  f.lower16(0.01);
  auto r = f.check();
  INFO(r.output);
  CHECK(r.exit_code == 0);
  f.lower16(0.0001);
  r = f.check();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("1 regressed") != std::string::npos);
}

TEST_CASE("an improvement beyond the band is reported but passes", "[check]") {
  Fixture f;
  const auto [key, value] = f.cell16();
  sql(f.db, "UPDATE metrics SET value = value + 0.02 WHERE direction = 't2i' AND name = 'map' AND run_id = " +
                run_of(key));
  const auto r = f.check();
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("IMPROVED") != std::string::npos);
  CHECK(r.output.find("improvement: cca · tiny (synthetic) · 16 bits · seed 1 [key " + key + "], t2i map:") !=
        std::string::npos);
  CHECK(r.output.find("1 improved") != std::string::npos);
  CHECK(r.output.find("check: OK") != std::string::npos);
}

TEST_CASE("a row marked skip is shown but never fails", "[check]") {
  Fixture f;
  f.edit_row16([](cmh::plots::ReferenceRow& row) {
    row.checked = false;
    row.why = "not checked: too unstable";
  });
  f.lower16(0.5);
  const auto r = f.check();
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("1 not checked") != std::string::npos);
  CHECK(r.output.find("skip ") != std::string::npos);
}

TEST_CASE("a NaN, a missing metric, a missing, failed or running cell fails the check", "[check]") {
  Fixture f;
  const auto [key, value] = f.cell16();
  SECTION("NaN (the store keeps it as NULL)") {
    sql(f.db, "UPDATE metrics SET value = NULL WHERE direction = 'i2t' AND name = 'map' AND run_id = " + run_of(key));
    const auto r = f.check();
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("NAN: cca · tiny (synthetic) · 16 bits · seed 1 [key " + key + "], i2t map") != std::string::npos);
    CHECK(r.output.find("as NaN") != std::string::npos);
    // --update refuses to write a NaN into the reference, and leaves the file as it was.
    const std::string before = cmh::test::read_file(f.ref);
    const auto u = f.check("--update");
    INFO(u.output);
    CHECK(u.exit_code == 2);
    CHECK(u.output.find("as NaN; refusing") != std::string::npos);
    CHECK(cmh::test::read_file(f.ref) == before);
  }
  SECTION("a metric the run did not store") {
    sql(f.db, "DELETE FROM metrics WHERE direction = 'i2t' AND name = 'map' AND run_id = " + run_of(key));
    const auto r = f.check();
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("NO METRIC: cca · tiny (synthetic) · 16 bits · seed 1 [key " + key + "], i2t map") !=
          std::string::npos);
  }
  SECTION("a cell with another key (its description changed)") {
    sql(f.db, "UPDATE runs SET cell_key = '00000000deadbeef' WHERE cell_key = '" + key + "'");
    const auto r = f.check();
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("MISSING: cca · tiny (synthetic) · 16 bits, seed 1 [key " + key + "]") != std::string::npos);
    CHECK(r.output.find("(24 reference values)") != std::string::npos);
    CHECK(r.output.find("a run of the same description has key 00000000deadbeef") != std::string::npos);
    // The new key is visible as a cell the reference does not know.
    CHECK(r.output.find("not in the reference") != std::string::npos);
  }
  SECTION("a cell absent from the database") {
    sql(f.db, "PRAGMA foreign_keys = ON; DELETE FROM runs WHERE cell_key = '" + key + "'");
    const auto r = f.check();
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("no run with this cell key") != std::string::npos);
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
  SECTION("a cell still running") {
    sql(f.db, "UPDATE runs SET status = 'running' WHERE cell_key = '" + key + "'");
    const auto r = f.check();
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("the cell is still running") != std::string::npos);
  }
}

TEST_CASE("check --only checks the named groups alone", "[check]") {
  Fixture f;
  f.lower16(0.02);
  CHECK(f.check("--only bits=8").exit_code == 0);
  CHECK(f.check("--only bits=16").exit_code == 1);
  CHECK(f.check("--only method=cca,bits=8,bits=16").exit_code == 1);
  auto r = f.check("--only seed=1");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("no seed key") != std::string::npos);
  r = f.check("--only method=dcmh");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("no row of") != std::string::npos);
}

TEST_CASE("a reference in the older one-row-per-cell format still checks", "[check]") {
  Fixture f;
  const auto [key, value] = f.cell16();
  std::string old = "experiment,cell_key,method,dataset,bits,seed,direction,metric,value,tolerance\n";
  char row[256];
  std::snprintf(row, sizeof row, "tiny,%s,cca,tiny (synthetic),16,1,i2t,map,%.17g,\n", key.c_str(), value);
  old += row;
  std::snprintf(row, sizeof row, "tiny,%s,cca,tiny (synthetic),16,1,t2i,map,%.17g,0.5\n", key.c_str(), 0.0);
  old += row;
  write_file(f.dir / "old.csv", old);
  auto rows = cmh::plots::read_reference(f.dir / "old.csv");
  REQUIRE(rows.size() == 2);
  CHECK(!rows[0].band);  // --tolerance
  CHECK(rows[1].band == 0.5);
  auto r = run_command(kExe + " check " + f.db + " --against " + (f.dir / "old.csv"));
  INFO(r.output);
  CHECK(r.exit_code == 0);  // the t2i row: improved by far more than its 0.5, which passes
  CHECK(r.output.find("1 improved") != std::string::npos);
  f.lower16(0.01);
  CHECK(run_command(kExe + " check " + f.db + " --against " + (f.dir / "old.csv")).exit_code == 1);
  CHECK(run_command(kExe + " check " + f.db + " --against " + (f.dir / "old.csv") + " --tolerance 0.02").exit_code == 0);
}

TEST_CASE("check --update rewrites the reference and shows the difference", "[check]") {
  Fixture f;
  const auto [key, value] = f.cell16();
  f.lower16(0.02);
  CHECK(f.check().exit_code == 1);
  const auto u = f.check("--update");
  INFO(u.output);
  CHECK(u.exit_code == 0);
  CHECK(u.output.find("~ cca · tiny (synthetic) · 16 bits · seed 1 [key " + key + "] i2t map") != std::string::npos);
  CHECK(u.output.find("(-0.0200)") != std::string::npos);
  CHECK(u.output.find("0 added, 0 removed, 1 changed") != std::string::npos);
  for (const auto& r : cmh::plots::read_reference(f.ref))
    if (r.cell_keys[0] == key && r.direction == "i2t" && r.metric == "map") CHECK(r.mean == Approx(value - 0.02).margin(1e-12));
  CHECK(f.check().exit_code == 0);
}

TEST_CASE("check --update keeps only the latest run of a cell description", "[check]") {
  Fixture f;
  const std::string old_key = f.cell16().first;
  // The same label, data, bits and seed with another parameter: a new key beside the old run.
  write_file(f.dir / "e2.toml", kTinyExperiment + "[methods.params]\nreg = 0.5\n");
  run_ok(kExe + " run " + (f.dir / "e2.toml") + " --db " + f.db);
  const auto u = f.check("--update");
  INFO(u.output);
  CHECK(u.exit_code == 0);
  CHECK(u.output.find("superseded by a later run") != std::string::npos);
  std::set<std::string> keys;
  for (const auto& r : cmh::plots::read_reference(f.ref)) keys.insert(r.cell_keys[0]);
  CHECK(keys.size() == 2);  // the two new cells only
  CHECK(keys.count(old_key) == 0);
  CHECK(f.check().exit_code == 0);
}

TEST_CASE("check --update from several databases measures a band per group and metric", "[check]") {
  SeedsFixture s;
  const auto u = run_command(kExe + " check " + s.a + " " + s.b + " --against " + s.ref + " --update");
  INFO(u.output);
  REQUIRE(u.exit_code == 0);
  CHECK(u.output.find("from 2 database(s)") != std::string::npos);
  const std::string text = cmh::test::read_file(s.ref);
  // The file names the rule and every run it measured, with its float order.
  CHECK(text.find("Bands: 6 × noise") != std::string::npos);
  CHECK(text.find("run 1: " + s.a + ": threads 1, cpu capability ") != std::string::npos);
  CHECK(text.find("run 2: " + s.b + ": threads 2, cpu capability ") != std::string::npos);
  bool seph_has_noise = false;
  for (const auto& r : cmh::plots::read_reference(s.ref)) {
    CHECK(r.runs == 2);
    CHECK(r.seeds == std::vector<int64_t>{1, 2, 3});
    CHECK(r.cell_keys.size() == 3);
    REQUIRE(r.noise);
    REQUIRE(r.band);
    if (r.method == "cca") {
      // Exact: the same value for every seed and both thread counts, so the band is the floor.
      CHECK(*r.noise < 1e-9);
      CHECK(*r.band == 0.002);
      CHECK(r.checked);
      CHECK(r.why.find("floor") != std::string::npos);
    }
    if (r.method == "seph-rnd" && r.direction == "i2t" && r.metric == "map") {
      // Random anchors: the seeds differ, and the band is 6 noise × √(1 + 1/2) unless floored.
      seph_has_noise = *r.noise > 1e-4;
      CHECK(*r.band == Approx(std::max(0.002, 6 * *r.noise * std::sqrt(1.5))));
    }
  }
  CHECK(seph_has_noise);
  for (const auto& db : {s.a, s.b}) {
    const auto r = run_command(kExe + " check " + db + " --against " + s.ref);
    INFO(r.output);
    CHECK(r.exit_code == 0);
  }
  // One seed lowered: the group's mean over its three seeds moves by a third of it.
  sql(s.a, "UPDATE metrics SET value = value - 0.03 WHERE direction = 'i2t' AND name = 'map' AND run_id = " +
               run_of(s.key("cca", 2)));
  const auto r = run_command(kExe + " check " + s.a + " --against " + s.ref);
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("REGRESSION: cca · tiny (synthetic) · 16 bits · seeds 1–3, i2t map: mean over 3 seeds") !=
        std::string::npos);
  CHECK(r.output.find("(delta -0.0100") != std::string::npos);
}

TEST_CASE("check --update refuses databases that ran another grid", "[check]") {
  SeedsFixture s;
  sql(s.b, "PRAGMA foreign_keys = ON; DELETE FROM runs WHERE method = 'cca' AND seed = 3");
  auto u = run_command(kExe + " check " + s.a + " " + s.b + " --against " + s.ref + " --update");
  INFO(u.output);
  CHECK(u.exit_code == 2);
  CHECK(u.output.find("seed 3 is done in '" + s.a + "' but not in '" + s.b + "'") != std::string::npos);
  CHECK(!std::filesystem::exists(s.ref));
  sql(s.b, "UPDATE runs SET cell_key = 'feedfacefeedface' WHERE method = 'cca' AND seed = 2");
  u = run_command(kExe + " check " + s.b + " " + s.a + " --against " + s.ref + " --update");
  INFO(u.output);
  CHECK(u.exit_code == 2);
  CHECK(u.output.find("has key feedfacefeedface") != std::string::npos);
  // Checking takes one database.
  u = run_command(kExe + " check " + s.a + " " + s.b + " --against " + s.ref);
  CHECK(u.exit_code == 2);
  CHECK(u.output.find("give one database") != std::string::npos);
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

  const std::string text = cmh::test::read_file(f.ref);
  const std::string good_row = text.substr(text.rfind('\n', text.size() - 2) + 1);
  auto with_row = [&](const std::string& name, const std::string& row) {
    write_file(f.dir / name, text + row);
    return run_command(kExe + " check " + f.db + " --against " + (f.dir / name));
  };
  r = with_row("bad.csv", "tiny,cca,tiny,16,i2t,mapx,1,abc,1,not-a-number,,0.01,check,\n");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("bad.csv' line") != std::string::npos);
  CHECK(r.output.find("mean 'not-a-number' is not a number") != std::string::npos);
  r = with_row("rule.csv", "tiny,cca,tiny,16,i2t,mapx,1,abc,1,0.5,,0.01,maybe,\n");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("rule 'maybe' is not valid") != std::string::npos);
  r = with_row("keys.csv", "tiny,cca,tiny,16,i2t,mapx,1 2,abc,1,0.5,,0.01,check,\n");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("one key per seed") != std::string::npos);
  r = with_row("dup.csv", good_row);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("keep one") != std::string::npos);

  write_file(f.dir / "bad2.csv", "experiment,method\ntiny,cca\n");
  r = run_command(kExe + " check " + f.db + " --against " + (f.dir / "bad2.csv"));
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("no column 'dataset'") != std::string::npos);

  // --update against a database without the reference's experiment writes nothing.
  r = run_command(kExe + " check " + f.db + " --against " + f.ref + " --update --experiment other");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("no finished runs of experiment(s) other") != std::string::npos);
  CHECK(cmh::test::read_file(f.ref) == text);
  r = run_command(kExe + " check " + f.db + " --against " + f.ref + " --update --sigmas 0");
  CHECK(r.exit_code == 2);
  CHECK(cmh::test::read_file(f.ref) == text);
}
