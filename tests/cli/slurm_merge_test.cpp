// `cmhbench slurm` and `cmhbench merge` through the executable: the generated array job's tasks,
// run as Slurm runs them (SLURM_ARRAY_TASK_ID set, the script under bash), fill their own
// databases; merge.sh folds them (again: nothing new); a conflicting duplicate is reported with
// exit 1 and the target keeps its run; an unfinished run is listed, never merged as done; bad
// options are refused before anything is written; the device option is checked.
// (tests/slurm/slurm_integration.sh does the same against a real one-node Slurm.)
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/harness_test_util.h"
#include "test_util.h"

using cmh::test::run_command;

namespace {

const std::string kExe = CMHBENCH_EXE;

std::string sql1(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  std::string out = "ERROR";
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(h, 10000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
      const int rc = sqlite3_step(st);
      if (rc == SQLITE_ROW) {
        const unsigned char* t = sqlite3_column_text(st, 0);
        out = t ? reinterpret_cast<const char*>(t) : "NULL";
      } else if (rc == SQLITE_DONE) {
        out = "";
      }
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return out;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("slurm writes an array job whose tasks fill shard databases that merge folds into one",
          "[cli][slurm][merge]") {
  cmh::test::TempDir dir;
  cmh::test::write_file(dir / "e.toml", cmh::test::tiny_experiment());  // 4 cells
  const std::string out = dir / "job";
  const std::string merged = dir / "merged.sqlite";
  auto r = run_command(kExe + " slurm " + (dir / "e.toml") + " --out " + out + " --tasks 2 --array-limit 1" +
                       " --partition debug --time 0:10:00 --mem 2G --sbatch=--account=proj --into " + merged);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.output, "4 cell(s) in 2 task(s)"));
  const std::string script = cmh::test::read_file(out + "/job.sbatch");
  for (const char* line : {"#SBATCH --array=0-1%1\n", "#SBATCH --requeue\n", "#SBATCH --open-mode=append\n",
                           "#SBATCH --partition=debug\n", "#SBATCH --time=0:10:00\n", "#SBATCH --mem=2G\n",
                           "#SBATCH --account=proj\n", "#SBATCH --cpus-per-task=1\n", "--shard \"$task/2\""}) {
    INFO(line);
    CHECK(contains(script, line));
  }
  CHECK(std::filesystem::is_directory(out + "/logs"));
  // cells.tsv: a header and one line per cell, task = index % 2.
  const std::string tsv = cmh::test::read_file(out + "/cells.tsv");
  CHECK(std::count(tsv.begin(), tsv.end(), '\n') == 5);

  // The tasks, as Slurm runs them.
  for (int task : {0, 1}) {
    auto t = run_command("SLURM_ARRAY_TASK_ID=" + std::to_string(task) + " bash " + out + "/job.sbatch");
    INFO(t.output);
    REQUIRE(t.exit_code == 0);
    CHECK(contains(t.output, "2 cells selected, 0 already done, 2 ran"));
  }
  // A task run again (a requeue) has nothing left to do.
  auto again = run_command("SLURM_ARRAY_TASK_ID=1 bash " + out + "/job.sbatch");
  CHECK(again.exit_code == 0);
  CHECK(contains(again.output, "2 already done, 0 ran"));
  CHECK(sql1(out + "/shard-0-of-2.sqlite", "select count(*) from runs where status='done'") == "2");

  auto m = run_command("bash " + out + "/merge.sh");
  INFO(m.output);
  REQUIRE(m.exit_code == 0);
  CHECK(contains(m.output, "4 copied, 0 identical, 0 conflicting, 0 not finished; 4 cells done there"));
  CHECK(sql1(merged, "select count(*) from runs where status='done'") == "4");
  const std::string metric_rows = sql1(merged, "select count(*) from metrics");
  CHECK(metric_rows != "0");
  // Idempotent: merging again adds nothing.
  auto m2 = run_command("bash " + out + "/merge.sh");
  INFO(m2.output);
  CHECK(m2.exit_code == 0);
  CHECK(contains(m2.output, "0 copied, 4 identical, 0 conflicting"));
  CHECK(sql1(merged, "select count(*) from runs") == "4");
  CHECK(sql1(merged, "select count(*) from metrics") == metric_rows);
  // The merged database is the same as a direct run: the same cells, the same values.
  const std::string direct = dir / "direct.sqlite";
  REQUIRE(run_command(kExe + " run " + (dir / "e.toml") + " --db " + direct).exit_code == 0);
  CHECK(sql1(merged, "select count(*) from metrics") == sql1(direct, "select count(*) from metrics"));
  CHECK(sql1(merged, "select group_concat(cell_key) from (select cell_key from runs order by cell_key)") ==
        sql1(direct, "select group_concat(cell_key) from (select cell_key from runs order by cell_key)"));
  const std::string values =
      "select group_concat(v, ';') from (select r.cell_key || '/' || m.direction || '/' || m.name || '=' || "
      "printf('%.17g', m.value) as v from metrics m join runs r on r.id = m.run_id order by v)";
  CHECK(sql1(merged, values) == sql1(direct, values));
}

TEST_CASE("merge reports a conflicting duplicate and never merges an unfinished run as done", "[cli][merge]") {
  cmh::test::TempDir dir;
  cmh::test::write_file(dir / "e.toml", cmh::test::tiny_experiment("t", "[8]"));  // 2 cells
  const std::string a = dir / "a.sqlite", b = dir / "b.sqlite", target = dir / "t.sqlite";
  REQUIRE(run_command(kExe + " run " + (dir / "e.toml") + " --db " + a).exit_code == 0);
  std::filesystem::copy_file(a, b);
  const std::string key = sql1(a, "select cell_key from runs order by id limit 1");
  REQUIRE(sql1(b, "update metrics set value = value + 0.01 where direction = 'i2t' and name = 'map' and run_id = "
                  "(select id from runs where cell_key = '" + key + "')") == "");
  REQUIRE(run_command(kExe + " merge " + a + " --into " + target).exit_code == 0);
  const std::string before = sql1(target, "select group_concat(value) from metrics order by run_id, direction, name");

  auto r = run_command(kExe + " merge " + b + " --into " + target);
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "CONFLICT"));
  CHECK(contains(r.output, key + " (cca 8 bits, seed 1): i2t/map: here "));
  CHECK(contains(r.output, "0 copied, 1 identical, 1 conflicting"));
  // The target keeps its own run; nothing else changed.
  CHECK(sql1(target, "select group_concat(value) from metrics order by run_id, direction, name") == before);
  CHECK(sql1(target, "select count(*) from runs") == "2");
  // Again: still reported (a conflict is never resolved silently).
  CHECK(run_command(kExe + " merge " + b + " --into " + target).exit_code == 1);

  // An unfinished run in a shard (a task still at work, or killed) is listed, not merged as done.
  const std::string c = dir / "c.sqlite", fresh = dir / "fresh.sqlite";
  std::filesystem::copy_file(a, c);
  REQUIRE(sql1(c, "update runs set status = 'running' where cell_key = '" + key + "'") == "");
  auto u = run_command(kExe + " merge " + c + " --into " + fresh);
  INFO(u.output);
  CHECK(u.exit_code == 0);
  CHECK(contains(u.output, "1 copied, 0 identical, 0 conflicting, 1 not finished; 1 cells done there"));
  CHECK(contains(u.output, "not finished, not merged: " + c + ": " + key));
  CHECK(sql1(fresh, "select count(*) from runs where cell_key = '" + key + "'") == "0");

  // Bad input: a missing shard is refused before the target is touched; the target itself is skipped.
  auto missing = run_command(kExe + " merge " + a + " " + (dir / "nope.sqlite") + " --into " + (dir / "new.sqlite"));
  CHECK(missing.exit_code == 2);
  CHECK(contains(missing.output, "nope.sqlite' does not exist"));
  CHECK_FALSE(std::filesystem::exists(dir / "new.sqlite"));
  auto self = run_command(kExe + " merge " + target + " " + a + " --into " + target);
  CHECK(contains(self.output, "it is the target"));
  CHECK(run_command(kExe + " merge --into " + target).exit_code == 2);
}

