// The runner's bit-scalable evaluation (harness/bit_scale.h): map@bits=K is the mAP of exactly
// the ranking's first K bits, map@random_bits=K the mean over seeded random K-subsets, both
// checked against the plain evaluator (eval/naive.h) on codes cut by hand.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "bit_scale.h"
#include "eval/naive.h"

using namespace cmh;

namespace {

struct Codes {
  eval::DenseMatrix qi, qt, di, dt, ql, dl;
  eval::CrossModalCodes packed;
};

eval::DenseMatrix random_matrix(size_t rows, size_t cols, std::mt19937& rng, bool labels) {
  eval::DenseMatrix m{rows, cols, std::vector<float>(rows * cols)};
  for (auto& v : m.values) v = labels ? static_cast<float>(rng() % 3 == 0) : ((rng() & 1) ? 1.f : -1.f);
  return m;
}

eval::PackedBits pack_codes(const eval::DenseMatrix& m) { return eval::PackedBits::from_real(m.values.data(), m.rows, static_cast<int>(m.cols)); }
eval::PackedBits pack_labels(const eval::DenseMatrix& m) {
  std::vector<uint8_t> v(m.values.begin(), m.values.end());
  return eval::PackedBits::labels(v.data(), m.rows, static_cast<int>(m.cols));
}

// The columns `keep` of m, in that order.
eval::DenseMatrix columns(const eval::DenseMatrix& m, const std::vector<int>& keep) {
  eval::DenseMatrix out{m.rows, keep.size(), {}};
  for (size_t i = 0; i < m.rows; ++i)
    for (int c : keep) out.values.push_back(m.row(i)[c]);
  return out;
}

Codes make_codes(int bits) {
  std::mt19937 rng(17);
  Codes c;
  // Image and text codes correlated through the labels, so that bit subsets give different mAPs.
  c.ql = random_matrix(30, 5, rng, true);
  c.dl = random_matrix(120, 5, rng, true);
  c.qi = random_matrix(30, static_cast<size_t>(bits), rng, false);
  c.qt = random_matrix(30, static_cast<size_t>(bits), rng, false);
  c.di = random_matrix(120, static_cast<size_t>(bits), rng, false);
  c.dt = random_matrix(120, static_cast<size_t>(bits), rng, false);
  c.packed = {pack_codes(c.qi), pack_codes(c.qt), pack_codes(c.di), pack_codes(c.dt), pack_labels(c.ql), pack_labels(c.dl)};
  return c;
}

}  // namespace

TEST_CASE("bit scaling: the lengths a code is cut to", "[bitscale]") {
  CHECK(bit_scale_lengths(64) == std::vector<int>{32, 16, 8, 4});
  CHECK(bit_scale_lengths(16) == std::vector<int>{8, 4});
  CHECK(bit_scale_lengths(8) == std::vector<int>{4});
  CHECK(bit_scale_lengths(4).empty());
}

TEST_CASE("bit scaling: random subsets are seeded, distinct bits, and cover every bit", "[bitscale]") {
  const auto a = random_bit_subsets(32, 8, 50, 7), b = random_bit_subsets(32, 8, 50, 7), c = random_bit_subsets(32, 8, 50, 8);
  CHECK(a == b);
  CHECK(a != c);
  std::set<int> covered;
  for (const auto& s : a) {
    REQUIRE(s.size() == 8);
    CHECK(std::set<int>(s.begin(), s.end()).size() == 8);
    for (int bit : s) {
      CHECK(bit >= 0);
      CHECK(bit < 32);
      covered.insert(bit);
    }
  }
  CHECK(covered.size() == 32);
  // Pinned: the draws must not move between machines or standard libraries (they feed the
  // map@random_bits values of the CI reference).
  const auto pinned = random_bit_subsets(16, 4, 1, 12345).front();
  INFO("pinned draw " << pinned[0] << " " << pinned[1] << " " << pinned[2] << " " << pinned[3]);
  CHECK(pinned == std::vector<int>{2, 13, 4, 6});
  CHECK_THROWS(random_bit_subsets(8, 9, 1, 1));
}

