// Malformed input, one TEST_CASE per row of the README's "Failure behaviour" table: each bad
// experiment file, dataset declaration, .mat file or database path is refused by `cmhbench run`
// with one message on stderr that names the input and the fix, exit status 2, and nothing
// written to the store.
#include <matio.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <limits>

#include "hardening_util.h"

using namespace cmh::test;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// A folder with a valid data.mat, d.toml and e.toml; each test breaks one thing.
struct Inputs {
  TempDir dir;
  SmallData data{120};
  std::string db = dir / "r.sqlite";
  Inputs() {
    data.write(dir / "data.mat");
    write_text(dir / "d.toml", declaration());
    write_text(dir / "e.toml", experiment());
  }
  std::string path(const std::string& name) const { return dir / name; }
  CliResult run(const std::string& extra = "", const std::string& prefix = "") const {
    return cmhbench("run " + path("e.toml") + " --db " + db + " " + extra, prefix);
  }
};

/// The store holds no run and no metric (or does not exist).
bool store_is_empty(const std::string& db) {
  if (!std::filesystem::exists(db)) return true;
  return count(db, "select count(*) from runs") == 0 && count(db, "select count(*) from metrics") == 0;
}

/// Exit status 2, one error message naming every `part`, nothing in the store.
void check_refused(const CliResult& r, const std::string& db, const std::vector<std::string>& parts) {
  INFO("exit " << r.exit_code << " signal " << r.signal << "\nstderr:\n" << r.err << "stdout:\n" << r.out);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 2);
  // One message: a single "error:" line, and no "FAILED" cell.
  size_t errors = 0;
  for (size_t at = r.err.find("error: "); at != std::string::npos; at = r.err.find("error: ", at + 1)) ++errors;
  CHECK(errors == 1);
  CHECK_FALSE(contains(r.err, "FAILED"));
  for (const auto& p : parts) {
    INFO("expected in stderr: " << p);
    CHECK(contains(r.err, p));
  }
  CHECK(store_is_empty(db));
}

/// Writes a variable of any matio class into an existing .mat file.
void add_variable(const std::string& mat_path, const char* name, matio_classes cls, matio_types type,
                  std::vector<size_t> dims, void* data) {
  mat_t* mat = Mat_Open(mat_path.c_str(), MAT_ACC_RDWR);
  REQUIRE(mat);
  matvar_t* v = Mat_VarCreate(name, cls, type, static_cast<int>(dims.size()), dims.data(), data, MAT_F_DONT_COPY_DATA);
  REQUIRE(v);
  REQUIRE(Mat_VarWrite(mat, v, MAT_COMPRESSION_NONE) == 0);
  Mat_VarFree(v);
  Mat_Close(mat);
}

}  // namespace

TEST_CASE("control: the unbroken inputs run and store one cell", "[hardening][input]") {
  Inputs in;
  const auto r = in.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(count(in.db, "select count(*) from runs where status = 'done'") == 1);
  CHECK(count(in.db, "select count(*) from metrics") > 0);
}

// ---- experiment files ----------------------------------------------------------------------

TEST_CASE("bad input: experiment file missing", "[hardening][input]") {
  Inputs in;
  const auto r = cmhbench("run " + in.path("nothere.toml") + " --db " + in.db);
  check_refused(r, in.db, {"nothere.toml", "file not found", "experiments/"});
}

TEST_CASE("bad input: truncated experiment file", "[hardening][input]") {
  Inputs in;
  const std::string full = experiment();
  write_text(in.path("e.toml"), full.substr(0, full.find("declaration") + 20));  // cut inside a string
  check_refused(in.run(), in.db, {"e.toml", "TOML syntax error at line"});
}

TEST_CASE("bad input: empty experiment file", "[hardening][input]") {
  Inputs in;
  write_text(in.path("e.toml"), "");
  check_refused(in.run(), in.db, {"e.toml", "missing 'name'", "e.g. name ="});
}

TEST_CASE("bad input: bits = 0", "[hardening][input]") {
  Inputs in;
  write_text(in.path("e.toml"), experiment("d.toml", "[0]"));
  check_refused(in.run(), in.db, {"e.toml", "'bits' value 0", "outside 1..1024"});
}

