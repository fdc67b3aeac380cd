// Experiment files: grids expand into keyed cells; mistakes are refused with clear messages.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "common/error.h"
#include "experiment.h"
#include "harness_test_util.h"
#include "test_methods.h"

using namespace cmh;

TEST_CASE("an experiment expands into method × bits × seed cells with stable keys", "[harness]") {
  const Experiment e = parse_experiment(test::methods(), test::tiny_experiment("t", "[8, 16]", "[1, 2]"), "t.toml", ".");
  const auto cells = expand_cells(e);
  REQUIRE(cells.size() == 2 * 2 * 2);
  std::set<std::string> keys;
  for (const auto& c : cells) keys.insert(c.key);
  CHECK(keys.size() == cells.size());
  CHECK(cells[0].method->params.real("reg") == Approx(1e-3));
  CHECK(cells[4].method->params.real("reg") == Approx(0.5));
  // The same text gives the same keys; another parameter value gives another key.
  const auto again = expand_cells(parse_experiment(test::methods(), test::tiny_experiment("t", "[8, 16]", "[1, 2]"), "t.toml", "."));
  CHECK(again[3].key == cells[3].key);
  CHECK(cells[0].key != cells[4].key);
  // Keys must not move between builds, machines or releases: results/reference/*.csv and every
  // user's store find their cells by key. Pinned literally (a change here re-runs every grid).
  INFO(cells[0].description_json);
  CHECK(cells[0].key == "890965bbed72dea4");
}

TEST_CASE("cell filters: --only and --shard", "[harness]") {
  const Experiment e = parse_experiment(test::methods(), test::tiny_experiment("t", "[8, 16]", "[1, 2]"), "t.toml", ".");
  const auto cells = expand_cells(e);
  auto count = [&](const CellFilter& f) {
    size_t n = 0;
    for (const auto& c : cells) n += f.accepts(c);
    return n;
  };
  CHECK(count(CellFilter::parse("bits=8", "")) == 4);
  CHECK(count(CellFilter::parse("label=cca,seed=2", "")) == 2);
  CHECK(count(CellFilter::parse("bits=8,bits=16", "")) == 8);
  CHECK(count(CellFilter::parse("", "0/3")) + count(CellFilter::parse("", "1/3")) + count(CellFilter::parse("", "2/3")) == 8);
  CHECK_THROWS_AS(CellFilter::parse("colour=red", ""), InputError);
  CHECK_THROWS_AS(CellFilter::parse("", "3/3"), InputError);
  CHECK_THROWS_AS(CellFilter::parse("", "x"), InputError);
}

TEST_CASE("malformed experiment files are refused with a message naming the mistake", "[harness]") {
  const std::string good = test::tiny_experiment();
  struct Bad {
    std::string text, expect;
  };
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const auto p = s.find(from);
    REQUIRE(p != std::string::npos);
    return s.replace(p, from.size(), to);
  };
  const std::vector<Bad> bad = {
      {replace("name = \"tiny\"\n", ""), "missing 'name'"},
      {replace("bits = [8, 16]", "bits = [0, 16]"), "'bits' value 0"},
      {replace("bits = [8, 16]", "bits = [2048]"), "outside 1..1024"},
      {replace("bits = [8, 16]", "bits = 16"), "'bits' must be a list"},
      {replace("bits = [8, 16]", "bits = []"), "'bits' is empty"},
      {replace("seeds = [1]", "seeds = [\"one\"]"), "'seeds' must hold integers"},
      {replace("threads = 1", "treads = 1"), "unknown key 'treads'"},
      {replace("name = \"cca\"\n[[methods]]", "name = \"ccaa\"\n[[methods]]"), "unknown method 'ccaa'"},
      {replace("reg = 0.5", "regularisation = 0.5"), "no parameter 'regularisation'"},
      {replace("reg = 0.5", "reg = \"big\""), "'reg' must be real"},
      {good + "[[methods]]\nname = \"cca\"\n", "label 'cca' appears twice"},
      {replace("name = \"tiny\"\n[datasets", "[datasets"), ""},  // dataset without a name: the data parser says so
      {replace("n = 600", "n = \"many\""), "n"},
      {replace("bits = [8, 16]", "bits = [8, 16"), "syntax error"},
      {replace("name = \"tiny\"\nbits", "name = \"a b\"\nbits"), "letters, digits"},
      {good + "[eval]\nmap_at = [10]\ncurves = true\n", "unknown key 'curves'"},
      {good + "selection = \"best_test\"\n", ""},  // a top-level key after tables lands in a table: still refused
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    INFO("case " << i << ":\n" << bad[i].text);
    try {
      parse_experiment(test::methods(), bad[i].text, "bad.toml", ".");
      FAIL("accepted a malformed experiment");
    } catch (const InputError& e) {
      const std::string msg = e.what();
      INFO(msg);
      CHECK(!msg.empty());
      if (!bad[i].expect.empty()) CHECK(msg.find(bad[i].expect) != std::string::npos);
    }
  }
}

