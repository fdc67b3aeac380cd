// Interruptions: `cmhbench run` killed with SIGKILL at seeded random moments, again and again,
// never leaves a cell done without its metrics, never duplicates one, keeps the database
// intact, and the re-run completes the grid with the same numbers as an uninterrupted run.
// SIGINT stops after the current checkpoint with exit status 130, and the re-run resumes.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "hardening_util.h"

using namespace cmh::test;

namespace {

using Clock = std::chrono::steady_clock;

// An inline synthetic set: no files, a fraction of a second per CCA cell.
std::string grid_experiment(const std::string& name, const std::string& bits, const std::string& seeds,
                            const std::string& methods) {
  return "name = \"" + name + "\"\nbits = " + bits + "\nseeds = " + seeds + "\nthreads = 1\n" +
         R"([[datasets]]
name = "tiny"
[datasets.synthetic]
seed = 3
n = 2000
tag_dim = 400
image_dim = 128
[datasets.protocol]
seed = 1
query = 200
train = 1000
)" + methods;
}

int wait_exit(pid_t pid, int* signal = nullptr) {
  int status = 0;
  waitpid(pid, &status, 0);
  if (signal) *signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// What must hold after any interruption.
void check_consistent(const std::string& db, long metrics_per_run) {
  if (!std::filesystem::exists(db)) return;  // killed before the store was created
  CHECK(query(db, "pragma integrity_check") == std::vector<std::string>{"ok"});
  // Killed after SQLite made the file but before the schema's transaction committed: a store
  // with no table at all (never a part of the schema), which the re-run initialises.
  if (count(db, "select count(*) from sqlite_master where type = 'table' and name = 'runs'") == 0) {
    CHECK(count(db, "select count(*) from sqlite_master") == 0);
    return;
  }
  // A done cell has all its metrics; a cell that is not done has none.
  CHECK(count(db, "select count(*) from runs r where status = 'done' and (select count(*) from metrics m "
                  "where m.run_id = r.id) != " + std::to_string(metrics_per_run)) == 0);
  CHECK(count(db, "select count(*) from runs r where status != 'done' and exists "
                  "(select 1 from metrics m where m.run_id = r.id)") == 0);
  CHECK(count(db, "select count(*) - count(distinct cell_key) from runs") == 0);
}

std::vector<std::string> all_metrics(const std::string& db) {
  return query(db, "select printf('%s %s %s %.17g', r.cell_key, m.direction, m.name, m.value) from metrics m "
                   "join runs r on r.id = m.run_id where r.status = 'done' order by 1");
}

void remove_store(const std::string& db) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(db + suffix);
  std::filesystem::remove_all(db + ".ckpt");
}

}  // namespace