TEST_CASE("bad input: bits > 1024", "[hardening][input]") {
  Inputs in;
  write_text(in.path("e.toml"), experiment("d.toml", "[16, 2048]"));
  check_refused(in.run(), in.db, {"e.toml", "'bits' value 2048", "outside 1..1024"});
}

TEST_CASE("bad input: bits is not a list", "[hardening][input]") {
  Inputs in;
  write_text(in.path("e.toml"), experiment("d.toml", "\"16\""));
  check_refused(in.run(), in.db, {"e.toml", "'bits' must be a list of integers", "e.g. bits = [16, 32, 64]"});
}

TEST_CASE("bad input: seeds is empty", "[hardening][input]") {
  Inputs in;
  write_text(in.path("e.toml"), experiment("d.toml", "[8]", "[]"));
  check_refused(in.run(), in.db, {"e.toml", "'seeds' is empty", "give at least one value"});
}

TEST_CASE("bad input: unknown key in an experiment file", "[hardening][input]") {
  Inputs in;
  write_text(in.path("e.toml"), "bit = [8]\n" + experiment());
  check_refused(in.run(), in.db, {"e.toml", "unknown key 'bit'", "valid keys:"});
}

TEST_CASE("bad input: unknown method parameter", "[hardening][input]") {
  Inputs in;
  write_text(in.path("e.toml"), experiment("d.toml", "[8]", "[1]", "[methods.params]\nregg = 0.1\n"));
  check_refused(in.run(), in.db, {"e.toml", "no parameter 'regg'", "its parameters are:", "reg"});
}

TEST_CASE("bad input: NaN method parameter", "[hardening][input]") {
  Inputs in;
  write_text(in.path("e.toml"), experiment("d.toml", "[8]", "[1]", "[methods.params]\nreg = nan\n"));
  check_refused(in.run(), in.db, {"e.toml", "'reg' is not finite", "give a finite number"});
}

TEST_CASE("bad input: method parameter of the wrong type", "[hardening][input]") {
  Inputs in;
  write_text(in.path("e.toml"), experiment("d.toml", "[8]", "[1]", "[methods.params]\nreg = \"big\"\n"));
  check_refused(in.run(), in.db, {"e.toml", "'reg' must be real", "\"big\""});
}

TEST_CASE("bad input: one method twice without labels", "[hardening][input]") {
  Inputs in;
  write_text(in.path("e.toml"), experiment() + "[[methods]]\nname = \"cca\"\n");
  check_refused(in.run(), in.db, {"e.toml", "label 'cca' appears twice", "its own 'label'"});
}

// ---- dataset declarations ------------------------------------------------------------------

TEST_CASE("bad input: unknown key in a dataset declaration", "[hardening][input]") {
  Inputs in;
  std::string d = declaration();
  d.replace(d.find("variable = \"YAll\""), 8, "varaible");
  write_text(in.path("d.toml"), d);
  check_refused(in.run(), in.db, {"d.toml", "[text]", "unknown key 'varaible'", "valid keys:"});
}

TEST_CASE("bad input: query set larger than the dataset", "[hardening][input]") {
  Inputs in;
  write_text(in.path("d.toml"), declaration("data.mat", "LAll", "YAll", "XAll", 150, 60));
  check_refused(in.run(), in.db, {"d.toml", "[protocol]", "150 query", "hold 120", "lower query/train"});
}

TEST_CASE("bad input: a one-item dataset", "[hardening][input]") {
  Inputs in;
  SmallData(1).write(in.path("one.mat"));
  write_text(in.path("d.toml"), declaration("one.mat", "LAll", "YAll", "XAll", 1, 1));
  check_refused(in.run(), in.db, {"d.toml", "[protocol]", "hold 1", "lower query/train"});
}

TEST_CASE("bad input: pixels declared on a variable that is not uint8", "[hardening][input]") {
  Inputs in;
  write_text(in.path("d.toml"), declaration("data.mat", "LAll", "YAll", "XAll", 20, 60,
                                            "kind = \"pixels\"\npixel_layout = \"nchw\"\n"));
  check_refused(in.run(), in.db, {"d.toml", "[image]", "'XAll'", "class single", "uint8(...)"});
}

// ---- .mat files ----------------------------------------------------------------------------