// The committed experiments are part of the product: each must parse, and the papers' grids must
// name the settings the papers used. Weights files are looked for from the experiment file's
// folder and only checked for existence, so the experiments are read from a scratch copy (links
// to the committed files) beside empty stand-ins in its weights/.
TEST_CASE("every committed experiment parses, the paper grids use the papers' settings", "[harness]") {
  namespace fs = std::filesystem;
  const fs::path source = CMH_SOURCE_DIR;
  const fs::path scratch = fs::temp_directory_path() / ("cmh-exp-" + std::to_string(::getpid()));
  const fs::path experiments = scratch / "experiments";
  fs::create_directories(experiments);
  for (const auto& f : fs::directory_iterator(source / "experiments"))
    if (f.path().filename() != "weights") fs::create_symlink(f.path(), experiments / f.path().filename());
  fs::create_directory_symlink(source / "methods", scratch / "methods");  // external-example's programs
  const fs::path before = fs::current_path();
  fs::current_path(scratch);  // and not where the weights are: they are found from the experiment's folder
  // Without the weights the grids are refused before anything runs, naming the file.
  const std::string paper = (experiments / "paper-mirflickr.toml").string();
  CHECK_THROWS_WITH(load_experiment(test::methods(), paper), Catch::Contains("weights/resnet34-b627a593.pth") &&
                                                Catch::Contains("does not exist") &&
                                                Catch::Contains("experiment file's folder"));
  fs::create_directories(experiments / "weights");
  for (const char* w : {"resnet34-imagenet.pt", "cnnf-imagenet.pt", "resnet34-b627a593.pth", "imagenet-vgg-f.mat"})
    std::ofstream(experiments / "weights" / w).put('\0');
  fs::create_directories(scratch / "weights");  // a stand-in in the working directory is not taken instead
  std::ofstream(scratch / "weights" / "unused.pt").put('\0');
  CHECK_THROWS_WITH(parse_experiment(test::methods(), "name = \"w\"\nbits = [16]\nseeds = [1]\n[[datasets]]\ndeclaration = \"datasets/synthetic-pixels.toml\"\n"
                                     "[[methods]]\nname = \"mlsph\"\n[methods.params]\npretrained = \"weights/unused.pt\"\n",
                                     (experiments / "w.toml").string(), experiments.string()),
                    Catch::Contains("'weights/unused.pt'") && Catch::Contains(experiments.string()));

  std::set<std::string> paper_mirflickr_methods, cpu_methods;
  size_t parsed = 0;
  for (const auto& f : fs::directory_iterator(experiments)) {
    if (f.path().extension() != ".toml") continue;
    INFO(f.path().string());
    const Experiment e = load_experiment(test::methods(), f.path().string());
    CHECK_FALSE(expand_cells(e).empty());
    ++parsed;
    const std::string stem = f.path().stem().string();
    auto labels = [&] {
      std::set<std::string> s;
      for (const auto& m : e.methods)
        for (const auto& d : m.datasets) s.insert(m.method + " on " + d);
      return s;
    };
    if (stem == "paper-mirflickr") paper_mirflickr_methods = labels();
    if (stem == "paper-mirflickr-cpu") {  // the grid's code path at CPU size: checked against it below
      cpu_methods = labels();
      for (const auto& m : e.methods)
        if (m.method == "mlsph" || m.method == "scahn" || m.method == "dcmh") CHECK_FALSE(m.params.string("pretrained").empty());
      continue;
    }
    if (stem.rfind("paper-", 0) != 0 || stem == "paper-wikipedia") continue;
    CHECK(e.bits == std::vector<int>{16, 32, 64});
    std::set<std::string> deep, shallow;
    for (const auto& m : e.methods) {
      const bool is_deep = m.info->kind == MethodKind::kDeep;
      (is_deep ? deep : shallow).insert(m.method);
      if (is_deep) {
        CHECK(m.params.integer("image_size") == 224);
        CHECK(m.params.string("image_net") == (m.method == "dcmh" ? "cnnf" : "resnet34"));
        CHECK(m.params.integer("epochs") == (m.method == "mlsph" ? 100 : 500));
        CHECK_FALSE(m.params.string("pretrained").empty());
      }
      REQUIRE(m.datasets.size() == 1);  // pictures for the deep nets, CNN-F features for the rest
      CHECK((m.datasets[0].find("(CNN-F fc7 features)") != std::string::npos) == !is_deep);
    }
    CHECK(deep.size() == 3);
    CHECK(shallow == std::set<std::string>{"cca", "cmssh", "scm-seq", "scm-orth", "stmh", "cmfh", "seph-rnd", "seph-km"});
  }
  CHECK(parsed >= 8);
  // Every method of the paper grid runs in its CPU-sized twin, on the same kind of input.
  REQUIRE_FALSE(paper_mirflickr_methods.empty());
  std::set<std::string> cpu_as_paper;
  for (std::string m : cpu_methods) cpu_as_paper.insert(m.replace(m.find("mirflickr25k-cpu"), 16, "mirflickr25k"));
  CHECK(cpu_as_paper == paper_mirflickr_methods);
  fs::current_path(before);
  fs::remove_all(scratch);
}

