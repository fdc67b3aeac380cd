// Hand-computed metric cases: every value below was worked out on paper from PROTOCOL.md.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "eval/metrics.h"

using namespace cmh::eval;

namespace {

// 4-bit codes. Query 0 = 0000 with label A; query 1 = 0000 with label C (nothing relevant).
// Database: d0 = 0011 (dist 2, {A}), d1 = 0000 (0, {B}), d2 = 0001 (1, {A,B}),
//           d3 = 0000 (0, {A}),       d4 = 1111 (4, {}).
// Ranking (ties by index): d1, d3, d2, d0, d4 → relevance 0 1 1 1 0 for query 0.
struct Case {
  PackedBits qc, dc, ql, dl;
  Case() {
    const uint8_t q[] = {0, 0, 0, 0, 0, 0, 0, 0};
    const uint8_t d[] = {1, 1, 0, 0,  0, 0, 0, 0,  1, 0, 0, 0,  0, 0, 0, 0,  1, 1, 1, 1};
    const uint8_t qlab[] = {1, 0, 0, 0, 0, 1};
    const uint8_t dlab[] = {1, 0, 0,  0, 1, 0,  1, 1, 0,  1, 0, 0,  0, 0, 0};
    qc = PackedBits::from_binary(q, 2, 4);
    dc = PackedBits::from_binary(d, 5, 4);
    ql = PackedBits::labels(qlab, 2, 3);
    dl = PackedBits::labels(dlab, 5, 3);
  }
};

}  // namespace

TEST_CASE("mAP@all on a hand-computed case, ties broken by database index", "[eval]") {
  Case c;
  // Query 0: relevant at ranks 2, 3, 4 → AP = (1/2 + 2/3 + 3/4) / 3 = 23/36.
  // (Breaking the d1/d3 tie the other way would give ranks 1, 3, 4 and AP 29/36.)
  // Query 1 has no relevant item: AP 0, still in the denominator.
  const double expected = (23.0 / 36.0) / 2.0;
  CHECK(mean_average_precision(c.qc, c.dc, c.ql, c.dl, 1) == Approx(expected).epsilon(1e-12));
  EvalConfig cfg;
  cfg.map_at = {2, 10};
  cfg.topn = {1, 2, 3, 5};
  const DirectionMetrics m = evaluate(c.qc, c.dc, c.ql, c.dl, cfg);
  CHECK(m.map == Approx(expected).epsilon(1e-12));
  CHECK(m.queries_without_relevant == 1);
  // mAP@2: top 2 = d1, d3 → one relevant at rank 2 → AP@2 = (1/2)/1; query 1 → 0.
  REQUIRE(m.map_at_r.size() == 2);
  CHECK(m.map_at_r[0].second == Approx(0.5 / 2));
  // R = 10 exceeds the database: equals mAP@all.
  CHECK(m.map_at_r[1].second == Approx(expected));
  // Reference map_at_k with k = 2: first min(2, 3) relevant at ranks 2, 3 → (1/2 + 2/3)/2.
  CHECK(m.map_at_k_reference[0].second == Approx((0.5 + 2.0 / 3.0) / 2.0 / 2.0));
  CHECK(m.map_at_k_reference[1].second == Approx(expected));
  // Precision@N averaged over both queries (query 1 scores 0 everywhere).
  REQUIRE(m.precision_at_n.size() == 4);
  CHECK(m.precision_at_n[0].second == Approx(0.0));
  CHECK(m.precision_at_n[1].second == Approx(0.5 / 2));
  CHECK(m.precision_at_n[2].second == Approx((2.0 / 3.0) / 2));
  CHECK(m.precision_at_n[3].second == Approx(0.6 / 2));
  // PR by radius, micro-averaged: both queries retrieve the same sets; only query 0 has hits.
  // r=0: 2+2 retrieved, 1 hit; r=1: 3+3, 2; r=2: 4+4, 3; r=3: same; r=4: 5+5, 3. Relevant: 3.
  REQUIRE(m.pr.size() == 5);
  CHECK(m.pr[0].precision == Approx(1.0 / 4));
  CHECK(m.pr[0].recall == Approx(1.0 / 3));
  CHECK(m.pr[1].precision == Approx(2.0 / 6));
  CHECK(m.pr[2].precision == Approx(3.0 / 8));
  CHECK(m.pr[2].recall == Approx(1.0));
  CHECK(m.pr[4].precision == Approx(3.0 / 10));
  // Precision within radius 2: query 0 → 3/4, query 1 → 0.
  CHECK(m.precision_radius2 == Approx(0.75 / 2));
}

TEST_CASE("perfect and worst rankings give AP 1 and the minimum", "[eval]") {
  // One query, database of 4: relevant items at distance 0, irrelevant ones farther.
  const uint8_t q[] = {0, 0};
  const uint8_t d[] = {0, 0, 1, 1, 0, 0, 1, 1};
  const uint8_t lq[] = {1};
  const uint8_t ld_good[] = {1, 0, 1, 0};
  const uint8_t ld_bad[] = {0, 1, 0, 1};
  auto qc = PackedBits::from_binary(q, 1, 2), dc = PackedBits::from_binary(d, 4, 2);
  auto ql = PackedBits::labels(lq, 1, 1);
  CHECK(mean_average_precision(qc, dc, ql, PackedBits::labels(ld_good, 4, 1)) == Approx(1.0));
  // Ranking d0 d2 d1 d3; relevant d1, d3 at ranks 3, 4 → (1/3 + 2/4)/2.
  CHECK(mean_average_precision(qc, dc, ql, PackedBits::labels(ld_bad, 4, 1)) ==
        Approx((1.0 / 3 + 0.5) / 2));
}

TEST_CASE("evaluate refuses inputs that do not fit together", "[eval]") {
  Case c;
  const uint8_t other[] = {0, 0, 0, 0, 0};
  auto wrong_bits = PackedBits::from_binary(other, 1, 5);
  CHECK_THROWS_AS(evaluate(c.qc, wrong_bits, c.ql, c.dl), cmh::InputError);
  CHECK_THROWS_AS(evaluate(c.qc, c.dc, c.dl, c.dl), cmh::InputError);  // 2 codes vs 5 label rows
}

TEST_CASE("default P@N grid: every 2% plus round values that fit", "[eval]") {
  auto g = default_topn_grid(1000);
  CHECK(g.front() == 20);
  CHECK(g.back() == 1000);
  CHECK(std::find(g.begin(), g.end(), 100) != g.end());
  CHECK(std::find(g.begin(), g.end(), 500) != g.end());
  CHECK(std::find(g.begin(), g.end(), 2000) == g.end());
  CHECK(std::is_sorted(g.begin(), g.end()));
}