TEST_CASE("bad input: .mat variable missing", "[hardening][input]") {
  Inputs in;
  write_text(in.path("d.toml"), declaration("data.mat", "LAll", "YAll", "Ximg"));
  check_refused(in.run(), in.db, {"data.mat", "no variable 'Ximg'", "it holds: LAll, YAll, XAll"});
}

TEST_CASE("bad input: .mat variable of the wrong class (char labels)", "[hardening][input]") {
  Inputs in;
  std::string text(120 * 6, 'x');
  add_variable(in.path("data.mat"), "Lchar", MAT_C_CHAR, MAT_T_UINT8, {120, 6}, text.data());
  write_text(in.path("d.toml"), declaration("data.mat", "Lchar"));
  check_refused(in.run(), in.db, {"data.mat", "[labels]", "'Lchar'", "class char", "numeric or logical array"});
}

TEST_CASE("bad input: .mat variable of the wrong class (a cell array)", "[hardening][input]") {
  Inputs in;
  {
    mat_t* mat = Mat_Open(in.path("data.mat").c_str(), MAT_ACC_RDWR);
    REQUIRE(mat);
    size_t dims[2] = {1, 1};
    matvar_t* cell = Mat_VarCreate("Ycell", MAT_C_CELL, MAT_T_CELL, 2, dims, nullptr, 0);
    double one = 1;
    matvar_t* inner = Mat_VarCreate(nullptr, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims, &one, 0);
    Mat_VarSetCell(cell, 0, inner);
    REQUIRE(Mat_VarWrite(mat, cell, MAT_COMPRESSION_NONE) == 0);
    Mat_VarFree(cell);
    Mat_Close(mat);
  }
  write_text(in.path("d.toml"), declaration("data.mat", "LAll", "Ycell"));
  check_refused(in.run(), in.db, {"data.mat", "[text]", "'Ycell'", "class cell", "name another variable"});
}

TEST_CASE("bad input: 0x0 matrix", "[hardening][input]") {
  Inputs in;
  double none = 0;
  add_variable(in.path("data.mat"), "Yempty", MAT_C_DOUBLE, MAT_T_DOUBLE, {0, 0}, &none);
  write_text(in.path("d.toml"), declaration("data.mat", "LAll", "Yempty"));
  check_refused(in.run(), in.db, {"data.mat", "'Yempty'", "is empty (0x0)", "name the variable that holds the data"});
}

TEST_CASE("bad input: 3-D feature array", "[hardening][input]") {
  Inputs in;
  std::vector<double> cube(120 * 4 * 2, 0.5);
  add_variable(in.path("data.mat"), "Ycube", MAT_C_DOUBLE, MAT_T_DOUBLE, {120, 4, 2}, cube.data());
  write_text(in.path("d.toml"), declaration("data.mat", "LAll", "Ycube"));
  check_refused(in.run(), in.db, {"'Ycube'", "120x4x2", "2-D matrix", "kind = \"pixels\""});
}

TEST_CASE("bad input: NaN feature", "[hardening][input]") {
  Inputs in;
  SmallData d(120);
  d.text[5 * d.text_dim + 3] = std::numeric_limits<double>::quiet_NaN();
  d.write(in.path("data.mat"));
  check_refused(in.run(), in.db, {"data.mat", "'YAll'", "item 5, feature 3", "replace NaN/Inf"});
}

TEST_CASE("bad input: Inf feature", "[hardening][input]") {
  Inputs in;
  SmallData d(120);
  d.image[7 * d.image_dim] = -std::numeric_limits<float>::infinity();
  d.write(in.path("data.mat"));
  check_refused(in.run(), in.db, {"data.mat", "'XAll'", "item 7, feature 0", "replace NaN/Inf"});
}

TEST_CASE("bad input: non-binary labels", "[hardening][input]") {
  Inputs in;
  SmallData d(120);
  d.labels[9 * d.num_labels + 2] = 2;
  d.write(in.path("data.mat"));
  check_refused(in.run(), in.db, {"data.mat", "'LAll'", "holds 2 at item 9, label 2", "must be 0/1",
                                  "encoding = \"class_index\""});
}