TEST_CASE("a method is declared once: the registry keeps its order, display name and kind, and a table's range refuses a value as the experiment is read", "[experiment]") {
  const auto names = test::methods().names();
  REQUIRE(names.size() >= 15);
  CHECK(names.front() == "cca");  // table order: the order the program adds them
  for (size_t i = 0; i < names.size(); ++i) CHECK(test::methods().at(names[i]).rank == static_cast<int>(i));
  CHECK(test::methods().at("seph-km").display == "SePH-km");
  CHECK(test::methods().at("scahn").kind == MethodKind::kDeep);
  CHECK(test::methods().at("external").kind == MethodKind::kExternal);
  // cca's reg is declared `at_least(0)` (baselines/cca/cca.cpp): the parser refuses -1 and says why.
  std::string text = test::tiny_experiment("r", "[8]", "[1]");
  const size_t at = text.find("name = \"cca\"");
  REQUIRE(at != std::string::npos);
  text.insert(text.find('\n', at) + 1, "[methods.params]\nreg = -1.0\n");
  CHECK_THROWS_WITH(parse_experiment(test::methods(), text, "r.toml", "."),
                    Catch::Contains("reg") && Catch::Contains("out of range") && Catch::Contains(">= 0"));
  text.replace(text.find("reg = -1.0"), 10, "reg = 0.01");
  CHECK_NOTHROW(parse_experiment(test::methods(), text, "r.toml", "."));
}
