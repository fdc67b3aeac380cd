// Shared by method tests: a small synthetic set, a split, training through the Method interface
// and mAP against random codes.
#pragma once

#include <random>
#include <vector>

#include "common/allocator.h"
#include "data/dataset.h"
#include "data/synthetic.h"
#include "eval/metrics.h"
#include "method.h"

namespace cmh::test {

struct SmallTask {
  data::Dataset data;
  std::vector<int64_t> query, train, database;
  eval::PackedBits query_labels, database_labels;

  explicit SmallTask(bool pixels = false, size_t n = 600) {
    tune_allocator();  // as cmhbench: without it training steps page-fault (common/allocator.h)
    data::SyntheticParams p;
    p.seed = 11;
    p.n = n;
    p.tag_dim = 200;
    p.image.dim = 64;
    if (pixels) {
      p.image.kind = data::SyntheticImageKind::kPixels;
      p.image.size = 32;
    }
    data = data::generate_synthetic(p);
    for (size_t i = 0; i < n; ++i) (i < n / 6 ? query : database).push_back(static_cast<int64_t>(i));
    train = database;
    const auto all = eval::PackedBits::labels(data.labels.data(), data.n, static_cast<int>(data.num_labels));
    query_labels = all.select(query);
    database_labels = all.select(database);
  }

  struct Maps {
    double i2t, t2i;
  };
  Maps evaluate(Method& m) const {
    return {eval::mean_average_precision(m.encode_image(data, query), m.encode_text(data, database), query_labels,
                                         database_labels, 2),
            eval::mean_average_precision(m.encode_text(data, query), m.encode_image(data, database), query_labels,
                                         database_labels, 2)};
  }
  /// mAP of seeded random codes of the same length: the floor a method must clearly beat.
  double random_map(int bits) const {
    std::mt19937 rng(5);
    auto random_codes = [&](size_t n) {
      std::vector<float> v(n * bits);
      for (auto& x : v) x = (rng() & 1) ? 1.f : -1.f;
      return eval::PackedBits::from_real(v.data(), n, bits);
    };
    return eval::mean_average_precision(random_codes(query.size()), random_codes(database.size()), query_labels,
                                        database_labels, 2);
  }
};

inline RunContext context(const MethodInfo& info, int bits, uint64_t seed,
                          const std::map<std::string, ParamValue>& overrides) {
  RunContext ctx;
  ctx.bits = bits;
  ctx.seed = seed;
  ctx.threads = 2;
  ctx.params = Params(info.name, info.params, overrides);
  return ctx;
}

inline bool same_codes(const eval::PackedBits& a, const eval::PackedBits& b) {
  if (a.size() != b.size() || a.bits() != b.bits()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    for (int w = 0; w < a.words(); ++w)
      if (a.row(i)[w] != b.row(i)[w]) return false;
  return true;
}

}  // namespace cmh::test