TEST_CASE("bad input: mismatched rows between labels and a modality", "[hardening][input]") {
  Inputs in;
  SmallData d(119);
  add_variable(in.path("data.mat"), "Yshort", MAT_C_DOUBLE, MAT_T_DOUBLE, {119, d.text_dim},
               col_major(d.text, 119, d.text_dim).data());
  write_text(in.path("d.toml"), declaration("data.mat", "LAll", "Yshort"));
  check_refused(in.run(), in.db, {"data.mat", "'Yshort' has 119 items", "have 120", "same items in the same order"});
}

TEST_CASE("bad input: truncated .mat file", "[hardening][input]") {
  Inputs in;
  const std::string bytes = read_file(in.path("data.mat"));
  write_text(in.path("data.mat"), bytes.substr(0, bytes.size() - 200));  // the end of XAll is cut off
  check_refused(in.run(), in.db, {"data.mat", "truncated or corrupt", "copy or download it again"});
}

TEST_CASE("bad input: a file that is not a .mat file", "[hardening][input]") {
  Inputs in;
  write_text(in.path("data.mat"), "LAll,YAll,XAll\n1,2,3\n");
  check_refused(in.run(), in.db, {"data.mat", "cannot open", "as a MATLAB .mat file"});
}

// ---- the database ----------------------------------------------------------------------------

TEST_CASE("bad input: unwritable database path", "[hardening][input]") {
  Inputs in;
  write_text(in.path("plain-file"), "not a folder");
  const std::string db = in.path("plain-file") + "/r.sqlite";
  const auto r = cmhbench("run " + in.path("e.toml") + " --db " + db);
  check_refused(r, db, {"plain-file", "is not a folder", "pick another path"});
}

TEST_CASE("bad input: database path is a folder", "[hardening][input]") {
  Inputs in;
  std::filesystem::create_directories(in.path("folder.sqlite"));
  const auto r = cmhbench("run " + in.path("e.toml") + " --db " + in.path("folder.sqlite"));
  check_refused(r, in.path("never.sqlite"), {"folder.sqlite", "is a folder", "give a file name"});
}

TEST_CASE("bad input: read-only database", "[hardening][input]") {
  Inputs in;
  REQUIRE(in.run().exit_code == 0);  // one done cell (8 bits)
  const std::string before = read_file(in.db);
  REQUIRE(chmod(in.db.c_str(), 0444) == 0);
  // root writes read-only files anyway: run as nobody, who cannot write the file or its folder.
  const std::string as = geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups" : "";
  write_text(in.path("e.toml"), experiment("d.toml", "[8, 16]"));  // one cell left to run
  const auto r = in.run("", as);
  INFO("exit " << r.exit_code << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "r.sqlite"));
  CHECK(contains(r.err, "is read-only"));
  CHECK(contains(r.err, "make it writable"));
  CHECK(read_file(in.db) == before);
  CHECK(count(in.db, "select count(*) from runs") == 1);
}

TEST_CASE("bad input: database file that is not a database", "[hardening][input]") {
  Inputs in;
  write_text(in.db, "results go here\n");
  const auto r = in.run();
  INFO("stderr:\n" << r.err);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "r.sqlite"));
  CHECK(contains(r.err, "not a database"));
  CHECK(contains(r.err, "check that it is a cmhbench store"));
  CHECK(read_file(in.db) == "results go here\n");
}

TEST_CASE("bad input: SQLite database of another program", "[hardening][input]") {
  Inputs in;
  {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(in.db.c_str(), &h) == SQLITE_OK);
    REQUIRE(sqlite3_exec(h, "create table notes (t text); insert into notes values ('mine')", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    sqlite3_close(h);
  }
  const auto r = in.run();
  INFO("stderr:\n" << r.err);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "r.sqlite"));
  CHECK(contains(r.err, "not a cmhbench store"));
  CHECK(contains(r.err, "pick another path"));
  CHECK(query(in.db, "select t from notes") == std::vector<std::string>{"mine"});
  CHECK(query(in.db, "select name from sqlite_master where name = 'runs'").empty());
}

TEST_CASE("bad input: --only with an unknown key", "[hardening][input]") {
  Inputs in;
  check_refused(in.run("--only bitz=8"), in.db, {"--only 'bitz=8'", "key one of: bits, dataset, label, method, seed"});
}
