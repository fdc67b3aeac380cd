// Synthetic data: determinism, MIRFLICKR-like statistics, and a learnable-but-not-trivial task.
#include "data/synthetic.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>

#include "common/error.h"
#include "data/dataset_checks.h"

using namespace cmh::data;

namespace {

SyntheticParams small(uint64_t seed, size_t n = 1500) {
  SyntheticParams p;
  p.seed = seed;
  p.n = n;
  return p;
}

// ---- a plain linear "hashing" baseline, enough to tell learnable from trivial ----------------

/// Ridge regression W = (XᵀX + λI)⁻¹ XᵀY over rows `rows`; X [n, dx], Y [n, dy] row-major.
std::vector<double> ridge(const std::vector<float>& x, size_t dx, const std::vector<double>& y,
                          size_t dy, const std::vector<size_t>& rows, double lambda) {
  std::vector<double> a(dx * dx, 0.0), b(dx * dy, 0.0);
  std::vector<size_t> nz;
  for (size_t i : rows) {
    const float* xi = &x[i * dx];
    nz.clear();
    for (size_t k = 0; k < dx; ++k)
      if (xi[k] != 0.0f) nz.push_back(k);  // tags are sparse: accumulate only the non-zeros
    for (size_t p : nz) {
      for (size_t q : nz) a[p * dx + q] += double(xi[p]) * xi[q];
      for (size_t c = 0; c < dy; ++c) b[p * dy + c] += double(xi[p]) * y[i * dy + c];
    }
  }
  for (size_t k = 0; k < dx; ++k) a[k * dx + k] += lambda;
  // Cholesky a = L Lᵀ, in place (lower triangle).
  for (size_t j = 0; j < dx; ++j) {
    double d = a[j * dx + j];
    for (size_t k = 0; k < j; ++k) d -= a[j * dx + k] * a[j * dx + k];
    a[j * dx + j] = std::sqrt(d);
    for (size_t i = j + 1; i < dx; ++i) {
      double s = a[i * dx + j];
      for (size_t k = 0; k < j; ++k) s -= a[i * dx + k] * a[j * dx + k];
      a[i * dx + j] = s / a[j * dx + j];
    }
  }
  for (size_t c = 0; c < dy; ++c) {  // forward then backward substitution per output column
    std::vector<double> z(dx);
    for (size_t i = 0; i < dx; ++i) {
      double s = b[i * dy + c];
      for (size_t k = 0; k < i; ++k) s -= a[i * dx + k] * z[k];
      z[i] = s / a[i * dx + i];
    }
    for (size_t i = dx; i-- > 0;) {
      double s = z[i];
      for (size_t k = i + 1; k < dx; ++k) s -= a[k * dx + i] * b[k * dy + c];
      b[i * dy + c] = s / a[i * dx + i];
    }
  }
  return b;
}

/// Codes = sign(X W − mean over the training rows), one bit per label, packed into a uint64.
std::vector<uint64_t> codes(const std::vector<float>& x, size_t dx, const std::vector<double>& w,
                            size_t dy, const std::vector<size_t>& train) {
  const size_t n = x.size() / dx;
  std::vector<double> proj(n * dy, 0.0), mean(dy, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < dx; ++k)
      if (x[i * dx + k] != 0.0f)
        for (size_t c = 0; c < dy; ++c) proj[i * dy + c] += x[i * dx + k] * w[k * dy + c];
  for (size_t i : train)
    for (size_t c = 0; c < dy; ++c) mean[c] += proj[i * dy + c] / double(train.size());
  std::vector<uint64_t> out(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t c = 0; c < dy; ++c)
      if (proj[i * dy + c] > mean[c]) out[i] |= uint64_t(1) << c;
  return out;
}

/// mAP@all with Hamming ranking (ties by database index), relevance = a shared label.
double map_all(const std::vector<uint64_t>& q_codes, const std::vector<uint64_t>& db_codes,
               const Dataset& d, const std::vector<size_t>& queries,
               const std::vector<size_t>& db) {
  double total = 0;
  std::vector<std::pair<int, size_t>> order(db.size());
  for (size_t qi : queries) {
    for (size_t k = 0; k < db.size(); ++k)
      order[k] = {__builtin_popcountll(q_codes[qi] ^ db_codes[db[k]]), k};
    std::sort(order.begin(), order.end());
    double hits = 0, ap = 0;
    for (size_t r = 0; r < order.size(); ++r) {
      const size_t j = db[order[r].second];
      bool rel = false;
      for (size_t l = 0; l < d.num_labels && !rel; ++l)
        rel = d.labels[qi * d.num_labels + l] && d.labels[j * d.num_labels + l];
      if (rel) ap += ++hits / double(r + 1);
    }
    total += hits > 0 ? ap / hits : 0.0;
  }
  return total / double(queries.size());
}

struct Retrieval {
  double i2t, t2i, i2i, random;
};

/// Trains linear maps from each modality to the labels on the first items and measures
/// cross-modal retrieval of the rest.
Retrieval linear_retrieval(const Dataset& d, const std::vector<float>& image, size_t image_dim) {
  const size_t n = d.n, nq = 200;
  std::vector<size_t> queries(nq), db(n - nq);
  std::iota(queries.begin(), queries.end(), size_t{0});
  std::iota(db.begin(), db.end(), nq);
  const std::vector<size_t>& train = db;
  std::vector<double> y(d.labels.begin(), d.labels.end());
  const auto wi = ridge(image, image_dim, y, d.num_labels, train, 1.0);
  const auto wt = ridge(d.text.features, d.text.dim, y, d.num_labels, train, 1.0);
  const auto bi = codes(image, image_dim, wi, d.num_labels, train);
  const auto bt = codes(d.text.features, d.text.dim, wt, d.num_labels, train);
  std::vector<uint64_t> rnd(n);
  uint64_t s = 12345;
  for (auto& c : rnd) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    c = (s >> 20) & ((uint64_t(1) << d.num_labels) - 1);
  }
  return {map_all(bi, bt, d, queries, db), map_all(bt, bi, d, queries, db),
          map_all(bi, bi, d, queries, db), map_all(rnd, rnd, d, queries, db)};
}