TEST_CASE("SIGKILL at 24 seeded random moments: consistent store, the re-run completes the grid",
          "[hardening][interrupt]") {
  TempDir dir;
  // 4 lengths × 3 seeds = 12 CCA cells.
  write_text(dir / "e.toml", grid_experiment("kill", "[8, 16, 24, 32]", "[1, 2, 3]", "[[methods]]\nname = \"cca\"\n"));
  const std::string exp = dir / "e.toml", log = dir / "log.txt";

  // An uninterrupted run: the reference numbers, the moment the first cell starts (after loading
  // LibTorch and the data) and the span of the whole run.
  const std::string ref_db = dir / "ref.sqlite", ref_log = dir / "ref-log.txt";
  const auto t0 = Clock::now();
  const pid_t ref = spawn_cmhbench({"run", exp, "--db", ref_db}, ref_log);
  REQUIRE(ref > 0);
  double first_cell_ms = -1;
  int ref_status = 0;
  while (waitpid(ref, &ref_status, WNOHANG) == 0) {
    if (first_cell_ms < 0 && read_file(ref_log).find("[1/12]") != std::string::npos)
      first_cell_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  double span_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  INFO(read_file(ref_log));
  REQUIRE(WIFEXITED(ref_status));
  REQUIRE(WEXITSTATUS(ref_status) == 0);
  REQUIRE(first_cell_ms > 0);
  REQUIRE(count(ref_db, "select count(*) from runs where status = 'done'") == 12);
  const long per_run = count(ref_db, "select count(*) / 12 from metrics");
  const auto expected = all_metrics(ref_db);

  // Kill at moments drawn with a fixed seed (reproducible): a quarter uniformly over the start-up
  // (process start, LibTorch, loading the data, opening the store), the rest uniformly over the
  // grid (training, evaluation, the store's transactions) up to 1.05 × its span for the cells left. When
  // a child finishes the grid before its kill, the grid is checked and a fresh database starts a
  // new round.
  const std::string db = dir / "r.sqlite";
  std::mt19937 rng(20261122);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::bernoulli_distribution in_startup(0.25);
  int kills = 0, completed_rounds = 0, attempts = 0, mid_grid = 0, mid_cell = 0;
  const auto loop_start = Clock::now();
  while (kills < 24 && attempts < 200) {
    ++attempts;
    // A resumed run has only the cells left to do: its grid part is shorter in proportion.
    const long done_before = std::filesystem::exists(db) ? count(db, "select count(*) from runs where status = 'done'") : 0;
    const double left = double(12 - std::max(0L, done_before)) / 12.0;
    const double delay_ms = in_startup(rng) ? unit(rng) * first_cell_ms
                                            : first_cell_ms + unit(rng) * 1.05 * left * (span_ms - first_cell_ms);
    const auto started = Clock::now();
    const pid_t child = spawn_cmhbench({"run", exp, "--db", db}, log);
    REQUIRE(child > 0);
    // Wait out the delay, noticing a child that finishes first.
    int status = 0;
    bool exited = false;
    double took_ms = 0;
    while ((took_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count()) < delay_ms) {
      if ((exited = waitpid(child, &status, WNOHANG) == child)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (!exited) {
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
    }
    const int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (exited) {
      // Faster than the reference run (the machine got less busy): scale the moments down.
      const double expected_ms = first_cell_ms + left * (span_ms - first_cell_ms);
      if (took_ms < expected_ms) {
        first_cell_ms *= took_ms / expected_ms;
        span_ms *= took_ms / expected_ms;
      }
    }
    if (sig == SIGKILL) {
      ++kills;
      check_consistent(db, per_run);
      const long done = count(db, "select count(*) from runs where status = 'done'");
      mid_grid += done > 0 && done < 12;
      mid_cell += count(db, "select count(*) from runs where status = 'running'") > 0;
    } else {
      INFO(read_file(log));
      REQUIRE(code == 0);  // finished before the kill: the grid must be complete and right
      CHECK(count(db, "select count(*) from runs where status = 'done'") == 12);
      CHECK(all_metrics(db) == expected);
      ++completed_rounds;
      remove_store(db);
    }
  }
  const double loop_s = std::chrono::duration<double>(Clock::now() - loop_start).count();
  WARN("kill loop: " << kills << " kills in " << attempts << " runs (" << mid_grid << " mid-grid, " << mid_cell
                     << " with a cell running), " << completed_rounds << " rounds completed, " << loop_s
                     << " s; a full run takes " << span_ms << " ms, its first cell starts at " << first_cell_ms << " ms");
  CHECK(kills >= 24);
  CHECK(mid_grid >= 5);  // the kills landed inside grids, not only before the first cell
  CHECK(mid_cell >= 5);

  // The re-run completes the grid with the uninterrupted run's numbers.
  const auto last = cmhbench("run " + exp + " --db " + db);
  INFO(last.err);
  CHECK(last.exit_code == 0);
  check_consistent(db, per_run);
  CHECK(count(db, "select count(*) from runs") == 12);
  CHECK(count(db, "select count(*) from runs where status = 'done'") == 12);
  CHECK(all_metrics(db) == expected);
}

TEST_CASE("SIGINT or SIGTERM (a Slurm requeue) stops a deep cell after its checkpoint with exit 130 and the re-run "
          "resumes to end as an uninterrupted run",
          "[hardening][interrupt]") {
  const int signal_sent = GENERATE(SIGINT, SIGTERM);
  INFO((signal_sent == SIGINT ? "SIGINT" : "SIGTERM"));
  TempDir dir;
  // One MLSPH cell at 6 short epochs: a checkpoint after each.
  write_text(dir / "e.toml", grid_experiment("int", "[16]", "[1]",
                                             "[[methods]]\nname = \"mlsph\"\n[methods.params]\nepochs = 6\n"
                                             "batch_size = 64\ntext_hidden = 64\n"));
  const std::string exp = dir / "e.toml", db = dir / "r.sqlite", log = dir / "log.txt";
  const pid_t child = spawn_cmhbench({"run", exp, "--db", db}, log);
  REQUIRE(child > 0);
  // Interrupt once the first epoch is logged.
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < deadline && read_file(log).find("epoch 1/6") == std::string::npos)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  kill(child, signal_sent);
  int sig = 0;
  const int code = wait_exit(child, &sig);
  const std::string first = read_file(log);
  INFO(first);
  CHECK(sig == 0);
  CHECK(code == 130);
  CHECK(first.find("interrupted") != std::string::npos);
  CHECK(first.find("checkpoint is saved") != std::string::npos);
  CHECK(query(db, "pragma integrity_check") == std::vector<std::string>{"ok"});
  CHECK(query(db, "select status from runs") == std::vector<std::string>{"running"});
  CHECK(count(db, "select count(*) from metrics") == 0);
  const auto key = query(db, "select cell_key from runs");
  REQUIRE(key.size() == 1);
  CHECK(std::filesystem::exists(db + ".ckpt/" + key.front()));
  // The epoch at which it stopped (the one the signal fell in).
  const auto stopped_at = first.find("stopped after epoch ");
  REQUIRE(stopped_at != std::string::npos);
  const int stop_epoch = std::atoi(first.c_str() + stopped_at + std::string("stopped after epoch ").size());
  REQUIRE(stop_epoch >= 1);
  REQUIRE(stop_epoch < 6);

  const auto again = cmhbench("run " + exp + " --db " + db);
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(query(db, "select status from runs") == std::vector<std::string>{"done"});
  CHECK(count(db, "select count(*) from runs where protocol_json like '%resumed from the checkpoint after epoch " +
                      std::to_string(stop_epoch) + "%'") == 1);
  // The re-run trained only the remaining epochs: it printed epochs stop+1 … 6 and no earlier one.
  for (int e = 1; e <= 6; ++e) {
    const bool printed = again.err.find("epoch " + std::to_string(e) + "/6") != std::string::npos ||
                         again.out.find("epoch " + std::to_string(e) + "/6") != std::string::npos;
    INFO("epoch " << e);
    CHECK(printed == (e > stop_epoch));
  }
  CHECK_FALSE(std::filesystem::exists(db + ".ckpt/" + key.front()));

  // And it ends where an uninterrupted run ends: the same metrics, and the same training log for
  // all six epochs (the epochs before the interruption travel with the checkpoint).
  const std::string whole = dir / "whole.sqlite";
  REQUIRE(cmhbench("run " + exp + " --db " + whole).exit_code == 0);
  CHECK(count(db, "select count(*) from metrics") > 0);
  CHECK(all_metrics(db) == all_metrics(whole));
  const std::string epochs_sql = "select printf('%d %s %.17g', epoch, term, value) from epochs order by epoch, term";
  CHECK(query(db, "select count(distinct epoch) from epochs") == std::vector<std::string>{"6"});
  CHECK(query(db, epochs_sql) == query(whole, epochs_sql));
}
