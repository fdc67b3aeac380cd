// `cmhbench eval`: the whole command on .mat files, good and bad.
#include <catch2/catch.hpp>

#include "io/mat_file.h"
#include "test_util.h"

using cmh::io::MatWriter;
using cmh::test::run_command;

namespace {

// The hand-computed case of metrics_test.cpp as a .mat in the reference code's layout
// (items are rows, codes in {−1,+1}); the same codes serve as both modalities.
void write_case(const std::string& path, bool corrupt_code = false, bool short_labels = false) {
  // q: 2×4 all −1 (bit 0); database 5×4. Column-major.
  std::vector<double> q(8, -1.0);
  const double db_rows[5][4] = {{1, 1, -1, -1}, {-1, -1, -1, -1}, {1, -1, -1, -1}, {-1, -1, -1, -1}, {1, 1, 1, 1}};
  std::vector<double> db(20);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 4; ++j) db[j * 5 + i] = db_rows[i][j];
  if (corrupt_code) db[3] = 0.5;
  const double ql_rows[2][3] = {{1, 0, 0}, {0, 0, 1}};
  const double dl_rows[5][3] = {{1, 0, 0}, {0, 1, 0}, {1, 1, 0}, {1, 0, 0}, {0, 0, 0}};
  std::vector<double> ql(6), dl(15);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) ql[j * 2 + i] = ql_rows[i][j];
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 3; ++j) dl[j * 5 + i] = dl_rows[i][j];
  MatWriter w(path);
  w.write("q_img", {2, 4}, q.data());
  w.write("q_txt", {2, 4}, q.data());
  w.write("r_img", {5, 4}, db.data());
  w.write("r_txt", {5, 4}, db.data());
  w.write("q_label", {2, 3}, ql.data());
  if (short_labels)
    w.write("r_label", {4, 3}, dl.data());
  else
    w.write("r_label", {5, 3}, dl.data());
}

}  // namespace

TEST_CASE("eval prints all four directions with the hand-computed mAP", "[cli]") {
  cmh::test::TempDir dir;
  write_case(dir / "codes.mat");
  auto r = run_command(std::string(CMHBENCH_EXE) + " eval " + (dir / "codes.mat") + " --json --threads 2");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* d : {"\"i2t\"", "\"t2i\"", "\"i2i\"", "\"t2t\""}) CHECK(r.output.find(d) != std::string::npos);
  // (23/36)/2 = 0.31944444444444442
  CHECK(r.output.find("\"map\":0.3194444444444444") != std::string::npos);
  // The store's metric names (eval/metric_names.h), so a value can be looked up in `check`.
  for (const char* name : {"\"map@50\":", "\"map_at_k_reference@50\":", "\"p@r2\":", "\"topn\":", "\"pr\":"})
    CHECK(r.output.find(name) != std::string::npos);
  auto text = run_command(std::string(CMHBENCH_EXE) + " eval " + (dir / "codes.mat"));
  CHECK(text.exit_code == 0);
  CHECK(text.output.find("map 0.3194") != std::string::npos);
  CHECK(text.output.find("p@r2 ") != std::string::npos);
}

TEST_CASE("eval refuses bad input with a clear message and exit status 2", "[cli]") {
  cmh::test::TempDir dir;
  const std::string exe = CMHBENCH_EXE;
  SECTION("missing file") {
    auto r = run_command(exe + " eval " + (dir / "none.mat"));
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("none.mat") != std::string::npos);
  }
  SECTION("a named variable that is not there") {
    write_case(dir / "c.mat");
    auto r = run_command(exe + " eval " + (dir / "c.mat") + " --q-img B_img");
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("'B_img'") != std::string::npos);
    CHECK(r.output.find("q_img") != std::string::npos);  // lists the variables present
  }
  SECTION("label rows that do not match the code rows") {
    write_case(dir / "c.mat", false, true);
    auto r = run_command(exe + " eval " + (dir / "c.mat"));
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("r_label") != std::string::npos);
    CHECK(r.output.find("5 items") != std::string::npos);
  }
  SECTION("non-binary codes") {
    write_case(dir / "c.mat", true);
    auto r = run_command(exe + " eval " + (dir / "c.mat"));
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("binary") != std::string::npos);
  }
  SECTION("an unknown option") {
    write_case(dir / "c.mat");
    auto r = run_command(exe + " eval " + (dir / "c.mat") + " --bogus");
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("bogus") != std::string::npos);
  }
}
