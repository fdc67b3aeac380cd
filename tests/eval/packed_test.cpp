// PackedBits: packing rules, Hamming distance against a bit-by-bit count, lengths not a multiple of 64.
#include <catch2/catch.hpp>

#include <random>

#include "common/error.h"
#include "eval/packed.h"

using cmh::eval::PackedBits;

TEST_CASE("from_real maps >= 0 to bit 1 and < 0 to bit 0", "[eval]") {
  const float v[] = {1.f, -1.f, 0.f, -0.5f, 2.f};
  PackedBits p = PackedBits::from_real(v, 1, 5);
  CHECK(p.get(0, 0));
  CHECK_FALSE(p.get(0, 1));
  CHECK(p.get(0, 2));
  CHECK_FALSE(p.get(0, 3));
  CHECK(p.get(0, 4));
  CHECK(p.row(0)[0] == 0b10101u);
}

TEST_CASE("Hamming by popcount equals a bit-by-bit count for any length 1..1024", "[eval]") {
  std::mt19937 rng(7);
  for (int bits : {1, 7, 63, 64, 65, 100, 128, 129, 511, 1024}) {
    std::vector<uint8_t> a(3 * bits);
    for (auto& x : a) x = rng() & 1;
    PackedBits p = PackedBits::from_binary(a.data(), 3, bits);
    REQUIRE(p.words() == (bits + 63) / 64);
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        int slow = 0;
        for (int b = 0; b < bits; ++b) slow += a[i * bits + b] != a[j * bits + b];
        CHECK(cmh::eval::hamming(p.row(i), p.row(j), p.words()) == slow);
      }
  }
}

TEST_CASE("code lengths outside 1..1024 are refused", "[eval]") {
  CHECK_THROWS_AS(PackedBits(4, 0), cmh::InputError);
  CHECK_THROWS_AS(PackedBits(4, 1025), cmh::InputError);
  CHECK_NOTHROW(PackedBits(4, 1024));
}

TEST_CASE("select and keep_bits pick rows and bits", "[eval]") {
  const uint8_t v[] = {1, 0, 0, 1,  //
                       0, 1, 1, 0};
  PackedBits p = PackedBits::from_binary(v, 2, 4);
  PackedBits s = p.select({1});
  REQUIRE(s.size() == 1);
  CHECK(s.row(0)[0] == p.row(1)[0]);
  PackedBits k = p.keep_bits({3, 0});
  REQUIRE(k.bits() == 2);
  CHECK(k.get(0, 0));
  CHECK(k.get(0, 1));
  CHECK_FALSE(k.get(1, 0));
  CHECK_THROWS(p.keep_bits({4}));
}

TEST_CASE("share_label: relevance means at least one common label", "[eval]") {
  const uint8_t l[] = {1, 0, 0, 0, 1, 1, 0, 0, 0};
  PackedBits p = PackedBits::labels(l, 3, 3);
  CHECK_FALSE(cmh::eval::share_label(p.row(0), p.row(1), p.words()));
  CHECK_FALSE(cmh::eval::share_label(p.row(0), p.row(2), p.words()));  // item 2 has no label
  CHECK(cmh::eval::share_label(p.row(1), p.row(1), p.words()));
}
