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

TEST_CASE("metric edges worked by hand: none relevant in the top R, R cutting a tie, radii that retrieve nothing",
          "[eval]") {
  // 3-bit codes, one query 000 with label A. Database (distance, labels):
  // d0 = 011 (2, {A}), d1 = 001 (1, {B}), d2 = 010 (1, {B}), d3 = 001 (1, {A}), d4 = 111 (3, {A}).
  // Ranking by distance, ties by index: d1, d2, d3 (all at 1), d0 (2), d4 (3); relevance 0 0 1 1 1.
  const uint8_t q[] = {0, 0, 0};
  const uint8_t d[] = {0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1};
  const uint8_t lq[] = {1, 0};
  const uint8_t ld[] = {1, 0, 0, 1, 0, 1, 1, 0, 1, 0};
  const auto qc = PackedBits::from_binary(q, 1, 3), dc = PackedBits::from_binary(d, 5, 3);
  const auto ql = PackedBits::labels(lq, 1, 2), dl = PackedBits::labels(ld, 5, 2);
  EvalConfig cfg;
  cfg.map_at = {2, 3, 4};
  cfg.topn = {1, 2, 3, 4, 5};
  const auto m = evaluate(qc, dc, ql, dl, cfg);
  // mAP@all: relevant at ranks 3, 4, 5 → (1/3 + 2/4 + 3/5) / 3.
  CHECK(m.map == Approx((1.0 / 3 + 0.5 + 0.6) / 3).epsilon(1e-12));
  // mAP@2: the top 2 (d1, d2) hold none of the three relevant items → AP@2 = 0, not undefined.
  REQUIRE(m.map_at_r.size() == 3);
  CHECK(m.map_at_r[0].second == 0.0);
  // mAP@3 cuts the tie at distance 1 after d3 (index order): one relevant at rank 3 → 1/3.
  // (Another tie order, e.g. d3 first, would give 1.)
  CHECK(m.map_at_r[1].second == Approx(1.0 / 3).epsilon(1e-12));
  // mAP@4: relevant at ranks 3, 4 among the top 4 → (1/3 + 2/4) / 2.
  CHECK(m.map_at_r[2].second == Approx((1.0 / 3 + 0.5) / 2).epsilon(1e-12));
  // The reference's k = 2 scores the first two relevant items wherever they are: (1/3 + 2/4) / 2.
  CHECK(m.map_at_k_reference[0].second == Approx((1.0 / 3 + 0.5) / 2).epsilon(1e-12));
  // PR by radius: radius 0 retrieves nothing (precision 0 by the rule, recall 0); radius 1
  // retrieves d1, d2, d3 (1 hit of 3 relevant); radius 2 adds d0; radius 3 adds d4.
  REQUIRE(m.pr.size() == 4);
  CHECK(m.pr[0].precision == 0.0);
  CHECK(m.pr[0].recall == 0.0);
  CHECK(m.pr[1].precision == Approx(1.0 / 3));
  CHECK(m.pr[1].recall == Approx(1.0 / 3));
  CHECK(m.pr[2].precision == Approx(2.0 / 4));
  CHECK(m.pr[3].precision == Approx(3.0 / 5));
  CHECK(m.pr[3].recall == Approx(1.0));
  // Precision within radius 2: d1, d2, d3, d0 → 2 of 4.
  CHECK(m.precision_radius2 == Approx(0.5));
  // P@N: 0, 0, 1/3, 2/4, 3/5.
  REQUIRE(m.precision_at_n.size() == 5);
  CHECK(m.precision_at_n[1].second == 0.0);
  CHECK(m.precision_at_n[2].second == Approx(1.0 / 3));
  CHECK(m.precision_at_n[4].second == Approx(0.6));

  // A query whose nearest item lies beyond radius 2 scores precision 0 within radius 2.
  const uint8_t far_q[] = {1, 1, 1};
  const uint8_t far_d[] = {0, 0, 0, 0, 0, 0};
  const uint8_t far_ld[] = {1, 0, 1, 0};
  const auto far = evaluate(PackedBits::from_binary(far_q, 1, 3), PackedBits::from_binary(far_d, 2, 3), ql,
                            PackedBits::labels(far_ld, 2, 2), cfg);
  CHECK(far.precision_radius2 == 0.0);
  CHECK(far.pr[2].precision == 0.0);
  CHECK(far.pr[3].precision == Approx(1.0));
}

TEST_CASE("codes longer than 64 bits: distances count the bits of every word", "[eval]") {
  // 100-bit codes (two words). The query is all zeros; d0 differs in bits 0 and 99 (distance 2,
  // one bit in each word), d1 in bits 64..69 (6, all in the second word), d2 in bit 63 (1, the
  // first word's last bit). Ranking: d2, d0, d1; only d1 is relevant → AP = 1/3.
  const int bits = 100;
  std::vector<uint8_t> q(bits, 0), d(3 * bits, 0);
  d[0] = d[99] = 1;
  for (int b = 64; b < 70; ++b) d[bits + b] = 1;
  d[2 * bits + 63] = 1;
  const uint8_t lq[] = {1}, ld[] = {0, 1, 0};
  const auto qc = PackedBits::from_binary(q.data(), 1, bits), dc = PackedBits::from_binary(d.data(), 3, bits, bits);
  const auto ql = PackedBits::labels(lq, 1, 1), dl = PackedBits::labels(ld, 3, 1);
  EvalConfig cfg;
  cfg.map_at = {1};
  const auto m = evaluate(qc, dc, ql, dl, cfg);
  CHECK(m.map == Approx(1.0 / 3).epsilon(1e-12));
  CHECK(mean_average_precision(qc, dc, ql, dl, 1) == Approx(1.0 / 3).epsilon(1e-12));
  REQUIRE(m.pr.size() == static_cast<size_t>(bits + 1));
  CHECK(m.pr[1].precision == 0.0);              // radius 1: d2 only
  CHECK(m.pr[2].precision == 0.0);              // radius 2: d2, d0
  CHECK(m.pr[5].recall == 0.0);                 // d1 is at 6
  CHECK(m.pr[6].precision == Approx(1.0 / 3));  // radius 6: all three
  CHECK(m.pr[6].recall == 1.0);
}

TEST_CASE("the default P@N grid's steps: every 2% of the database rounded half up, plus 100 ... 5000", "[eval]") {
  // 130 items: 2% = 2.6 → 3, 4% = 5.2 → 5, 6% = 7.8 → 8, 8% = 10.4 → 10, 10% = 13 …; 100 is no
  // multiple of 2% of 130 (76% → 99, 78% → 101), so it is added: 50 + 1 values.
  const auto g = default_topn_grid(130);
  REQUIRE(g.size() == 51);
  CHECK(std::vector<size_t>(g.begin(), g.begin() + 5) == std::vector<size_t>{3, 5, 8, 10, 13});
  CHECK(std::find(g.begin(), g.end(), 99) != g.end());
  CHECK(std::find(g.begin(), g.end(), 100) != g.end());
  CHECK(std::find(g.begin(), g.end(), 101) != g.end());
  CHECK(g.back() == 130);
  // A tiny database: every point that rounds to at least one item, once.
  CHECK(default_topn_grid(1) == std::vector<size_t>{1});
  CHECK(default_topn_grid(10) == std::vector<size_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
}
