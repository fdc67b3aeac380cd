// The metric engine against values of the reference code's own definition: calc_map_k of
// torchcmh (the evaluation DCMH, MLSPH and SCAHN train with), reproduced step for step in
// tests/eval/fixtures/make_reference_map.py on random codes and labels and committed as
// reference_map.txt. mAP@all and map_at_k_reference@k must agree to 1e-12 on every case:
// 12-bit codes full of ties, 96-bit codes (two words), sparse labels with unanswerable queries.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "eval/metrics.h"

using namespace cmh::eval;

namespace {

struct FixtureCase {
  std::string name;
  int bits = 0, labels = 0;
  std::vector<uint8_t> qcode, dcode, qlabel, dlabel;
  size_t queries = 0, database = 0;
  double map_all = -1;
  std::map<size_t, double> map_k;
};

std::vector<FixtureCase> read_fixture(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::vector<FixtureCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    std::string kind;
    f >> kind;
    if (kind == "case") {
      cases.emplace_back();
      f >> cases.back().name >> cases.back().queries >> cases.back().database >> cases.back().bits >> cases.back().labels;
      continue;
    }
    REQUIRE(!cases.empty());
    FixtureCase& c = cases.back();
    if (kind == "map_all") {
      f >> c.map_all;
    } else if (kind == "map_k") {
      size_t k;
      double v;
      f >> k >> v;
      c.map_k[k] = v;
    } else {
      std::string bits;
      f >> bits;
      auto& target = kind == "qcode" ? c.qcode : kind == "dcode" ? c.dcode : kind == "qlabel" ? c.qlabel : c.dlabel;
      for (char ch : bits) target.push_back(ch == '1');
    }
  }
  return cases;
}

}  // namespace

TEST_CASE("mAP and map_at_k_reference equal the reference calc_map_k on committed random cases", "[eval]") {
  const auto cases = read_fixture(CMH_FIXTURE_DIR "/reference_map.txt");
  REQUIRE(cases.size() == 3);
  for (const auto& c : cases) {
    INFO(c.name);
    REQUIRE(c.qcode.size() == c.queries * static_cast<size_t>(c.bits));
    REQUIRE(c.dlabel.size() == c.database * static_cast<size_t>(c.labels));
    const auto qc = PackedBits::from_binary(c.qcode.data(), c.queries, c.bits);
    const auto dc = PackedBits::from_binary(c.dcode.data(), c.database, c.bits);
    const auto ql = PackedBits::labels(c.qlabel.data(), c.queries, c.labels);
    const auto dl = PackedBits::labels(c.dlabel.data(), c.database, c.labels);
    EvalConfig cfg;
    cfg.map_at.clear();
    for (const auto& [k, v] : c.map_k) cfg.map_at.push_back(k);
    for (int threads : {1, 3}) {
      cfg.threads = threads;
      const auto m = evaluate(qc, dc, ql, dl, cfg);
      CHECK(m.map == Approx(c.map_all).margin(1e-12));
      CHECK(mean_average_precision(qc, dc, ql, dl, threads) == Approx(c.map_all).margin(1e-12));
      REQUIRE(m.map_at_k_reference.size() == c.map_k.size());
      for (const auto& [k, v] : m.map_at_k_reference) {
        INFO("k = " << k);
        CHECK(v == Approx(c.map_k.at(k)).margin(1e-12));
      }
    }
  }
}
