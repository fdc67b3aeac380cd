// External methods end to end through the cmhbench executable: a program's cell lands like any
// other; every way a program fails gives a failed cell with the reason and the log's last lines
// and stores nothing; timeouts and SIGINT take the whole process group; no shell, a clean
// environment; the files' hash is part of the key; the shipped Python examples (NumPy CCA equals
// the C++ CCA; the PyTorch DCMH learns) where python3 has NumPy, SciPy and PyTorch.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "common/json_value.h"
#include "data/declaration.h"
#include "eval/metrics.h"
#include "experiment.h"
#include "io/mat_file.h"
#include "harness/harness_test_util.h"
#include "skip.h"
#include "sqlite_query.h"
#include "test_util.h"
#include "test_methods.h"

using cmh::test::query;
using cmh::test::run_command;

namespace {

const std::string kExe = CMHBENCH_EXE;
const std::string kFake = CMH_FAKE_PROGRAM;
const std::string kPython = CMH_TEST_PYTHON;
const std::string kExamples = std::string(CMH_SOURCE_DIR) + "/methods/external/python";

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// The tiny synthetic set, one external entry with `params` (TOML lines), bits [8], seed 1.
std::string experiment(const std::string& params, const std::string& more = "", const std::string& bits = "[8]") {
  return "name = \"ext\"\nbits = " + bits + "\nseeds = [1]\nthreads = 1\n" + cmh::test::kTinyDataset +
         "\n[[methods]]\nname = \"external\"\nlabel = \"prog\"\n[methods.params]\n" + params + "\n" + more;
}

std::string fake(const std::string& mode, const std::string& arg = "") {
  return "command = [" + quoted(kFake) + ", " + quoted(mode) + (arg.empty() ? "" : ", " + quoted(arg)) + "]\n";
}

std::string one(const std::string& db, const std::string& sql) {
  const auto r = query(db, sql);
  return r.empty() ? "" : r.front();
}

// Gone, or a zombie waiting for init to reap it (killed): polled for up to 5 s, since SIGKILL
// takes effect asynchronously.
bool process_gone(pid_t pid) {
  for (int i = 0; i < 100; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return true;
    std::string pid_field, name, state;
    stat >> pid_field >> name >> state;
    if (state == "Z" || state == "X") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// In the environment the program gets (no PYTHONPATH of the test's), so that a module found here
// is one the program finds too.
bool has_python_modules(const std::string& modules) {
  return run_command("env -i HOME=\"$HOME\" PATH=/usr/bin:/bin " + quoted(kPython) + " -c 'import " + modules + "'")
             .exit_code == 0;
}

}  // namespace

TEST_CASE("an external program's cell lands like any other: codes evaluated, epochs, provenance, log", "[external]") {
  cmh::test::TempDir dir;
  cmh::test::write_file(dir / "e.toml", experiment(fake("ok") + "hyper = { lr = 0.5, name = \"x\" }"));
  const std::string db = dir / "r.sqlite";
  const auto r = run_command(kExe + " run " + (dir / "e.toml") + " --db " + db);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  REQUIRE(one(db, "select status from runs") == "done");
  // Evaluated like any cell: four directions, curves; the label-following codes beat chance (≈0.53 here).
  CHECK(one(db, "select count(distinct direction) from metrics") == "4");
  CHECK(std::stod(one(db, "select value from metrics where name='map' and direction='i2t'")) > 0.6);
  CHECK(one(db, "select count(*) from curves where kind='pr'") != "0");
  // Its progress lines are epochs; its version line and command are provenance; a bad line is named.
  CHECK(query(db, "select epoch || ':' || term || '=' || value from epochs order by epoch") ==
        std::vector<std::string>{"1:loss=1.0", "2:loss=0.5"});
  const std::string versions = one(db, "select library_versions_json from runs");
  CHECK(versions.find("\"version\":\"fake_program 1 (ok)\"") != std::string::npos);
  CHECK(versions.find("\"hand_over\":") != std::string::npos);
  const std::string protocol = one(db, "select protocol_json from runs");
  CHECK(protocol.find("progress line(s) were neither an epoch") != std::string::npos);
  CHECK(protocol.find("this line is not JSON") != std::string::npos);
  CHECK(one(db, "select params_json from runs").find("\"hyper\":{\"lr\":0.5,\"name\":\"x\"}") != std::string::npos);
  const std::string key = one(db, "select cell_key from runs");
  CHECK(std::filesystem::exists(db + ".logs/" + key + ".log"));
  // The request and codes were scratch: gone with the finished cell.
  CHECK(!std::filesystem::exists(db + ".ckpt/" + key));
}

TEST_CASE("each way an external program fails gives a failed cell with its reason and log, and stores nothing",
          "[external]") {
  struct Case {
    std::string mode, expect;
  };
  const std::vector<Case> cases = {
      {"exit3", "exited with status 3"},
      {"crash", "killed by signal 11"},
      {"nocodes", "wrote no codes file"},
      {"truncated", "is truncated or corrupt"},
      {"shape", "but the query set needs"},
      {"nan", "holds the value nan"},
      {"half", "holds the value 0.5"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.mode) {
      cmh::test::TempDir dir;
      cmh::test::write_file(dir / "e.toml", experiment(fake(c.mode)));
      const std::string db = dir / "r.sqlite";
      const auto r = run_command(kExe + " run " + (dir / "e.toml") + " --db " + db);
      INFO(r.output);
      CHECK(r.exit_code == 1);
      CHECK(one(db, "select status from runs") == "failed");
      const std::string error = one(db, "select error from runs");
      INFO(error);
      CHECK(error.find(c.expect) != std::string::npos);
      CHECK(error.find("last lines of its log") != std::string::npos);
      if (c.mode == "exit3") CHECK(error.find("the optimiser diverged at step 7") != std::string::npos);
      for (const char* table : {"metrics", "curves", "epochs"}) CHECK(one(db, std::string("select count(*) from ") + table) == "0");
    }
  }
}

TEST_CASE("an external program past its timeout is killed with its whole process group", "[external]") {
  cmh::test::TempDir dir;
  cmh::test::write_file(dir / "e.toml", experiment(fake("hang", dir / "grandchild.pid") + "timeout = \"4s\""));
  const std::string db = dir / "r.sqlite";
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_command(kExe + " run " + (dir / "e.toml") + " --db " + db);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(took < 40);  // 4 s, then SIGTERM ends both at once
  CHECK(one(db, "select error from runs").find("ran past its timeout (timeout = \"4s\")") != std::string::npos);
  const std::string pid_text = cmh::test::read_file(dir / "grandchild.pid");
  REQUIRE(!pid_text.empty());  // the stand-in writes it first thing after its grandchild starts
  CHECK(process_gone(std::stoi(pid_text)));
}

TEST_CASE("SIGINT of cmhbench run reaches the external program, fails its cell and stops the run", "[external]") {
  cmh::test::TempDir dir;
  const std::string marker = dir / "sigint";
  cmh::test::write_file(dir / "e.toml", experiment(fake("wait-sigint", marker), "", "[8, 16]"));
  const std::string db = dir / "r.sqlite", exp = dir / "e.toml";
  const pid_t child = cmh::test::spawn(kExe, {"run", exp, "--db", db}, "/dev/null");
  REQUIRE(child >= 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!std::filesystem::exists(marker + ".started") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(std::filesystem::exists(marker + ".started"));
  kill(child, SIGINT);
  int status = 0;
  waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK(cmh::test::read_file(marker) == "SIGINT\n");  // forwarded to the program
  CHECK(query(db, "select status from runs") == std::vector<std::string>{"failed"});  // the second cell never started
  CHECK(one(db, "select error from runs").find("asked to stop") != std::string::npos);
  // A later run starts the failed cell again.
  CHECK(query(db, "select count(*) from metrics") == std::vector<std::string>{"0"});
}

TEST_CASE("pixels in a declared file are handed over where they lie, not copied (unless asked)", "[external]") {
  cmh::test::TempDir dir;
  const std::string mat = dir / "dcmh.mat";
  const auto synth = run_command(kExe + " data synth --out " + mat + " --n 300 --image pixels --size 16");
  INFO(synth.output);
  REQUIRE(synth.exit_code == 0);
  const std::string dataset = "[[datasets]]\nname = \"pix\"\n[datasets.labels]\nfile = \"dcmh.mat\"\nvariable = \"LAll\"\n"
                              "[datasets.text]\nfile = \"dcmh.mat\"\nvariable = \"YAll\"\n"
                              "[datasets.image]\nfile = \"dcmh.mat\"\nvariable = \"IAll\"\nkind = \"pixels\"\npixel_layout = \"hwcn\"\n"
                              "[datasets.protocol]\nseed = 1\nquery = 50\ntrain = 150\n";
  for (const std::string pixels : {"as_declared", "materialise"}) {
    INFO(pixels);
    cmh::test::write_file(dir / "e.toml", "name = \"pix\"\nbits = [8]\nseeds = [1]\nthreads = 1\n" + dataset +
                                              "[[methods]]\nname = \"external\"\n[methods.params]\n" + fake("request") +
                                              "pixels = \"" + pixels + "\"\n");
    const std::string db = dir / (pixels + ".sqlite");
    const auto r = run_command(kExe + " run " + (dir / "e.toml") + " --db " + db);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const cmh::JsonValue req = cmh::JsonValue::parse(cmh::test::read_file(dir / "request.json"));
    const cmh::JsonValue& image = req["data"]["image"];
    const cmh::JsonValue& labels = req["data"]["labels"];
    std::vector<double> dims;
    for (const auto& d : image["dims"].items()) dims.push_back(d.num());
    CHECK(image["kind"].str() == "pixels");
    CHECK(req["items"]["query"].items().size() == 50);
    CHECK(req["items"]["database"].items().size() == 250);
    const std::string handed = labels["file"].str();  // labels are always materialised
    CHECK(handed.find(".ckpt/external-data/pix-") != std::string::npos);
    if (pixels == "as_declared") {
      CHECK(std::filesystem::equivalent(image["file"].str(), mat));
      CHECK(image["variable"].str() == "IAll");
      CHECK(image["axes"].str() == "hwcn");
      CHECK(dims == std::vector<double>{16, 16, 3, 300});
      CHECK(!cmh::io::MatReader(handed).has("image"));  // no copy
    } else {
      CHECK(image["file"].str() == handed);
      CHECK(image["axes"].str() == "whcn");
      CHECK(dims == std::vector<double>{16, 16, 3, 300});
      CHECK(cmh::io::MatReader(handed).info("image").shape() == "16x16x3x300");
    }
    std::filesystem::rename(dir / "request.json", dir / ("request-" + pixels + ".json"));
  }
  // The Python helper reads both hand-overs as the same items-first array.
  if (!has_python_modules("numpy, scipy.io")) CMH_SKIP(kPython << " has no NumPy/SciPy: the helper's part is not checked");
  cmh::test::write_file(dir / "same.py", "import sys\nsys.path.insert(0, sys.argv[1])\nfrom cmhbench_external import Request\n"
                                          "a = Request(sys.argv[2]).array('image'); b = Request(sys.argv[3]).array('image')\n"
                                          "l = Request(sys.argv[2]).array('labels')\n"
                                          "print(a.shape, b.shape, l.shape, a.dtype, (a == b).all())\n");
  const auto py = run_command(quoted(kPython) + " " + (dir / "same.py") + " " + kExamples + " " + (dir / "request-as_declared.json") +
                              " " + (dir / "request-materialise.json"));
  INFO(py.output);
  CHECK(py.exit_code == 0);
  CHECK(py.output.find("(300, 3, 16, 16) (300, 3, 16, 16) (300, 24) uint8 True") != std::string::npos);
}

TEST_CASE("an external program gets its argv without a shell and a clean environment", "[external]") {
  cmh::test::TempDir dir;
  const std::string evil1 = "$(touch " + (dir / "injected1") + ")", evil2 = "; touch " + (dir / "injected2");
  cmh::test::write_file(dir / "e.toml", experiment("command = [" + quoted(kFake) + ", \"record\", " + quoted(evil1) +
                                                   ", " + quoted(evil2) + "]\npass_env = [\"CMH_PASSED\"]\n"));
  const std::string db = dir / "r.sqlite";
  const auto r = run_command("CMH_SECRET=1 CMH_PASSED=yes " + kExe + " run " + (dir / "e.toml") + " --db " + db);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  // The program ran in the experiment file's folder and saw its arguments exactly as written.
  const std::string args = cmh::test::read_file(dir / "args.txt");
  CHECK(args == kFake + "\nrecord\n" + evil1 + "\n" + evil2 + "\n");
  CHECK(!std::filesystem::exists(dir / "injected1"));
  CHECK(!std::filesystem::exists(dir / "injected2"));
  const std::string env = cmh::test::read_file(dir / "env.txt");
  CHECK(env.find("CMH_SECRET") == std::string::npos);
  CHECK(env.find("CMH_PASSED=yes\n") != std::string::npos);
  CHECK(env.find("CMHBENCH_REQUEST=") != std::string::npos);
  CHECK(env.find("OMP_NUM_THREADS=1\n") != std::string::npos);  // the experiment's thread count
}

TEST_CASE("an external entry's files and pass-through parameters are part of its cell key, its timeout is not",
          "[external]") {
  cmh::test::TempDir dir;
  std::filesystem::create_directories(dir / "prog");
  cmh::test::write_file(dir / "prog/m.py", "print(1)\n");
  auto key = [&](const std::string& params) {
    cmh::test::write_file(dir / "e.toml", experiment(fake("ok") + "files = [\"prog/\"]\n" + params));
    return cmh::expand_cells(cmh::load_experiment(cmh::test::methods(), dir / "e.toml")).front().key;
  };
  const std::string base = key("");
  CHECK(key("timeout = \"5h\"") == base);
  CHECK(key("hyper = { epochs = 3 }") != base);
  CHECK(key("hyper = { epochs = 3, lr = 0.1 }") == key("[methods.params.hyper]\nlr = 0.1\nepochs = 3"));  // order-free
  cmh::test::write_file(dir / "prog/m.py", "print(2)\n");
  CHECK(key("") != base);
  // __pycache__ is not the program: a run that writes it changes nothing.
  std::filesystem::create_directories(dir / "prog/__pycache__");
  cmh::test::write_file(dir / "prog/__pycache__/m.cpython-311.pyc", "bytes");
  cmh::test::write_file(dir / "prog/m.py", "print(1)\n");
  CHECK(key("") == base);
}

TEST_CASE("plan lists every program an experiment file would start, and a missing one stops the run before anything runs",
          "[external]") {
  cmh::test::TempDir dir;
  cmh::test::write_file(dir / "e.toml", experiment(fake("ok")));
  const auto plan = run_command(kExe + " plan " + (dir / "e.toml") + " --db " + (dir / "r.sqlite"));
  INFO(plan.output);
  CHECK(plan.exit_code == 0);
  CHECK(plan.output.find("programs this file starts") != std::string::npos);
  CHECK(plan.output.find("[" + quoted(kFake) + ", \"ok\"] in " + dir.path.string()) != std::string::npos);
  CHECK(!std::filesystem::exists(dir / "r.sqlite"));

  for (const auto& [params, expect] : std::vector<std::pair<std::string, std::string>>{
           {"command = [\"no-such-program-cmh\"]", "cannot start 'no-such-program-cmh': no executable of that name on PATH"},
           {"command = []", "'command' is empty"},
           {fake("ok") + "timeout = \"soon\"", "timeout \"soon\" is not a duration"},
           {fake("ok") + "files = [\"missing/\"]", "'files' names 'missing/', which does not exist"},
           {"command = \"python3 m.py\"", "parameter 'command' must be list of strings"},
           {fake("ok") + "hyper = { lr = nan }", "holds inf, nan or a date, which JSON cannot carry"},
           {fake("ok") + "hyper = { when = 1979-05-27 }", "holds inf, nan or a date"}}) {
    cmh::test::write_file(dir / "bad.toml", experiment(params));
    const auto r = run_command(kExe + " run " + (dir / "bad.toml") + " --db " + (dir / "bad.sqlite"));
    INFO(params << "\n" << r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(expect) != std::string::npos);
    CHECK(!std::filesystem::exists(dir / "bad.sqlite"));
  }
}

TEST_CASE("the NumPy CCA example gives the C++ cca's mAP to 1e-4 on the same split", "[external][python]") {
  if (!has_python_modules("numpy, scipy.io")) CMH_SKIP(kPython << " has no NumPy/SciPy (Debian: python3-numpy python3-scipy)");
  cmh::test::TempDir dir;
  const std::string script = kExamples + "/cca_numpy.py";
  cmh::test::write_file(dir / "e.toml",
                        experiment("command = [" + quoted(kPython) + ", " + quoted(script) + "]\n", "[[methods]]\nname = \"cca\"\n",
                                   "[8, 16, 32]"));
  const std::string db = dir / "r.sqlite";
  const auto r = run_command(kExe + " run " + (dir / "e.toml") + " --db " + db);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto rows = query(db, "select r.bits || ' ' || m.direction || ' ' || m.name || ' ' || "
                              "abs(m.value - (select m2.value from metrics m2 join runs r2 on r2.id = m2.run_id "
                              "where r2.method = 'cca' and r2.bits = r.bits and m2.direction = m.direction and m2.name = m.name)) "
                              "from metrics m join runs r on r.id = m.run_id where r.method = 'prog' and "
                              "(m.name = 'map' or m.name like 'map@%')");
  REQUIRE(rows.size() == 3 * 4 * 5);  // 3 lengths × 4 directions × (mAP and 4 mAP@R)
  for (const auto& row : rows) {
    INFO(row);
    CHECK(std::stod(row.substr(row.rfind(' ') + 1)) < 1e-4);
  }
}

TEST_CASE("the PyTorch example (pairwise likelihood) learns: clearly above random codes", "[external][python]") {
  if (!has_python_modules("numpy, scipy.io, torch")) CMH_SKIP(kPython << " has no NumPy/SciPy/PyTorch (Debian: python3-torch)");
  cmh::test::TempDir dir;
  const std::string script = kExamples + "/pairwise_torch.py";
  cmh::test::write_file(dir / "e.toml", experiment("command = [" + quoted(kPython) + ", " + quoted(script) + "]\n"
                                                   "hyper = { epochs = 10 }\n", "", "[16]"));
  const std::string db = dir / "r.sqlite";
  const auto r = run_command(kExe + " run " + (dir / "e.toml") + " --db " + db);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(one(db, "select count(*) from epochs where term = 'likelihood'") == "10");
  // Chance on this split: the highest mAP of 10 draws of random 16-bit codes.
  const auto e = cmh::load_experiment(cmh::test::methods(), dir / "e.toml");
  const auto data = cmh::data::load_dataset(e.datasets.front().declaration);
  const auto split = cmh::data::make_split(data, e.datasets.front().declaration);
  const auto labels = cmh::eval::PackedBits::labels(data.labels.data(), data.n, static_cast<int>(data.num_labels));
  const auto ql = labels.select(split.query), dl = labels.select(split.database);
  std::mt19937 rng(5);
  double chance = 0;
  for (int draw = 0; draw < 10; ++draw) {
    auto codes = [&](size_t n) {
      std::vector<float> v(n * 16);
      for (auto& x : v) x = (rng() & 1) ? 1.f : -1.f;
      return cmh::eval::PackedBits::from_real(v.data(), n, 16);
    };
    chance = std::max(chance, cmh::eval::mean_average_precision(codes(ql.size()), codes(dl.size()), ql, dl, 1));
  }
  for (const char* dir_name : {"i2t", "t2i"}) {
    const double map = std::stod(one(db, std::string("select value from metrics where name='map' and direction='") + dir_name + "'"));
    INFO(dir_name << ": mAP " << map << ", highest of 10 random draws " << chance);
    CHECK(map > chance + 0.03);
  }
}
