// The legacy-NumPy permutation against numpy_legacy_permutation.txt, and the split rule.
#include "data/split.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "common/error.h"
#include "data_test_util.h"

using namespace cmh::data;

TEST_CASE("legacy_numpy_permutation reproduces every fixture row", "[data][split]") {
  const std::string path = cmh::test::shared_reference("numpy_legacy_permutation.txt");
  CMH_SKIP_UNLESS_EXISTS(path);
  std::ifstream in(path);
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream is(line);
    uint32_t seed;
    size_t n;
    is >> seed >> n;
    std::vector<int64_t> first;
    int64_t x;
    while (is >> x) first.push_back(x);
    REQUIRE(!first.empty());
    const auto checksum = static_cast<uint64_t>(first.back());
    first.pop_back();
    INFO("seed " << seed << ", n " << n);
    const std::vector<int64_t> perm = legacy_numpy_permutation(seed, n);
    REQUIRE(perm.size() == n);
    REQUIRE(first.size() == std::min<size_t>(20, n));
    for (size_t i = 0; i < first.size(); ++i) CHECK(perm[i] == first[i]);
    // checksum = sum_i i * perm[i] mod (2^61 - 1)
    const unsigned __int128 mod = (static_cast<unsigned __int128>(1) << 61) - 1;
    unsigned __int128 sum = 0;
    for (size_t i = 0; i < n; ++i)
      sum = (sum + static_cast<unsigned __int128>(i) * uint64_t(perm[i])) % mod;
    CHECK(static_cast<uint64_t>(sum) == checksum);
    // A permutation: every index exactly once.
    std::vector<char> seen(n, 0);
    for (int64_t v : perm) seen[size_t(v)]++;
    CHECK(std::count(seen.begin(), seen.end(), 1) == static_cast<std::ptrdiff_t>(n));
    ++rows;
  }
  CHECK(rows == 6);
}

TEST_CASE("legacy_numpy_permutation handles tiny n", "[data][split]") {
  CHECK(legacy_numpy_permutation(3, 0).empty());
  CHECK(legacy_numpy_permutation(3, 1) == std::vector<int64_t>{0});
  const auto two = legacy_numpy_permutation(3, 2);
  CHECK(std::set<int64_t>(two.begin(), two.end()) == std::set<int64_t>{0, 1});
}

TEST_CASE("default protocols follow PROTOCOL.md", "[data][split]") {
  CHECK(default_protocol("mirflickr25k")->seed == 6);
  CHECK(default_protocol("mirflickr25k")->query == 2000);
  CHECK(default_protocol("mirflickr25k")->train == 10000);
  CHECK(default_protocol("nus-wide")->seed == 7);
  CHECK(default_protocol("nus-wide")->query == 2100);
  CHECK(default_protocol("nus-wide")->train == 10500);
  CHECK(default_protocol("iapr-tc12")->seed == 8);
  CHECK(default_protocol("mscoco")->query == 5000);
  CHECK_FALSE(default_protocol("wikipedia"));
  // A variant of the same data (other features) keeps the split, so its rows stay comparable.
  CHECK(default_protocol("nus-wide (CNN-F fc7 features)")->seed == 7);
  CHECK_FALSE(default_protocol("nus-wide-tc10"));
}

TEST_CASE("make_split: query, train = next items, database = all non-query", "[data][split]") {
  Dataset d;
  d.name = "toy";
  d.n = 100;
  const Split s = make_split(d, Protocol{5, 10, 30});
  const auto perm = legacy_numpy_permutation(5, 100);
  REQUIRE(s.query.size() == 10);
  REQUIRE(s.train.size() == 30);
  REQUIRE(s.database.size() == 90);
  CHECK(std::equal(s.query.begin(), s.query.end(), perm.begin()));
  CHECK(std::equal(s.train.begin(), s.train.end(), perm.begin() + 10));
  CHECK(std::equal(s.database.begin(), s.database.end(), perm.begin() + 10));
  std::set<int64_t> q(s.query.begin(), s.query.end());
  for (int64_t i : s.database) CHECK(q.count(i) == 0);
}

TEST_CASE("make_split refuses impossible protocols", "[data][split]") {
  Dataset d;
  d.name = "toy";
  d.n = 100;
  CHECK_THROWS_AS(make_split(d, Protocol{1, 0, 10}), cmh::InputError);
  CHECK_THROWS_AS(make_split(d, Protocol{1, 10, 0}), cmh::InputError);
  CHECK_THROWS_WITH(make_split(d, Protocol{1, 60, 41}),
                    Catch::Contains("data::make_split") && Catch::Contains("100 items"));
  CHECK_NOTHROW(make_split(d, Protocol{1, 60, 40}));
}

TEST_CASE("make_split uses a fixed split and checks it", "[data][split]") {
  Dataset d;
  d.name = "fixed";
  d.n = 5;
  d.fixed_split = FixedSplit{{3, 4}, {0, 1, 2}, {0, 1, 2}};
  const Split s = make_split(d, Protocol{1, 1, 1});
  CHECK(s.query == std::vector<int64_t>{3, 4});
  CHECK(s.train == std::vector<int64_t>{0, 1, 2});
  d.fixed_split->query = {3, 5};
  CHECK_THROWS_WITH(make_split(d, Protocol{}), Catch::Contains("outside [0, 5)"));
  d.fixed_split->query = {3, 3};
  CHECK_THROWS_WITH(make_split(d, Protocol{}), Catch::Contains("appears twice"));
}
