// `cmhbench report` on a database the runner wrote (not a crafted one): every number in a table
// and every point in a figure's data file equals what the store holds for its method, length and
// direction, averaged over seeds as the report says (a swapped direction, a curve of the wrong
// cell or a wrong mean would fail here).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "harness/harness_test_util.h"
#include "plots/csv.h"
#include "sqlite_query.h"
#include "test_util.h"

namespace {

const std::string kExe = CMHBENCH_EXE;

// A figure's .dat file: series title → rows of numbers.
std::map<std::string, std::vector<std::vector<double>>> read_dat(const std::string& path) {
  std::map<std::string, std::vector<std::vector<double>>> out;
  std::istringstream in(cmh::test::read_file(path));
  std::string line, title;
  while (std::getline(in, line)) {
    if (line.rfind("# index ", 0) == 0) {
      title = line.substr(line.find(": ") + 2);
      out[title];
      continue;
    }
    if (line.empty() || line[0] == '#' || title.empty()) continue;
    std::istringstream fields(line);
    std::vector<double> row;
    for (double v; fields >> v;) row.push_back(v);
    out[title].push_back(row);
  }
  return out;
}

// Mean over the runs (seeds) of `method` at `bits` of the stored value of `sql_value` (one row
// per run, grouped by the expression `by`), as {by → mean}.
std::map<std::string, double> stored_means(const std::string& db, const std::string& select_by_and_value) {
  std::map<std::string, std::pair<double, int>> acc;
  for (const auto& row : cmh::test::query(db, select_by_and_value)) {
    const auto tab = row.find('\t');
    auto& [sum, n] = acc[row.substr(0, tab)];
    sum += std::stod(row.substr(tab + 1));
    ++n;
  }
  std::map<std::string, double> out;
  for (const auto& [k, v] : acc) out[k] = v.first / v.second;
  return out;
}

}  // namespace

TEST_CASE("a report of a runner's database: tables and figure data equal the stored values", "[plots][report]") {
  cmh::test::TempDir dir;
  // Two seeded methods (SePH draws its training subset from the seed) × two lengths × two seeds.
  cmh::test::write_file(dir / "e.toml", "name = \"r\"\nbits = [8, 16]\nseeds = [1, 2]\nthreads = 1\n" +
                                             std::string(cmh::test::kTinyDataset) +
                                             "[[methods]]\nname = \"cca\"\n[[methods]]\nname = \"seph-rnd\"\n");
  const std::string db = dir / "r.sqlite", out = dir / "report";
  const auto run = cmh::test::run_command(kExe + " run " + (dir / "e.toml") + " --db " + db);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  const auto rep = cmh::test::run_command(kExe + " report " + db + " --out " + out);
  INFO(rep.output);
  REQUIRE(rep.exit_code == 0);

  const std::map<std::string, std::string> display = {{"cca", "CCA"}, {"seph-rnd", "SePH-rnd"}};
  for (const char* dir_name : {"i2t", "t2i"}) {
    const std::string d = dir_name;
    INFO("direction " << d);
    // Tables: the mean over seeds of the stored mAP, per method and length.
    const auto table = cmh::plots::parse_csv(cmh::test::read_file(out + "/tables/map_" + d + ".csv"));
    const auto means = stored_means(db, "select r.method || ' ' || r.bits || char(9) || m.value from metrics m join runs r "
                                        "on r.id = m.run_id where m.name = 'map' and m.direction = '" + d + "'");
    REQUIRE(means.size() == 4);
    int checked = 0;
    for (const auto& row : table.rows)
      for (const auto& [method, shown] : display) {
        if (row.at("method").rfind(shown, 0) != 0) continue;
        for (int bits : {8, 16}) {
          INFO(method << " " << bits);
          CHECK(std::stod(row.at("tiny (synthetic) " + std::to_string(bits) + " bits")) ==
                Approx(means.at(method + " " + std::to_string(bits))).margin(1e-6));
          ++checked;
        }
      }
    CHECK(checked == 4);

    // Figures: each point of the PR and P@N data is the mean over seeds of the stored curve point.
    for (const char* kind : {"pr", "topn"}) {
      for (int bits : {8, 16}) {
        const auto dat = read_dat(out + "/figures/" + kind + "_tiny_synthetic_" + std::to_string(bits) + "_" + d + ".dat");
        for (const auto& [method, shown] : display) {
          INFO(kind << " " << method << " " << bits);
          const auto it = std::find_if(dat.begin(), dat.end(), [&](const auto& s) { return s.first.rfind(shown, 0) == 0; });
          REQUIRE(it != dat.end());
          const std::string where = " from curves c join runs r on r.id = c.run_id where c.kind = '" + std::string(kind) +
                                    "' and c.direction = '" + d + "' and r.method = '" + method + "' and r.bits = " +
                                    std::to_string(bits) +
                                    // a radius that retrieves nothing (0, 0) is not drawn (figures.cpp)
                                    (std::string(kind) == "pr" ? " and not (c.x = 0 and c.y = 0)" : "");
          const auto xs = stored_means(db, "select printf('%04d', c.idx) || char(9) || c.x" + where);
          const auto ys = stored_means(db, "select printf('%04d', c.idx) || char(9) || c.y" + where);
          REQUIRE(it->second.size() == ys.size());
          size_t i = 0;
          for (const auto& [idx, y] : ys) {
            REQUIRE(it->second[i].size() >= 2);
            CHECK(it->second[i][0] == Approx(xs.at(idx)).epsilon(1e-8).margin(1e-12));
            CHECK(it->second[i][1] == Approx(y).epsilon(1e-8).margin(1e-12));
            ++i;
          }
        }
      }
    }
  }
  // The two directions differ in the store, so the comparisons above tell them apart.
  CHECK(cmh::test::query(db, "select count(*) from metrics a join metrics b on a.run_id = b.run_id and a.name = b.name "
                             "where a.name = 'map' and a.direction = 'i2t' and b.direction = 't2i' and a.value != b.value")
            .front() != "0");
}

