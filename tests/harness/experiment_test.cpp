// Experiment files: grids expand into keyed cells; mistakes are refused with clear messages.
#include <catch2/catch.hpp>

#include <set>

#include "common/error.h"
#include "experiment.h"
#include "harness_test_util.h"

using namespace cmh;

TEST_CASE("an experiment expands into method × bits × seed cells with stable keys", "[harness]") {
  const Experiment e = parse_experiment(test::tiny_experiment("t", "[8, 16]", "[1, 2]"), "t.toml", ".");
  const auto cells = expand_cells(e);
  REQUIRE(cells.size() == 2 * 2 * 2);
  std::set<std::string> keys;
  for (const auto& c : cells) keys.insert(c.key);
  CHECK(keys.size() == cells.size());
  CHECK(cells[0].method->params.real("reg") == Approx(1e-3));
  CHECK(cells[4].method->params.real("reg") == Approx(0.5));
  // The same text gives the same keys; another parameter value gives another key.
  const auto again = expand_cells(parse_experiment(test::tiny_experiment("t", "[8, 16]", "[1, 2]"), "t.toml", "."));
  CHECK(again[3].key == cells[3].key);
  CHECK(cells[0].key != cells[4].key);
}

TEST_CASE("cell filters: --only and --shard", "[harness]") {
  const Experiment e = parse_experiment(test::tiny_experiment("t", "[8, 16]", "[1, 2]"), "t.toml", ".");
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
      parse_experiment(bad[i].text, "bad.toml", ".");
      FAIL("accepted a malformed experiment");
    } catch (const InputError& e) {
      const std::string msg = e.what();
      INFO(msg);
      CHECK(!msg.empty());
      if (!bad[i].expect.empty()) CHECK(msg.find(bad[i].expect) != std::string::npos);
    }
  }
}
