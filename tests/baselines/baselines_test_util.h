// Shared pieces of the baseline tests: a small synthetic set, and one method fitted and encoded
// through the library (no executable, no store).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/synthetic.h"
#include "eval/packed.h"
#include "method.h"
#include "test_methods.h"

namespace cmh::test {

/// A dataset with its split and packed labels.
struct SplitSet {
  data::Dataset dataset;
  data::Split split;
  eval::PackedBits query_labels, database_labels;
};

inline SplitSet with_split(data::Dataset d, data::Split split) {
  SplitSet s;
  s.dataset = std::move(d);
  s.split = std::move(split);
  const auto all =
      eval::PackedBits::labels(s.dataset.labels.data(), s.dataset.n, static_cast<int>(s.dataset.num_labels));
  s.query_labels = all.select(s.split.query);
  s.database_labels = all.select(s.split.database);
  return s;
}

/// 600 synthetic items (200-d tags, 64-d image features; fewer labels per item and less noise than
/// the MIRFLICKR-like defaults, so that chance is well below 1 and the unsupervised CMFH and STMH
/// have structure to find): query = the first 100, train = the next 300, database = all 500
/// non-query items (⊇ train, as every protocol here).
inline const SplitSet& small_synthetic() {
  static const SplitSet s = [] {
    data::SyntheticParams p;
    p.seed = 5;
    p.n = 600;
    p.tag_dim = 200;
    p.image.dim = 64;
    p.mean_labels = 2.0;
    p.text_noise = 0.25;
    p.image.noise = 0.25;
    data::Split split;
    for (int64_t i = 0; i < 600; ++i) (i < 100 ? split.query : split.database).push_back(i);
    for (int64_t i = 100; i < 400; ++i) split.train.push_back(i);
    return with_split(data::generate_synthetic(p), split);
  }();
  return s;
}

struct CrossCodes {
  eval::PackedBits query_image, query_text, database_image, database_text;
  eval::PackedBits database_image_alone;  ///< encode_image of the database items (no encode_database)
};

/// Fits method `name` (defaults plus `overrides`) on the training items and encodes query and
/// database in both modalities; the run's notes land in `notes` when given.
inline CrossCodes encode_all(const std::string& name, const SplitSet& s, int bits, uint64_t seed,
                             const std::map<std::string, ParamValue>& overrides,
                             std::vector<std::string>* notes = nullptr) {
  const MethodInfo& info = test::methods().at(name);
  RunContext ctx;
  ctx.bits = bits;
  ctx.seed = seed;
  ctx.params = Params(name, info.params, overrides);
  auto m = info.create();
  m->fit(s.dataset, s.split.train, ctx);
  CrossCodes c;
  c.query_image = m->encode_image(s.dataset, s.split.query);
  c.query_text = m->encode_text(s.dataset, s.split.query);
  DatabaseCodes db = encode_database_codes(*m, s.dataset, s.split.database);
  c.database_image = std::move(db.image);
  c.database_text = std::move(db.text);
  c.database_image_alone = m->encode_image(s.dataset, s.split.database);
  if (notes) *notes = ctx.notes;
  return c;
}

}  // namespace cmh::test
