// The fast engine against the naive evaluator on random inputs, and thread-count independence.
#include <catch2/catch.hpp>

#include <random>

#include "eval/metrics.h"
#include "eval/naive.h"

using namespace cmh::eval;

namespace {

struct Random {
  DenseMatrix qc, dc, ql, dl;
  PackedBits pqc, pdc, pql, pdl;
  // Codes correlated with labels so that rankings are neither random nor trivial, with many ties.
  Random(size_t nq, size_t nd, int bits, int labels, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::vector<float>> proto(labels, std::vector<float>(bits));
    for (auto& p : proto)
      for (auto& v : p) v = (rng() & 1) ? 1.f : -1.f;
    auto fill = [&](DenseMatrix& c, DenseMatrix& l, size_t n) {
      c = {n, static_cast<size_t>(bits), std::vector<float>(n * bits)};
      l = {n, static_cast<size_t>(labels), std::vector<float>(n * labels, 0.f)};
      for (size_t i = 0; i < n; ++i) {
        const int main = rng() % labels;
        l.values[i * labels + main] = 1.f;
        if (rng() % 3 == 0) l.values[i * labels + rng() % labels] = 1.f;
        if (rng() % 17 == 0) l.values[i * labels + main] = 0.f;  // a few unlabelled items
        for (int b = 0; b < bits; ++b)
          c.values[i * bits + b] = (rng() % 4 == 0) ? ((rng() & 1) ? 1.f : -1.f) : proto[main][b];
      }
    };
    fill(qc, ql, nq);
    fill(dc, dl, nd);
    auto pack = [](const DenseMatrix& m) { return PackedBits::from_real(m.values.data(), m.rows, static_cast<int>(m.cols)); };
    auto pack_labels = [](const DenseMatrix& m) {
      std::vector<uint8_t> b(m.values.size());
      for (size_t i = 0; i < b.size(); ++i) b[i] = m.values[i] > 0;
      return PackedBits::labels(b.data(), m.rows, static_cast<int>(m.cols));
    };
    pqc = pack(qc);
    pdc = pack(dc);
    pql = pack_labels(ql);
    pdl = pack_labels(dl);
  }
};

void require_same(const DirectionMetrics& a, const DirectionMetrics& b) {
  CHECK(a.map == Approx(b.map).epsilon(1e-12));
  CHECK(a.precision_radius2 == Approx(b.precision_radius2).epsilon(1e-12));
  CHECK(a.queries_without_relevant == b.queries_without_relevant);
  REQUIRE(a.map_at_r.size() == b.map_at_r.size());
  for (size_t i = 0; i < a.map_at_r.size(); ++i) {
    CHECK(a.map_at_r[i].second == Approx(b.map_at_r[i].second).epsilon(1e-12));
    CHECK(a.map_at_k_reference[i].second == Approx(b.map_at_k_reference[i].second).epsilon(1e-12));
  }
  REQUIRE(a.precision_at_n.size() == b.precision_at_n.size());
  for (size_t i = 0; i < a.precision_at_n.size(); ++i) {
    CHECK(a.precision_at_n[i].first == b.precision_at_n[i].first);
    CHECK(a.precision_at_n[i].second == Approx(b.precision_at_n[i].second).epsilon(1e-12));
  }
  REQUIRE(a.pr.size() == b.pr.size());
  for (size_t i = 0; i < a.pr.size(); ++i) {
    CHECK(a.pr[i].precision == Approx(b.pr[i].precision).epsilon(1e-12));
    CHECK(a.pr[i].recall == Approx(b.pr[i].recall).epsilon(1e-12));
  }
}

}  // namespace

TEST_CASE("engine agrees with the naive evaluator on random inputs", "[eval]") {
  struct Size { size_t nq, nd; int bits, labels; };
  const Size sizes[] = {{7, 50, 1, 3}, {20, 300, 16, 5}, {25, 400, 64, 24}, {15, 350, 65, 70}, {10, 200, 130, 10}};
  uint32_t seed = 1;
  for (const auto& s : sizes) {
    DYNAMIC_SECTION("nq=" << s.nq << " nd=" << s.nd << " bits=" << s.bits << " labels=" << s.labels) {
      Random r(s.nq, s.nd, s.bits, s.labels, seed++);
      EvalConfig cfg;
      cfg.map_at = {1, 10, 100, 1000};
      cfg.threads = 3;
      const DirectionMetrics fast = evaluate(r.pqc, r.pdc, r.pql, r.pdl, cfg);
      const DirectionMetrics slow = naive_evaluate(r.qc, r.dc, r.ql, r.dl, cfg);
      require_same(fast, slow);
      CHECK(mean_average_precision(r.pqc, r.pdc, r.pql, r.pdl, 2) == Approx(slow.map).epsilon(1e-12));
    }
  }
}

TEST_CASE("results are bit-identical for any thread count", "[eval]") {
  Random r(203, 1500, 32, 24, 99);
  EvalConfig one;
  one.threads = 1;
  const DirectionMetrics base = evaluate(r.pqc, r.pdc, r.pql, r.pdl, one);
  const double base_fast = mean_average_precision(r.pqc, r.pdc, r.pql, r.pdl, 1);
  for (int t : {2, 3, 8}) {
    EvalConfig cfg;
    cfg.threads = t;
    const DirectionMetrics m = evaluate(r.pqc, r.pdc, r.pql, r.pdl, cfg);
    CHECK(m.map == base.map);  // exact equality, not approximate
    CHECK(m.precision_radius2 == base.precision_radius2);
    for (size_t i = 0; i < m.precision_at_n.size(); ++i)
      CHECK(m.precision_at_n[i].second == base.precision_at_n[i].second);
    for (size_t i = 0; i < m.pr.size(); ++i) CHECK(m.pr[i].precision == base.pr[i].precision);
    CHECK(mean_average_precision(r.pqc, r.pdc, r.pql, r.pdl, t) == base_fast);
  }
}
