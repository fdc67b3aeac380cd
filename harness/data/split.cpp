// The legacy-NumPy permutation (bit-exact with RandomState.permutation) and the DCMH split rule.
#include "data/split.h"

#include <numeric>
#include <random>
#include <unordered_set>

#include "common/error.h"

namespace cmh::data {

std::vector<int64_t> legacy_numpy_permutation(uint32_t seed, size_t n) {
  std::vector<int64_t> a(n);
  std::iota(a.begin(), a.end(), int64_t{0});
  std::mt19937 mt(seed);
  for (size_t i = n > 0 ? n - 1 : 0; i >= 1; --i) {
    // NumPy's random_interval(max = i): rejection sampling under the smallest all-ones mask.
    // It draws 32-bit words while max <= 0xffffffff and 64-bit words (two draws, high word
    // first) beyond that; the second branch only matters for n > 2^32.
    uint64_t mask = i;
    for (int s = 1; s <= 32; s <<= 1) mask |= mask >> s;
    uint64_t j;
    if (i <= 0xffffffffULL) {
      do j = static_cast<uint64_t>(mt()) & mask;
      while (j > i);
    } else {
      do {
        const uint64_t hi = mt();
        j = ((hi << 32) | mt()) & mask;
      } while (j > i);
    }
    std::swap(a[i], a[j]);
  }
  return a;
}

std::optional<Protocol> default_protocol(std::string_view name) {
  // "mirflickr25k (CNN-F fc7 features)" is the same data and split as "mirflickr25k".
  name = name.substr(0, name.find(" ("));
  if (name == "mirflickr25k") return Protocol{6, 2000, 10000};
  if (name == "nus-wide") return Protocol{7, 2100, 10500};
  if (name == "iapr-tc12") return Protocol{8, 2000, 10000};
  if (name == "mscoco") return Protocol{8, 5000, 10000};
  return std::nullopt;
}

void validate_split(const Split& s, size_t n, const std::string& origin) {
  auto check = [&](const std::vector<int64_t>& set, const char* what) {
    if (set.empty())
      throw InputError(origin + ": the " + what + " set is empty; every split needs query, " +
                       "train and database items");
    std::unordered_set<int64_t> seen;
    seen.reserve(set.size());
    for (int64_t i : set) {
      if (i < 0 || static_cast<size_t>(i) >= n)
        throw InputError(origin + ": " + what + " index " + std::to_string(i) + " is outside [0, " +
                         std::to_string(n) +
                         "); check the index base (0 or 1) and that the split matches the data");
      if (!seen.insert(i).second)
        throw InputError(origin + ": " + what + " index " + std::to_string(i) +
                         " appears twice; a split set must not repeat items");
    }
  };
  check(s.query, "query");
  check(s.train, "train");
  check(s.database, "database");
}

Split make_split(const Dataset& d, const Protocol& p) {
  const std::string origin = "data::make_split: dataset '" + d.name + "'";
  if (d.fixed_split) {
    Split s{d.fixed_split->query, d.fixed_split->train, d.fixed_split->database};
    validate_split(s, d.n, origin + " (fixed split)");
    return s;
  }
  if (p.query == 0 || p.train == 0)
    throw InputError(origin + ": protocol query = " + std::to_string(p.query) +
                     ", train = " + std::to_string(p.train) + "; both must be positive");
  if (p.query + p.train > d.n)
    throw InputError(origin + " has " + std::to_string(d.n) + " items but the protocol asks for " +
                     std::to_string(p.query) + " query + " + std::to_string(p.train) +
                     " train; lower [protocol] query/train or use a larger dataset");
  const std::vector<int64_t> perm = legacy_numpy_permutation(p.seed, d.n);
  Split s;
  s.query.assign(perm.begin(), perm.begin() + static_cast<ptrdiff_t>(p.query));
  s.train.assign(perm.begin() + static_cast<ptrdiff_t>(p.query),
                 perm.begin() + static_cast<ptrdiff_t>(p.query + p.train));
  s.database.assign(perm.begin() + static_cast<ptrdiff_t>(p.query), perm.end());
  return s;
}

}  // namespace cmh::data