TEST_CASE("slurm refuses bad options before writing anything", "[cli][slurm]") {
  cmh::test::TempDir dir;
  cmh::test::write_file(dir / "e.toml", cmh::test::tiny_experiment());
  const std::string base = kExe + " slurm " + (dir / "e.toml") + " --out " + (dir / "out");
  const std::pair<std::string, std::string> bad[] = {
      {" --tasks 0", "--tasks must be at least 1"},
      {" --tasks 5", "the experiment has only 4 cells"},
      {" --array-limit 0", "--array-limit must be at least 1"},
      {" --time '1 h'", "--time '1 h': expected"},
      {" --mem 16GB", "--mem '16GB': expected a size"},
      {" --partition 'a b'", "--partition 'a b': expected one word"},
      {" --sbatch account=x", "expected an sbatch option"},
      {" --device tpu", "--device 'tpu' is not valid"},
      {" --only method=nope", "matches --only"},
      {" --gpus-per-task -1", "--gpus-per-task must be 0 or more"},
  };
  for (const auto& [opts, message] : bad) {
    auto r = run_command(base + opts);
    INFO(opts << "\n" << r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, message));
  }
  CHECK_FALSE(std::filesystem::exists(dir / "out"));
  auto spaced = run_command(kExe + " slurm " + (dir / "e.toml") + " --out '" + (dir / "a b") + "'");
  CHECK(spaced.exit_code == 2);
  CHECK(contains(spaced.output, "pick a folder whose path has no spaces"));
  CHECK_FALSE(std::filesystem::exists(dir / "a b"));
  auto no_out = run_command(kExe + " slurm " + (dir / "e.toml"));
  CHECK(no_out.exit_code == 2);
  CHECK(contains(no_out.output, "'--out' is required"));
  // GPUs asked for with a CPU device: written, with a warning.
  auto gpu = run_command(base + " --gpus-per-task 1");
  CHECK(gpu.exit_code == 0);
  CHECK(contains(gpu.output, "add --device cuda"));
  CHECK(contains(cmh::test::read_file(dir / "out/job.sbatch"), "#SBATCH --gpus-per-task=1\n"));
}

