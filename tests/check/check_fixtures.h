// Shared by the check and compare tests: real tiny databases made by the cmhbench executable,
// perturbed through SQL.
#pragma once

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <fstream>
#include <sstream>
#include <string>

#include "harness/harness_test_util.h"
#include "plots/check.h"
#include "test_util.h"

namespace cmh::test {

inline const std::string kExe = CMHBENCH_EXE;

inline void sql(const std::string& db, const std::string& statement) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(h, statement.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(h);
  REQUIRE(rc == SQLITE_OK);
}

inline void run_ok(const std::string& command) {
  const auto r = run_command(command);
  INFO(command << "\n" << r.output);
  REQUIRE(r.exit_code == 0);
}

/// The run of `cell_key` in SQL, for UPDATE … WHERE run_id = ….
inline std::string run_of(const std::string& cell_key) {
  return "(SELECT id FROM runs WHERE cell_key = '" + cell_key + "')";
}

/// Three seeds of CCA (exact: no seed, no iterative float solver) and of SePH-rnd (random anchors:
/// seed-dependent) at 16 bits, run twice under two float orders (1 and 2 threads).
struct SeedsFixture {
  TempDir dir;
  std::string a = dir / "threads1.sqlite", b = dir / "threads2.sqlite", ref = dir / "ref.csv";
  SeedsFixture() {
    write_file(dir / "e.toml", std::string("name = \"seeds\"\nbits = [16]\nseeds = [1, 2, 3]\nthreads = 1\n") +
                                   kTinyDataset +
                                   "[[methods]]\nname = \"cca\"\n[[methods]]\nname = \"seph-rnd\"\n[methods.params]\n"
                                   "max_train = 200\nanchors = 50\nkl_iterations = 20\nklr_iterations = 20\n");
    run_ok(kExe + " run " + (dir / "e.toml") + " --db " + a + " --threads 1");
    run_ok(kExe + " run " + (dir / "e.toml") + " --db " + b + " --threads 2");
  }
  std::string key(const std::string& method, int seed) const {
    for (const auto& r : plots::read_reference(ref))
      if (r.method == method)
        for (size_t i = 0; i < r.seeds.size(); ++i)
          if (r.seeds[i] == seed) return r.cell_keys[i];
    FAIL("no " << method << " seed " << seed << " in the reference");
    return {};
  }
};

}  // namespace cmh::test
