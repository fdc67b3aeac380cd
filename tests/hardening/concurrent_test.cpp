// Two `cmhbench run` processes on one database at once: two shards of a grid, and two processes
// running the same cells. Both finish with exit status 0, every cell is stored once with the
// numbers of a sequential run, no "database is locked", and (same cells) no cell is trained twice.
#include <catch2/catch.hpp>
#include <regex>

#include "harness/harness_test_util.h"
#include "hardening_util.h"

using namespace cmh::test;

namespace {

// 4 lengths × 4 seeds = 16 CCA cells on an inline synthetic set.
const std::string kGrid = std::string("name = \"two\"\nbits = [8, 16, 24, 32]\nseeds = [1, 2, 3, 4]\nthreads = 1\n") +
                          kTinyDataset + "[[methods]]\nname = \"cca\"\n";

std::vector<std::string> all_metrics(const std::string& db) {
  return query(db, "select printf('%s %s %s %.17g', r.cell_key, m.direction, m.name, m.value) from metrics m "
                   "join runs r on r.id = m.run_id where r.status = 'done' order by 1");
}

struct Child {
  int exit_code = -1;
  std::string log;
};

/// Runs the argument lists as concurrent children and waits for all of them.
std::vector<Child> run_together(const TempDir& dir, const std::vector<std::vector<std::string>>& args) {
  std::vector<pid_t> pids;
  for (size_t i = 0; i < args.size(); ++i) pids.push_back(spawn_cmhbench(args[i], dir / ("log" + std::to_string(i))));
  std::vector<Child> out(args.size());
  for (size_t i = 0; i < pids.size(); ++i) {
    int status = 0;
    waitpid(pids[i], &status, 0);
    out[i].exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    out[i].log = read_file(dir / ("log" + std::to_string(i)));
  }
  return out;
}

/// "N ran" from a run's summary line.
int cells_ran(const std::string& log) {
  std::smatch m;
  return std::regex_search(log, m, std::regex(R"((\d+) ran)")) ? std::stoi(m[1]) : -1;
}

void check_store(const std::string& db, const std::vector<std::string>& expected) {
  CHECK(query(db, "pragma integrity_check") == std::vector<std::string>{"ok"});
  CHECK(count(db, "select count(*) from runs") == 16);
  CHECK(count(db, "select count(distinct cell_key) from runs where status = 'done'") == 16);
  CHECK(all_metrics(db) == expected);
}

}  // namespace

TEST_CASE("two processes on one database: shards 0/2 and 1/2, and the same cells twice",
          "[hardening][concurrent]") {
  TempDir dir;
  write_text(dir / "e.toml", kGrid);
  const std::string exp = dir / "e.toml";
  const auto ref = cmhbench("run " + exp + " --db " + (dir / "ref.sqlite"));
  INFO(ref.err);
  REQUIRE(ref.exit_code == 0);
  const auto expected = all_metrics(dir / "ref.sqlite");
  REQUIRE(expected.size() > 16);

  SECTION("two shards at once") {
    const std::string db = dir / "shards.sqlite";
    const auto kids = run_together(dir, {{"run", exp, "--db", db, "--shard", "0/2"},
                                         {"run", exp, "--db", db, "--shard", "1/2"}});
    for (const auto& k : kids) {
      INFO(k.log);
      CHECK(k.exit_code == 0);
      CHECK(k.log.find("locked") == std::string::npos);
      CHECK(cells_ran(k.log) == 8);
    }
    check_store(db, expected);
  }
  SECTION("the same cells in two processes at once: each cell trained once") {
    const std::string db = dir / "same.sqlite";
    const auto kids = run_together(dir, {{"run", exp, "--db", db}, {"run", exp, "--db", db}});
    int ran = 0;
    for (const auto& k : kids) {
      INFO(k.log);
      CHECK(k.exit_code == 0);
      CHECK(k.log.find("locked") == std::string::npos);
      CHECK(k.log.find("16 cells selected") != std::string::npos);
      ran += cells_ran(k.log);
    }
    CHECK(ran == 16);
    check_store(db, expected);
  }
  SECTION("three processes, the same cells, one of them with --force") {
    const std::string db = dir / "force.sqlite";
    const auto kids = run_together(dir, {{"run", exp, "--db", db},
                                         {"run", exp, "--db", db},
                                         {"run", exp, "--db", db, "--force"}});
    for (const auto& k : kids) {
      INFO(k.log);
      CHECK(k.exit_code == 0);
      CHECK(k.log.find("locked") == std::string::npos);
    }
    CHECK(cells_ran(kids[2].log) == 16);  // --force re-runs every cell, one at a time with the others
    check_store(db, expected);
  }
}