TEST_CASE("a report of a runner's SCAHN cells: the bit-scalable table holds the stored ranked and random-bit values",
          "[plots][report]") {
  cmh::test::TempDir dir;
  cmh::test::write_file(dir / "e.toml", "name = \"b\"\nbits = [16]\nseeds = [1, 2]\nthreads = 1\n" +
                                             std::string(cmh::test::kTinyDataset) +
                                             "[[methods]]\nname = \"scahn\"\n[methods.params]\nepochs = 1\nbatch_size = 32\n"
                                             "text_channels = 4\ntext_head_channels = 16\n");
  const std::string db = dir / "b.sqlite", out = dir / "report";
  const auto run = cmh::test::run_command(kExe + " run " + (dir / "e.toml") + " --db " + db);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  REQUIRE(cmh::test::run_command(kExe + " report " + db + " --out " + out).exit_code == 0);
  for (const char* d : {"i2t", "t2i"}) {
    INFO(d);
    const auto table = cmh::plots::parse_csv(cmh::test::read_file(out + "/tables/bitscale_scahn_" + std::string(d) + ".csv"));
    REQUIRE(table.rows.size() == 4);  // first k' bits, random k' bits, their difference, trained at k'
    CHECK(table.rows[0].at("method") == "first k' bits of the 16-bit model");
    CHECK(table.rows[1].at("method") == "random k' of the 16-bit model's bits");
    CHECK(table.rows[2].at("method") == "ranked − random, per run (16-bit model)");
    for (int kept : {8, 4}) {
      const std::string column = "tiny (synthetic) " + std::to_string(kept) + " kept bits";
      for (const auto& [row, metric] : {std::pair<size_t, std::string>{0, "map@bits="}, {1, "map@random_bits="}}) {
        const auto mean = stored_means(db, "select 'all' || char(9) || value from metrics where direction = '" +
                                               std::string(d) + "' and name = '" + metric + std::to_string(kept) + "'");
        REQUIRE(mean.size() == 1);
        INFO(metric << kept);
        CHECK(std::stod(table.rows[row].at(column)) == Approx(mean.at("all")).margin(1e-6));
      }
      // The difference row: the mean over runs of (ranked − random) of the same run.
      const auto diff = stored_means(db, "select 'all' || char(9) || (a.value - b.value) from metrics a join metrics b on "
                                         "a.run_id = b.run_id and a.direction = b.direction where a.direction = '" +
                                         std::string(d) + "' and a.name = 'map@bits=" + std::to_string(kept) +
                                         "' and b.name = 'map@random_bits=" + std::to_string(kept) + "'");
      REQUIRE(diff.size() == 1);
      CHECK(std::stod(table.rows[2].at(column)) == Approx(diff.at("all")).margin(1e-6));
    }
  }
  // The table says how far the attention moved from its initialisation (logged every epoch).
  const std::string md = cmh::test::read_file(out + "/tables/bitscale_scahn_i2t.md");
  CHECK(md.find("rank correlation of") != std::string::npos);
  CHECK(md.find("over 2 runs") != std::string::npos);
  CHECK(cmh::test::query(db, "select count(*) from epochs where term = 'attention_rank_corr'").front() == "2");
}
