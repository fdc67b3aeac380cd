// Store: schema, run life cycle, read-only and refused opens, merge, two writers, a killed writer.
#include <catch2/catch.hpp>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

#include "common/error.h"
#include "store/store.h"
#include "test_util.h"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using cmh::store::CurvePoint;
using cmh::store::EpochValue;
using cmh::store::Metric;
using cmh::store::RunRecord;
using cmh::store::Store;
using cmh::store::Timings;
using cmh::test::TempDir;

namespace {

RunRecord record(const std::string& key, const std::string& experiment = "exp") {
  RunRecord r;
  r.experiment = experiment;
  r.cell_key = key;
  r.cell_json = R"({"method":"mlsph","key":")" + key + "\"}";
  r.method = "mlsph";
  r.dataset = "flickr25k";
  r.bits = 64;
  r.seed = 1234567890123LL;
  r.params_json = R"({"lr":0.001})";
  r.protocol_json = R"({"split":"standard"})";
  r.code_revision = "v0.1-3-gabc";
  r.host = "node1";
  r.device = "cpu";
  r.threads = 4;
  r.library_versions_json = R"({"torch":"2.1"})";
  r.data_fingerprints_json = R"({"a.mat":"123:deadbeef"})";
  return r;
}

std::vector<Metric> some_metrics(double map = 0.75) {
  return {{"i2t", "map", map}, {"t2i", "map", 0.5}, {"i2t", "map@500", 0.8}};
}

