// CVH (baselines/cvh): with two views and the pairing as the only similarity, the paper's
// generalized eigenproblem gives CCA's directions; a text that is a linear map of the image gets
// the image's codes; bits beyond the correlated directions follow beyond_rank.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "baselines_test_util.h"
#include "common/error.h"
#include "method.h"
#include "test_methods.h"

using cmh::test::CrossCodes;
using cmh::test::encode_all;
using cmh::test::small_synthetic;
using cmh::test::SplitSet;
using cmh::test::with_split;

namespace {

bool bit(const cmh::eval::PackedBits& c, size_t item, int b) { return (c.row(item)[b >> 6] >> (b & 63)) & 1u; }

// Share of items on which bit b of `a` equals bit b of `b`.
double agreement(const cmh::eval::PackedBits& a, const cmh::eval::PackedBits& b, int bitno) {
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += bit(a, i, bitno) == bit(b, i, bitno);
  return static_cast<double>(same) / static_cast<double>(a.size());
}

// The small synthetic set with the text replaced by (image features) · R, R a random dim × out map.
SplitSet linear_text(int out_dim) {
  const SplitSet& s = small_synthetic();
  cmh::data::Dataset d = s.dataset;
  const size_t dim = d.image.dim;
  std::mt19937 rng(3);
  std::normal_distribution<float> g;
  std::vector<float> r(dim * static_cast<size_t>(out_dim));
  for (auto& v : r) v = g(rng);
  d.text.dim = static_cast<size_t>(out_dim);
  d.text.features.assign(d.n * static_cast<size_t>(out_dim), 0.0f);
  for (size_t i = 0; i < d.n; ++i)
    for (size_t j = 0; j < dim; ++j)
      for (int o = 0; o < out_dim; ++o)
        d.text.features[i * out_dim + o] += d.image.features[i * dim + j] * r[j * out_dim + o];
  return with_split(std::move(d), s.split);
}

}  // namespace

TEST_CASE("cvh with the pairing as similarity gives CCA's codes (Kumar & Udupa: two views, W = I)", "[baselines]") {
  const auto& s = small_synthetic();  // 64-d image, 200-d text: 16 bits lie within the rank
  const CrossCodes cvh = encode_all("cvh", s, 16, 1, {});
  const CrossCodes cca = encode_all("cca", s, 16, 1, {});  // the same relative ridge, 1e-3
  for (int b = 0; b < 16; ++b) {
    INFO("bit " << b);
    // The same direction up to its sign: every code set agrees on (almost) all items, or on none.
    const double qi = agreement(cvh.query_image, cca.query_image, b);
    const bool flipped = qi < 0.5;
    auto close = [&](double a) { return flipped ? a <= 0.01 : a >= 0.99; };
    CHECK(close(qi));
    CHECK(close(agreement(cvh.query_text, cca.query_text, b)));
    CHECK(close(agreement(cvh.database_image, cca.database_image, b)));
    CHECK(close(agreement(cvh.database_text, cca.database_text, b)));
  }
}

TEST_CASE("cvh: a text that is a linear map of the image gets the image's codes", "[baselines]") {
  // Every canonical correlation is 1, so each hash function pair projects an item's two views to
  // the same value: queries (never trained on) included.
  const SplitSet s = linear_text(64);
  const CrossCodes c = encode_all("cvh", s, 16, 1, {{"reg", 0.0}});
  size_t differ = 0, total = 0;
  for (int b = 0; b < 16; ++b)
    for (size_t i = 0; i < c.query_image.size(); ++i, ++total) differ += bit(c.query_image, i, b) != bit(c.query_text, i, b);
  for (int b = 0; b < 16; ++b)
    for (size_t i = 0; i < c.database_image.size(); ++i, ++total)
      differ += bit(c.database_image, i, b) != bit(c.database_text, i, b);
  INFO(differ << " of " << total << " bits differ between the two views");
  CHECK(differ <= total / 1000);
  // Not a constant code: the bits split the items.
  for (int b = 0; b < 16; ++b) {
    size_t ones = 0;
    for (size_t i = 0; i < c.database_image.size(); ++i) ones += bit(c.database_image, i, b);
    CHECK(ones > c.database_image.size() / 10);
    CHECK(ones < c.database_image.size() * 9 / 10);
  }
}

TEST_CASE("cvh beyond the correlated directions: the paper's next eigenvectors, random, or refused", "[baselines]") {
  const SplitSet s = linear_text(4);  // 4-d text: 4 correlated directions, 16 bits asked
  std::vector<std::string> notes;
  const CrossCodes e = encode_all("cvh", s, 16, 1, {}, &notes);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("12 image-only") != std::string::npos);
  // Bits 5..16 are zero in the text view: every text gets the same bit there.
  for (int b = 4; b < 16; ++b) {
    INFO("bit " << b);
    size_t ones = 0;
    for (size_t i = 0; i < e.database_text.size(); ++i) ones += bit(e.database_text, i, b);
    CHECK((ones == 0 || ones == e.database_text.size()));
  }
  encode_all("cvh", s, 16, 1, {{"beyond_rank", std::string("random")}}, &notes);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("random projections") != std::string::npos);
  CHECK_THROWS_AS(encode_all("cvh", s, 16, 1, {{"beyond_rank", std::string("refuse")}}), cmh::InputError);
  CHECK_THROWS_AS(encode_all("cvh", s, 80, 1, {}), cmh::InputError);  // 64 + 4 eigenvectors in all
  CHECK_THROWS_AS(cmh::Params("cvh", cmh::test::methods().at("cvh").params, {{"beyond_rank", std::string("pad")}}),
                  cmh::InputError);
}
