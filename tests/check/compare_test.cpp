// `cmhbench compare A B`: the difference of seed means with Welch's 95% interval, a change beyond
// noise named as such, JSON that says the same, and bad input refused.
#include <catch2/catch.hpp>

#include <cmath>

#include "check_fixtures.h"
#include "plots/compare.h"
#include "common/json_value.h"

using namespace cmh::test;

TEST_CASE("compare: Student's t quantiles", "[compare]") {
  CHECK(cmh::plots::t_quantile_975(1) == Approx(12.706));
  CHECK(cmh::plots::t_quantile_975(4.7) == Approx(2.776));  // rounded down: the wider interval
  CHECK(cmh::plots::t_quantile_975(30) == Approx(2.042));
  CHECK(cmh::plots::t_quantile_975(60) == Approx(2.000).margin(0.002));
  CHECK(cmh::plots::t_quantile_975(1e6) == Approx(1.96).margin(0.001));
}

TEST_CASE("compare: a shift beyond the seed noise is named, an unchanged method is not", "[compare]") {
  SeedsFixture s;
  // B = A with SePH-rnd's i2t mAP raised by 0.2 on every seed: far beyond its seed spread.
  const std::string b = s.dir / "after.sqlite";
  std::filesystem::copy_file(s.a, b);
  sql(b, "UPDATE metrics SET value = value + 0.2 WHERE direction = 'i2t' AND name = 'map' AND run_id IN "
         "(SELECT id FROM runs WHERE method = 'seph-rnd')");
  const auto md = run_command(kExe + " compare " + s.a + " " + b);
  INFO(md.output);
  REQUIRE(md.exit_code == 0);
  CHECK(md.output.find("| method | dataset | bits | dir | metric | A | B | B − A | ± 95% | verdict |") != std::string::npos);
  CHECK(md.output.find("| seph-rnd | tiny (synthetic) | 16 | i2t | map |") != std::string::npos);
  CHECK(md.output.find("**beyond noise: better in B**") != std::string::npos);
  CHECK(md.output.find("1 of ") != std::string::npos);

  const auto js = run_command(kExe + " compare " + s.a + " " + b + " --json");
  REQUIRE(js.exit_code == 0);
  const auto doc = cmh::JsonValue::parse(js.output);
  int beyond = 0;
  for (const auto& row : doc["rows"].items()) {
    CHECK(row["n_a"].num() == 3);
    CHECK(row["n_b"].num() == 3);
    if (row["beyond_noise"].boolean()) {
      ++beyond;
      CHECK(row["method"].str() == "seph-rnd");
      CHECK(row["direction"].str() == "i2t");
      CHECK(row["metric"].str() == "map");
      CHECK(row["diff"].num() == Approx(0.2).margin(1e-9));
      // Welch's half-width from the two sides' SDs over 3 seeds each (equal here: t at df = 4).
      const double sd = row["sd_a"].num();
      CHECK(row["sd_b"].num() == Approx(sd).margin(1e-12));
      CHECK(row["half_width_95"].num() == Approx(2.776 * std::sqrt(2 * sd * sd / 3)).epsilon(1e-6));
    }
    if (row["method"].str() == "cca") CHECK(row["verdict"].str() == "identical");
  }
  CHECK(beyond == 1);
}

TEST_CASE("compare: one seed gives no interval, groups on one side are listed, bad input is refused", "[compare]") {
  SeedsFixture s;
  const std::string b = s.dir / "one-seed.sqlite";
  std::filesystem::copy_file(s.b, b);
  sql(b, "PRAGMA foreign_keys = ON; DELETE FROM runs WHERE seed > 1; DELETE FROM runs WHERE method = 'cca'");
  const auto js = run_command(kExe + " compare " + s.a + " " + b + " --json --metric map");
  INFO(js.output);
  REQUIRE(js.exit_code == 0);
  const auto doc = cmh::JsonValue::parse(js.output);
  REQUIRE(!doc["rows"].items().empty());
  for (const auto& row : doc["rows"].items()) {
    CHECK(row["metric"].str() == "map");
    CHECK(row["n_b"].num() == 1);
    CHECK(row["half_width_95"].is_null());
    CHECK(row["verdict"].str().find("one seed") != std::string::npos);
  }
  REQUIRE(doc["only_a"].items().size() == 1);
  CHECK(doc["only_a"].items()[0].str().find("cca") == 0);

  auto r = run_command(kExe + " compare " + s.a);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("exactly two databases") != std::string::npos);
  r = run_command(kExe + " compare " + s.a + " " + (s.dir / "absent.sqlite"));
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("absent.sqlite") != std::string::npos);
  r = run_command(kExe + " compare " + s.a + " " + s.b + " --experiment nothing");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("holds no finished runs of experiment nothing") != std::string::npos);
}