TEST_CASE("bit scaling: map@bits and map@random_bits against the plain evaluator on hand-cut codes", "[bitscale]") {
  const int bits = 16;
  const Codes c = make_codes(bits);
  // A ranking that is not the identity: reversed odd bits first.
  std::vector<int> ranking;
  for (int b = bits - 1; b >= 0; b -= 2) ranking.push_back(b);
  for (int b = bits - 2; b >= 0; b -= 2) ranking.push_back(b);
  const auto full = eval::evaluate_all(c.packed);
  std::vector<store::Metric> metrics;
  std::vector<store::CurvePoint> curves;
  const uint64_t seed = 4;
  bit_scale(c.packed, ranking, full, seed, 1, metrics, curves);
  std::map<std::pair<std::string, std::string>, double> got;
  for (const auto& m : metrics) got[{m.direction, m.name}] = m.value;

  for (int kept : {8, 4}) {
    const std::vector<int> first(ranking.begin(), ranking.begin() + kept);
    const auto i2t = eval::naive_evaluate(columns(c.qi, first), columns(c.dt, first), c.ql, c.dl).map;
    const auto t2i = eval::naive_evaluate(columns(c.qt, first), columns(c.di, first), c.ql, c.dl).map;
    const auto i2i = eval::naive_evaluate(columns(c.qi, first), columns(c.di, first), c.ql, c.dl).map;
    const auto t2t = eval::naive_evaluate(columns(c.qt, first), columns(c.dt, first), c.ql, c.dl).map;
    const std::string name = "map@bits=" + std::to_string(kept);
    CHECK(got.at({"i2t", name}) == Approx(i2t).margin(1e-12));
    CHECK(got.at({"t2i", name}) == Approx(t2i).margin(1e-12));
    CHECK(got.at({"i2i", name}) == Approx(i2i).margin(1e-12));
    CHECK(got.at({"t2t", name}) == Approx(t2t).margin(1e-12));
    // The ranking matters: the first bits differ from the last ones.
    const std::vector<int> last(ranking.end() - kept, ranking.end());
    CHECK(eval::naive_evaluate(columns(c.qi, last), columns(c.dt, last), c.ql, c.dl).map != Approx(i2t).margin(1e-9));

    double sum_i2t = 0, sum_t2i = 0;
    const auto subsets = random_bit_subsets(bits, kept, kBitScaleRandomDraws, seed * 1000003u + static_cast<uint64_t>(kept));
    for (const auto& s : subsets) {
      sum_i2t += eval::naive_evaluate(columns(c.qi, s), columns(c.dt, s), c.ql, c.dl).map;
      sum_t2i += eval::naive_evaluate(columns(c.qt, s), columns(c.di, s), c.ql, c.dl).map;
    }
    const std::string random_name = "map@random_bits=" + std::to_string(kept);
    CHECK(got.at({"i2t", random_name}) == Approx(sum_i2t / kBitScaleRandomDraws).margin(1e-12));
    CHECK(got.at({"t2i", random_name}) == Approx(sum_t2i / kBitScaleRandomDraws).margin(1e-12));
    CHECK(got.count({"i2i", random_name}) == 0);
  }
  // Curves: the full code first, then each kept length, for both kinds.
  std::map<std::string, std::vector<std::pair<double, double>>> by_kind;
  for (const auto& p : curves)
    if (p.direction == "i2t") by_kind[p.kind].push_back({p.x, p.y});
  REQUIRE(by_kind["bitscale"].size() == 3);
  REQUIRE(by_kind["bitscale_random"].size() == 3);
  CHECK(by_kind["bitscale"][0] == std::make_pair(16.0, full.at("i2t").map));
  CHECK(by_kind["bitscale_random"][0] == std::make_pair(16.0, full.at("i2t").map));
  CHECK(by_kind["bitscale"][1] == std::make_pair(8.0, got.at({"i2t", "map@bits=8"})));
  CHECK(by_kind["bitscale_random"][2] == std::make_pair(4.0, got.at({"i2t", "map@random_bits=4"})));
  // A ranking of the wrong length is a defect of the method, not silently cut.
  CHECK_THROWS(bit_scale(c.packed, std::vector<int>(8, 0), full, seed, 1, metrics, curves));
}