/// One value through the sqlite3 C API, independent of the Store under test.
std::string sql_text(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

/// Waits for a forked child and returns its exit status, or -signal when killed.
int wait_child(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

}  // namespace

TEST_CASE("a new store has the schema, its version row and WAL", "[store]") {
  TempDir dir;
  const std::string db = dir / "r.sqlite";
  {
    Store s(db);
    CHECK(s.path() == db);
  }
  CHECK(sql_text(db, "SELECT version FROM schema_version") == "1");
  CHECK(sql_text(db, "SELECT count(*) FROM schema_version") == "1");
  CHECK(sql_text(db, "PRAGMA journal_mode") == "wal");
  for (const char* t : {"runs", "metrics", "curves", "epochs"})
    CHECK(sql_text(db,
                   std::string("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='") +
                       t + "'") == "1");
  CHECK(sql_text(db, "SELECT count(*) FROM sqlite_master WHERE type='view' AND name='results'") ==
        "1");
  // Reopening keeps one version row.
  {
    Store s(db);
    CHECK(s.integrity_check() == "ok");
  }
  CHECK(sql_text(db, "SELECT count(*) FROM schema_version") == "1");
}

TEST_CASE("begin and finish a run, then read everything back", "[store]") {
  TempDir dir;
  Store s(dir / "r.sqlite");
  const RunRecord rec = record("k1");
  const int64_t id = s.begin_run(rec);
  CHECK(s.statuses().at("k1") == "running");
  CHECK_FALSE(s.is_done("k1"));

  const std::vector<CurvePoint> curves = {{"i2t", "pr_precision", 0, 0.0, 1.0},
                                          {"i2t", "pr_precision", 1, 0.5, 0.8},
                                          {"", "loss", 0, 1.0, 2.5},
                                          {"t2i", "topn", 0, 100, 0.7}};
  const std::vector<EpochValue> epochs = {{1, "loss", 2.5}, {1, "lr", 0.01}, {2, "loss", 1.5}};
  s.finish_run(id, some_metrics(), curves, epochs, Timings{1.5, 20.25, 3.125, 4.0});

  CHECK(s.is_done("k1"));
  const auto runs = s.runs();
  REQUIRE(runs.size() == 1);
  const auto& r = runs[0];
  CHECK(r.id == id);
  CHECK(r.status == "done");
  CHECK(r.error.empty());
  CHECK(r.record.experiment == rec.experiment);
  CHECK(r.record.cell_key == rec.cell_key);
  CHECK(r.record.cell_json == rec.cell_json);
  CHECK(r.record.method == rec.method);
  CHECK(r.record.dataset == rec.dataset);
  CHECK(r.record.bits == 64);
  CHECK(r.record.seed == 1234567890123LL);
  CHECK(r.record.params_json == rec.params_json);
  CHECK(r.record.protocol_json == rec.protocol_json);
  CHECK(r.record.code_revision == rec.code_revision);
  CHECK(r.record.host == rec.host);
  CHECK(r.record.device == rec.device);
  CHECK(r.record.threads == 4);
  CHECK(r.record.library_versions_json == rec.library_versions_json);
  CHECK(r.record.data_fingerprints_json == rec.data_fingerprints_json);
  CHECK(r.timings.load == 1.5);
  CHECK(r.timings.train == 20.25);
  CHECK(r.timings.encode == 3.125);
  CHECK(r.timings.eval == 4.0);
  // ISO-8601 UTC: 2024-05-01T12:34:56Z
  REQUIRE(r.started.size() == 20);
  CHECK(r.started[10] == 'T');
  CHECK(r.started.back() == 'Z');
  CHECK(r.finished.size() == 20);
  CHECK(r.finished >= r.started);

  const auto m = s.metrics(id);
  REQUIRE(m.size() == 3);  // ordered by direction, name
  CHECK((m[0].direction == "i2t" && m[0].name == "map" && m[0].value == 0.75));
  CHECK((m[1].direction == "i2t" && m[1].name == "map@500" && m[1].value == 0.8));
  CHECK((m[2].direction == "t2i" && m[2].name == "map" && m[2].value == 0.5));

  CHECK(s.curves(id).size() == 4);
  const auto pr = s.curves(id, "pr_precision");
  REQUIRE(pr.size() == 2);
  CHECK((pr[1].direction == "i2t" && pr[1].index == 1 && pr[1].x == 0.5 && pr[1].y == 0.8));
  const auto loss = s.curves(id, "loss");
  REQUIRE(loss.size() == 1);
  CHECK(loss[0].direction.empty());
  CHECK(loss[0].y == 2.5);

  const auto e = s.epochs(id);
  REQUIRE(e.size() == 3);
  CHECK((e[0].epoch == 1 && e[0].term == "loss" && e[0].value == 2.5));
  CHECK((e[2].epoch == 2 && e[2].term == "loss" && e[2].value == 1.5));

  // The results view answers the plain sqlite3 shell.
  CHECK(sql_text(s.path(), "SELECT value FROM results WHERE direction='t2i' AND name='map'") ==
        "0.5");
  CHECK(s.runs("exp").size() == 1);
  CHECK(s.runs("other").empty());
}

TEST_CASE("a NaN metric comes back as NaN", "[store]") {
  TempDir dir;
  Store s(dir / "r.sqlite");
  const int64_t id = s.begin_run(record("k"));
  s.finish_run(id, {{"i2t", "map", std::numeric_limits<double>::quiet_NaN()}}, {}, {}, {});
  CHECK(std::isnan(s.metrics(id).at(0).value));
}

TEST_CASE("status transitions: running, failed, re-begun, done, re-begun", "[store]") {
  TempDir dir;
  Store s(dir / "r.sqlite");
  const int64_t id = s.begin_run(record("k"));
  s.fail_run(id, "out of memory");
  auto r = s.runs().at(0);
  CHECK(r.status == "failed");
  CHECK(r.error == "out of memory");
  CHECK_FALSE(r.finished.empty());
  CHECK(s.metrics(id).empty());

  // Re-begun after failure: same id, error and finish time cleared.
  CHECK(s.begin_run(record("k")) == id);
  r = s.runs().at(0);
  CHECK(r.status == "running");
  CHECK(r.error.empty());
  CHECK(r.finished.empty());

  s.finish_run(id, some_metrics(), {{"i2t", "topn", 0, 1, 1}}, {{1, "loss", 1}}, {1, 2, 3, 4});
  CHECK(s.statuses().at("k") == "done");

  // --force: a done cell begun again loses its children and timings, keeps its id.
  RunRecord changed = record("k");
  changed.threads = 8;
  CHECK(s.begin_run(changed) == id);
  r = s.runs().at(0);
  CHECK(r.status == "running");
  CHECK(r.record.threads == 8);
  CHECK(r.timings.train == 0);
  CHECK(s.metrics(id).empty());
  CHECK(s.curves(id).empty());
  CHECK(s.epochs(id).empty());

  // A failure after partial results keeps no metrics.
  s.finish_run(id, some_metrics(), {}, {}, {});
  s.fail_run(id, "late failure");
  CHECK(s.metrics(id).empty());
  CHECK(s.statuses().at("k") == "failed");
  CHECK(s.runs().size() == 1);
}

TEST_CASE("re-begin after failure clears old children, other runs keep theirs", "[store]") {
  TempDir dir;
  Store s(dir / "r.sqlite");
  const int64_t a = s.begin_run(record("a"));
  const int64_t b = s.begin_run(record("b"));
  CHECK(a != b);
  s.finish_run(a, some_metrics(), {{"i2t", "topn", 0, 1, 1}}, {{1, "loss", 1}}, {});
  s.finish_run(b, some_metrics(), {{"i2t", "topn", 0, 1, 1}}, {{1, "loss", 1}}, {});
  s.fail_run(a, "boom");
  CHECK(s.begin_run(record("a")) == a);
  CHECK(s.metrics(a).empty());
  CHECK(s.curves(a).empty());
  CHECK(s.epochs(a).empty());
  CHECK(s.metrics(b).size() == 3);
  CHECK(s.curves(b).size() == 1);
  CHECK(s.epochs(b).size() == 1);
  const auto st = s.statuses();
  CHECK(st.size() == 2);
  CHECK(st.at("a") == "running");
  CHECK(st.at("b") == "done");
  CHECK(s.is_done("b"));
  CHECK_FALSE(s.is_done("a"));
  CHECK_FALSE(s.is_done("absent"));
}

TEST_CASE("finish or fail of an unknown run id is refused", "[store]") {
  TempDir dir;
  Store s(dir / "r.sqlite");
  CHECK_THROWS_WITH(s.finish_run(42, {}, {}, {}, {}), StartsWith("store::finish_run"));
  CHECK_THROWS_WITH(s.fail_run(42, "x"), StartsWith("store::fail_run"));
}

TEST_CASE("read-only open reads and never writes", "[store]") {
  TempDir dir;
  const std::string db = dir / "r.sqlite";
  {
    Store s(db);
    const int64_t id = s.begin_run(record("k"));
    s.finish_run(id, some_metrics(), {}, {}, {});
  }
  Store ro(db, true);
  CHECK(ro.is_done("k"));
  CHECK(ro.metrics(ro.runs().at(0).id).size() == 3);
  CHECK(ro.integrity_check() == "ok");
  CHECK_THROWS(ro.begin_run(record("new")));
  CHECK(ro.statuses().size() == 1);
}

TEST_CASE("read-only open of a missing file names the path", "[store]") {
  TempDir dir;
  const std::string db = dir / "missing.sqlite";
  CHECK_THROWS_AS(Store(db, true), cmh::InputError);
  CHECK_THROWS_WITH(Store(db, true), StartsWith("store::") && Contains(db));
  CHECK_FALSE(std::filesystem::exists(db));
}

// Several `run`s starting on one new database: one has created the file and not yet committed the
// schema when another peeks at which cells are done. The peek must see "nothing done", not refuse
// the file (it did, and failed CI's three-process test now and then).
TEST_CASE("peek_statuses: none for a missing file or one still being created, refusal for a foreign one",
          "[store]") {
  TempDir dir;
  CHECK(Store::peek_statuses(dir / "missing.sqlite").empty());
  CHECK_FALSE(std::filesystem::exists(dir / "missing.sqlite"));

  const std::string zero = dir / "zero.sqlite";
  std::ofstream(zero).close();
  CHECK(Store::peek_statuses(zero).empty());

  // What the creating process leaves between its journal-mode switch and its schema commit.
  const std::string wal_only = dir / "wal-only.sqlite";
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(wal_only.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  CHECK(Store::peek_statuses(wal_only).empty());
  CHECK(sql_text(wal_only, "select count(*) from sqlite_master") == "0");  // the peek wrote nothing

  const std::string foreign = dir / "foreign.sqlite";
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(foreign.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE notes (x)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  CHECK_THROWS_WITH(Store::peek_statuses(foreign), Contains(foreign) && Contains("not"));

  const std::string ours = dir / "ours.sqlite";
  {
    Store s(ours);
    s.finish_run(s.begin_run(record("k")), some_metrics(), {}, {}, {});
    s.begin_run(record("k2"));
  }
  CHECK(Store::peek_statuses(ours) == std::map<std::string, std::string>{{"k", "done"}, {"k2", "running"}});
}

TEST_CASE("an unwritable path is refused with the path and a fix", "[store]") {
  TempDir dir;
  SECTION("inside a folder that does not exist") {
    const std::string db = dir / "no/such/folder/r.sqlite";
    CHECK_THROWS_AS(Store(db), cmh::InputError);
    CHECK_THROWS_WITH(Store(db), StartsWith("store::") && Contains(db));
  }
  SECTION("under a regular file, which fails even for root") {
    const std::string file = dir / "plain";
    std::ofstream(file) << "x";
    const std::string db = file + "/r.sqlite";
    CHECK_THROWS_AS(Store(db), cmh::InputError);
    CHECK_THROWS_WITH(Store(db), StartsWith("store::") && Contains(db));
  }
  SECTION("a folder without write permission (skipped as root)") {
    if (geteuid() == 0) return;
    const std::string sub = dir / "locked";
    std::filesystem::create_directory(sub);
    chmod(sub.c_str(), 0500);
    const std::string db = sub + "/r.sqlite";
    CHECK_THROWS_AS(Store(db), cmh::InputError);
    CHECK_THROWS_WITH(Store(db), StartsWith("store::") && Contains(db));
    chmod(sub.c_str(), 0700);
  }
  SECTION("a file that is not a database") {
    const std::string db = dir / "junk.sqlite";
    std::ofstream(db) << std::string(4096, 'j');
    CHECK_THROWS_AS(Store(db), cmh::InputError);
    CHECK_THROWS_AS(Store(db, true), cmh::InputError);
  }
}

TEST_CASE("write-protected files and folders", "[store]") {
  if (geteuid() == 0) {
    // Root writes through permission bits (and CI runs as root): run this test case again in a
    // child process as nobody, where they hold, and require that it passes there.
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    const auto r = cmh::test::run_command("setpriv --reuid=65534 --regid=65534 --clear-groups '" + self +
                                          "' 'write-protected files and folders'");
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("All tests passed") != std::string::npos);
    CHECK(r.output.find("2 test cases") == std::string::npos);  // this one only, not a filter gone wrong
    return;
  }
  TempDir dir;
  const std::string sub = dir / "ro #1?%";  // characters an SQLite URI must escape
  std::filesystem::create_directory(sub);
  const std::string db = sub + "/r.sqlite";
  {
    Store s(db);
    s.finish_run(s.begin_run(record("k")), some_metrics(), {}, {}, {});
  }
  SECTION("a read-only file is refused for writing, and read-only opens still read it") {
    chmod(db.c_str(), 0444);
    CHECK_THROWS_AS(Store(db), cmh::InputError);
    CHECK_THROWS_WITH(Store(db), StartsWith("store::") && Contains(db) && Contains("read-only"));
    CHECK(Store(db, true).is_done("k"));
    chmod(db.c_str(), 0644);
  }
  SECTION("a store in a read-only folder opens read-only") {
    chmod(sub.c_str(), 0500);
    CHECK(Store(db, true).is_done("k"));
    chmod(sub.c_str(), 0700);
  }
}

TEST_CASE("a newer schema version is refused by name", "[store]") {
  TempDir dir;
  const std::string db = dir / "r.sqlite";
  { Store s(db); }
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
  REQUIRE(sqlite3_exec(raw, "UPDATE schema_version SET version = 2", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  sqlite3_close(raw);
  const std::string expected =
      "store::open: '" + db + "' has schema version 2 but this build knows 1; use a newer cmhbench";
  CHECK_THROWS_AS(Store(db), cmh::InputError);
  CHECK_THROWS_WITH(Store(db), expected);
  CHECK_THROWS_WITH(Store(db, true), expected);
  CHECK(sql_text(db, "SELECT version FROM schema_version") == "2");
}

TEST_CASE("merge_from copies new runs, counts identical ones, reports conflicts", "[store]") {
  TempDir dir;
  Store a(dir / "a.sqlite");
  Store b(dir / "b.sqlite");
  // Only in b: copied with children.
  int64_t id = b.begin_run(record("only_b"));
  b.finish_run(id, some_metrics(), {{"i2t", "topn", 0, 1, 0.5}, {"i2t", "topn", 1, 2, 0.4}},
               {{1, "loss", 3}}, {1, 2, 3, 4});
  // In both, same metrics: identical.
  for (Store* s : {&a, &b}) {
    id = s->begin_run(record("same"));
    s->finish_run(id, some_metrics(), {}, {}, {});
  }
  // In both, different metrics: a conflict, a's values kept.
  id = a.begin_run(record("diff"));
  a.finish_run(id, some_metrics(0.75), {}, {}, {});
  id = b.begin_run(record("diff"));
  b.finish_run(id, some_metrics(0.70), {}, {}, {});
  // In both, same metrics but another curve point or another epoch value: conflicts too (merge
  // compares everything a finished run stores, not only its metrics).
  for (Store* s : {&a, &b}) {
    id = s->begin_run(record("curve"));
    s->finish_run(id, some_metrics(), {{"i2t", "topn", 0, 1, s == &a ? 0.5 : 0.25}}, {{1, "loss", 3}}, {});
    id = s->begin_run(record("epoch"));
    s->finish_run(id, some_metrics(), {{"i2t", "topn", 0, 1, 0.5}}, {{1, "loss", s == &a ? 3.0 : 2.0}}, {});
    id = s->begin_run(record("all_same"));
    s->finish_run(id, some_metrics(), {{"i2t", "topn", 0, 1, 0.5}}, {{1, "loss", 3}, {2, "loss", 2}}, {});
  }
  // Not done in b: ignored.
  b.begin_run(record("running_b"));
  id = b.begin_run(record("failed_b"));
  b.fail_run(id, "x");
  // a's own run keeps its id; b's copy gets a new one.
  a.begin_run(record("only_a"));

  const auto rep = a.merge_from(b);
  CHECK(rep.copied == 1);
  CHECK(rep.identical == 2);  // same, all_same
  REQUIRE(rep.conflicts.size() == 3);  // in b's order: diff, curve, epoch
  CHECK_THAT(rep.conflicts[0], StartsWith("diff") && Contains("): i2t/map: here"));
  CHECK_THAT(rep.conflicts[1], StartsWith("curve") && Contains("curve i2t/topn point 0") && Contains("0.5") && Contains("0.25"));
  CHECK_THAT(rep.conflicts[2], StartsWith("epoch") && Contains("epoch 1 loss") && Contains("here 3") && Contains("other 2"));
  // b's unfinished runs are listed, not copied.
  REQUIRE(rep.not_done.size() == 2);
  CHECK_THAT(rep.not_done[0], StartsWith("running_b") && Contains("running"));
  CHECK_THAT(rep.not_done[1], StartsWith("failed_b") && Contains("failed: x"));

  const auto st = a.statuses();
  CHECK(st.size() == 7);  // only_a, same, diff, curve, epoch, all_same, only_b
  CHECK(st.count("running_b") == 0);
  CHECK(st.count("failed_b") == 0);
  CHECK(st.at("only_b") == "done");
  for (const auto& r : a.runs()) {
    if (r.record.cell_key == "diff") CHECK(a.metrics(r.id).at(0).value == 0.75);
    if (r.record.cell_key != "only_b") continue;
    CHECK(r.timings.eval == 4);
    CHECK(r.record.host == "node1");
    CHECK(a.metrics(r.id).size() == 3);
    CHECK(a.curves(r.id).size() == 2);
    CHECK(a.epochs(r.id).size() == 1);
  }
  // Merging again copies nothing more.
  const auto again = a.merge_from(b);
  CHECK(again.copied == 0);
  CHECK(again.identical == 3);  // same, all_same, and the only_b copied the first time
  CHECK(again.conflicts.size() == 3);
  CHECK(a.integrity_check() == "ok");
}

TEST_CASE("merge_from takes a done run over a local failed one", "[store]") {
  TempDir dir;
  Store a(dir / "a.sqlite");
  Store b(dir / "b.sqlite");
  const int64_t local = a.begin_run(record("k"));
  a.fail_run(local, "oom");
  const int64_t id = b.begin_run(record("k"));
  b.finish_run(id, some_metrics(), {}, {}, {});
  const auto rep = a.merge_from(b);
  CHECK(rep.copied == 1);
  CHECK(rep.conflicts.empty());
  CHECK(a.is_done("k"));
  CHECK(a.runs().at(0).id == local);
  CHECK(a.metrics(local).size() == 3);
}

TEST_CASE("two processes write one database at once", "[store][fork]") {
  TempDir dir;
  const std::string db = dir / "shared.sqlite";
  { Store s(db); }
  constexpr int kRunsEach = 50;
  int start[2];  // both children wait here, so that their writes overlap
  REQUIRE(pipe(start) == 0);
  std::vector<pid_t> children;
  for (int c = 0; c < 2; ++c) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // _exit: the child must not run the parent's destructors (TempDir would remove the folder).
      close(start[1]);
      char go;
      if (read(start[0], &go, 1) != 0) _exit(3);  // end of file when the parent closes its end
      try {
        Store s(db);
        for (int i = 0; i < kRunsEach; ++i) {
          const int64_t id = s.begin_run(record("c" + std::to_string(c) + "_" + std::to_string(i)));
          s.finish_run(id, some_metrics(0.01 * i), {{"i2t", "topn", 0, 1, 1}}, {{1, "loss", 1}},
                       {});
        }
      } catch (const std::exception& e) {
        fprintf(stderr, "child %d: %s\n", c, e.what());
        _exit(1);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  close(start[0]);
  close(start[1]);
  for (pid_t pid : children) CHECK(wait_child(pid) == 0);
  Store s(db, true);
  const auto st = s.statuses();
  CHECK(st.size() == 2 * kRunsEach);
  int done = 0;
  for (const auto& [key, status] : st) done += status == "done";
  CHECK(done == 2 * kRunsEach);
  CHECK(s.integrity_check() == "ok");
  CHECK(sql_text(db, "SELECT count(*) FROM metrics") == std::to_string(2 * kRunsEach * 3));
}

TEST_CASE("a writer killed inside finish_run leaves the run running without children",
          "[store][fork]") {
  TempDir dir;
  const std::string db = dir / "killed.sqlite";
  { Store s(db); }
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(ready[0]);
    try {
      Store s(db);
      const int64_t id = s.begin_run(record("victim"));
      std::vector<CurvePoint> curves;
      curves.reserve(200000);
      for (int i = 0; i < 200000; ++i)
        curves.push_back({"i2t", "pr_precision", i, 0.5 * i, 1.0 / (i + 1)});
      const char go = 'g';
      if (write(ready[1], &go, 1) != 1) _exit(2);
      s.finish_run(id, some_metrics(), curves, {}, {});
    } catch (...) {
      _exit(1);
    }
    _exit(0);
  }
  close(ready[1]);
  char go = 0;
  REQUIRE(read(ready[0], &go, 1) == 1);
  close(ready[0]);
  // Kill once the open transaction has spilled uncommitted pages into the WAL (the hardest
  // case for recovery), or after a few ms if that cannot be seen.
  const std::string wal = db + "-wal";
  std::error_code ec;
  const auto wal_at_start = std::filesystem::file_size(wal, ec);
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(500)) {
    const auto size = std::filesystem::file_size(wal, ec);
    if (!ec && size > wal_at_start + (1 << 20)) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  kill(pid, SIGKILL);
  const int status = wait_child(pid);

  Store s(db);
  CHECK(s.integrity_check() == "ok");
  const auto runs = s.runs();
  REQUIRE(runs.size() == 1);
  const int64_t id = runs[0].id;
  if (status == -SIGKILL && runs[0].status == "running") {
    CHECK(s.metrics(id).empty());
    CHECK(s.curves(id).empty());
    CHECK(sql_text(db, "SELECT count(*) FROM curves") == "0");
  } else {
    // The child won the race and committed: then the run is complete, never partial.
    WARN("the writer finished before it was killed");
    CHECK(runs[0].status == "done");
    CHECK(s.curves(id).size() == 200000);
  }
  // The store stays usable: the cell can be run again.
  CHECK(s.begin_run(record("victim")) == id);
  s.finish_run(id, some_metrics(), {}, {}, {});
  CHECK(s.is_done("victim"));
}