TEST_CASE("run --device: cpu explicitly gives the default run's results, cuda without CUDA is a clear input error",
          "[cli][device]") {
  cmh::test::TempDir dir;
  // A shallow method (computes on the CPU whatever the device) and a deep one (on ctx.device).
  cmh::test::write_file(dir / "e.toml", std::string("name = \"d\"\nbits = [8]\nseeds = [1]\nthreads = 1\n") +
                                            cmh::test::kTinyDataset + R"(
[[methods]]
name = "cca"
[[methods]]
name = "mlsph"
[methods.params]
epochs = 2
batch_size = 32
text_hidden = 32
)");
  const std::string values =
      "select group_concat(v, ';') from (select r.cell_key || '/' || m.direction || '/' || m.name || '=' || "
      "printf('%.17g', m.value) as v from metrics m join runs r on r.id = m.run_id order by v)";
  REQUIRE(run_command(kExe + " run " + (dir / "e.toml") + " --db " + (dir / "a.sqlite")).exit_code == 0);
  auto cpu = run_command(kExe + " run " + (dir / "e.toml") + " --device cpu --db " + (dir / "b.sqlite"));
  INFO(cpu.output);
  REQUIRE(cpu.exit_code == 0);
  CHECK(sql1(dir / "b.sqlite", "select group_concat(distinct device) from runs") == "cpu");
  CHECK(sql1(dir / "b.sqlite", "select count(*) from runs where status = 'done'") == "2");
  CHECK(sql1(dir / "a.sqlite", values) == sql1(dir / "b.sqlite", values));

  auto bad = run_command(kExe + " run " + (dir / "e.toml") + " --device tpu --db " + (dir / "c.sqlite"));
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.output, "device 'tpu' is not valid"));
  CHECK_FALSE(std::filesystem::exists(dir / "c.sqlite"));

  auto cuda = run_command(kExe + " run " + (dir / "e.toml") + " --device cuda:0 --db " + (dir / "g.sqlite"));
  INFO(cuda.output);
  if (contains(cuda.output, "built without CUDA")) {
    // This LibTorch has no CUDA (CI): exit 2, the fix named, nothing written.
    CHECK(cuda.exit_code == 2);
    CHECK(contains(cuda.output, "build against a CUDA LibTorch (README, GPU section)"));
    CHECK_FALSE(std::filesystem::exists(dir / "g.sqlite"));
  } else {
    // A CUDA build with a GPU: the deep method trains there and records it; CCA records the CPU.
    CHECK(cuda.exit_code == 0);
    CHECK(sql1(dir / "g.sqlite", "select device from runs where method = 'mlsph'") == "cuda:0");
    CHECK(sql1(dir / "g.sqlite", "select device from runs where method = 'cca'") == "cpu");
    CHECK(sql1(dir / "g.sqlite", "select count(*) from runs where method = 'cca' and protocol_json like "
                                 "'%device cuda:0 is not used by it%'") == "1");
  }
}