/// Crude colour features of NCHW pixels: a 4×4×4 colour histogram per item, normalised.
std::vector<float> colour_histograms(const Modality& m) {
  const size_t hw = m.height * m.width;
  std::vector<float> out(m.n * 64, 0.0f);
  for (size_t i = 0; i < m.n; ++i) {
    const uint8_t* p = &m.pixels[i * 3 * hw];
    for (size_t k = 0; k < hw; ++k) {
      const size_t bin = (p[k] / 64) * 16 + (p[hw + k] / 64) * 4 + p[2 * hw + k] / 64;
      out[i * 64 + bin] += 1.0f / float(hw);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("synthetic: the same seed gives identical data, another seed other data",
          "[data][synthetic]") {
  for (auto kind : {SyntheticImageKind::kFeatures, SyntheticImageKind::kPixels}) {
    SyntheticParams p = small(7, 300);
    p.image.kind = kind;
    const Dataset a = generate_synthetic(p), b = generate_synthetic(p);
    CHECK(a.labels == b.labels);
    CHECK(a.text.features == b.text.features);
    CHECK(a.image.features == b.image.features);
    CHECK(a.image.pixels == b.image.pixels);
    p.seed = 8;
    const Dataset c = generate_synthetic(p);
    CHECK(a.labels != c.labels);
    CHECK(a.text.features != c.text.features);
    if (kind == SyntheticImageKind::kFeatures)
      CHECK(a.image.features != c.image.features);
    else
      CHECK(a.image.pixels != c.image.pixels);
    CHECK(a.image.synthetic);
    CHECK(a.text.synthetic);
  }
}

TEST_CASE("synthetic: labels and tags follow MIRFLICKR-25K statistics", "[data][synthetic]") {
  Dataset d = generate_synthetic(small(1, 4000));
  validate_dataset(d, "test");
  const DatasetSummary s = summarize(d);
  CHECK(s.num_labels == 24);
  CHECK(s.labels_per_item_mean == Approx(3.8).margin(0.25));
  CHECK(s.labels_per_item_min >= 1);
  CHECK(s.labels_per_item_max >= 8);
  CHECK(s.labels_per_item_max <= 24);
  CHECK(d.unlabelled_items == 0);
  CHECK(d.text.dim == 1386);
  CHECK(s.text.nonzero_per_item == Approx(4.6).margin(0.3));
  CHECK(d.image.dim == 512);
  // Co-occurrence: some label pairs co-occur far more often than independence predicts.
  std::vector<double> freq(24, 0.0);
  for (size_t i = 0; i < d.n; ++i)
    for (size_t l = 0; l < 24; ++l) freq[l] += d.labels[i * 24 + l] / double(d.n);
  double best_lift = 0;
  for (size_t a = 0; a < 24; ++a)
    for (size_t b = a + 1; b < 24; ++b) {
      double both = 0;
      for (size_t i = 0; i < d.n; ++i) both += d.labels[i * 24 + a] && d.labels[i * 24 + b];
      if (freq[a] * freq[b] > 0.002)
        best_lift = std::max(best_lift, both / d.n / (freq[a] * freq[b]));
    }
  CHECK(best_lift > 2.0);
}

TEST_CASE("synthetic: linear retrieval is far better than chance but not perfect",
          "[data][synthetic]") {
  const Dataset d = generate_synthetic(small(3, 1500));
  const Retrieval r = linear_retrieval(d, d.image.features, d.image.dim);
  INFO("i2t " << r.i2t << ", t2i " << r.t2i << ", i2i " << r.i2i << ", random codes " << r.random);
  CHECK(r.random < 0.65);
  CHECK(r.i2t > r.random + 0.1);
  CHECK(r.t2i > r.random + 0.1);
  CHECK(r.i2t < 0.95);
  CHECK(r.t2i < 0.95);
}

TEST_CASE("synthetic: more image noise makes the task harder", "[data][synthetic]") {
  SyntheticParams p = small(3, 1500);
  p.image.noise = 0.0;
  const Dataset easy = generate_synthetic(p);
  p.image.noise = 1.0;
  const Dataset hard = generate_synthetic(p);
  const double e = linear_retrieval(easy, easy.image.features, easy.image.dim).i2i;
  const double h = linear_retrieval(hard, hard.image.features, hard.image.dim).i2i;
  INFO("easy " << e << ", hard " << h);
  CHECK(e > h + 0.03);
}

TEST_CASE("synthetic pixels: pictures carry the labels", "[data][synthetic]") {
  SyntheticParams p = small(5, 1500);
  p.image.kind = SyntheticImageKind::kPixels;
  const Dataset d = generate_synthetic(p);
  REQUIRE(d.image.kind == ModalityKind::kPixels);
  CHECK(d.image.channels == 3);
  CHECK(d.image.height == 32);
  CHECK(d.image.width == 32);
  CHECK(d.image.pixels.size() == d.n * 3 * 32 * 32);
  // Even colour histograms alone (no shapes) retrieve far better than chance.
  const std::vector<float> hist = colour_histograms(d.image);
  const Retrieval r = linear_retrieval(d, hist, 64);
  INFO("i2t from colour histograms " << r.i2t << ", random " << r.random);
  CHECK(r.i2t > r.random + 0.05);
  CHECK(r.i2t < 0.95);
}

TEST_CASE("add_synthetic_images derives images from real labels and says so", "[data][synthetic]") {
  Dataset d = generate_synthetic(small(9, 200));
  d.name = "realish";
  d.image = Modality{};
  d.text.synthetic = false;
  add_synthetic_images(d, 4);
  CHECK(d.name == "realish (synthetic images)");
  CHECK(d.image.synthetic);
  CHECK(d.image.n == 200);
  CHECK(d.image.dim == SyntheticImageParams{}.dim);
  CHECK(d.any_synthetic());
  Dataset e = d;
  e.name = "realish";
  add_synthetic_images(e, 4);
  CHECK(e.image.features == d.image.features);
  add_synthetic_images(e, 5);
  CHECK(e.image.features != d.image.features);
}

TEST_CASE("synthetic: bad parameters are refused", "[data][synthetic]") {
  SyntheticParams p = small(1, 10);
  p.n = 0;
  CHECK_THROWS_WITH(generate_synthetic(p),
                    Catch::Contains("data::synthetic") && Catch::Contains("n"));
  p = small(1, 10);
  p.mean_labels = 20;
  CHECK_THROWS_WITH(generate_synthetic(p), Catch::Contains("mean_labels"));
  p = small(1, 10);
  p.image.kind = SyntheticImageKind::kPixels;
  p.image.size = 8;
  CHECK_THROWS_WITH(generate_synthetic(p), Catch::Contains("size"));
  CHECK_THROWS_WITH(parse_synthetic_image_kind("jpeg", "x"),
                    Catch::Contains("features") && Catch::Contains("pixels"));
}
