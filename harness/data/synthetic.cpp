// Seeded synthetic cross-modal data. Every distribution is implemented here on top of
// std::mt19937_64 (whose output the standard fixes), because std::normal_distribution & co. differ
// between standard libraries and would make "the same seed, the same data" platform-dependent.
#include "data/synthetic.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>

#include "common/error.h"
#include "data/declaration.h"
#include "io/mat_file.h"

namespace cmh::data {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Independent streams per purpose, so that e.g. changing the image kind leaves labels and tags
// unchanged for the same seed.
enum Stream : uint64_t {
  kLabelWorld = 1,
  kLabelItems,
  kLabelPilot,
  kTagWorld,
  kTagItems,
  kImageWorld,
  kImageItems,
};

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// mt19937_64 with portable distributions.
class Rng {
 public:
  Rng(uint64_t seed, Stream stream) : mt_(splitmix64(splitmix64(seed) ^ stream)) {}

  double uniform() { return static_cast<double>(mt_() >> 11) * 0x1.0p-53; }  // [0, 1)

  size_t below(size_t n) {  // uniform in [0, n) without modulo bias
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = mt_();
    while (x >= limit);
    return static_cast<size_t>(x % n);
  }

  double normal() {  // Box–Muller; the second value is kept for the next call
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1;
    do u1 = uniform();
    while (u1 <= 0.0);
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2 * kPi * u2);
    has_spare_ = true;
    return r * std::cos(2 * kPi * u2);
  }

  size_t poisson(double mean) {  // Knuth's product method: fine for the small means used here
    const double limit = std::exp(-mean);
    size_t k = 0;
    double prod = uniform();
    while (prod > limit) {
      ++k;
      prod *= uniform();
    }
    return k;
  }

  /// Index drawn from an (unnormalised) cumulative weight vector.
  size_t categorical(const std::vector<double>& cdf) {
    const double u = uniform() * cdf.back();
    const size_t i = static_cast<size_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
    return std::min(i, cdf.size() - 1);
  }

  template <class T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

 private:
  std::mt19937_64 mt_;
  bool has_spare_ = false;
  double spare_ = 0;
};

std::vector<double> cumulative(const std::vector<double>& w) {
  std::vector<double> c(w.size());
  std::partial_sum(w.begin(), w.end(), c.begin());
  return c;
}

/// Zipf-like weights 1/(rank+offset)^exponent over a random assignment of ranks.
std::vector<double> zipf_weights(size_t n, double exponent, double offset, Rng& rng) {
  std::vector<size_t> rank(n);
  std::iota(rank.begin(), rank.end(), size_t{0});
  rng.shuffle(rank);
  std::vector<double> w(n);
  for (size_t i = 0; i < n; ++i) w[i] = 1.0 / std::pow(double(rank[i]) + offset, exponent);
  return w;
}

// ---------------------------------------------------------------------------------------------
// Labels: each item belongs to one latent scene; a scene switches on a few "core" labels with
// high probability on top of a Zipf background popularity, and some labels imply a more popular
// "parent" (as MIRFLICKR's clouds → sky, portrait → people). The background scale is calibrated so
// that the mean number of labels per item matches the target.

struct LabelWorld {
  size_t num_labels = 0;
  std::vector<double> scene_cdf;
  std::vector<std::vector<double>> core;  // [scene][label] extra probability of core labels
  std::vector<double> popularity;         // [label] background weight, max 1
  std::vector<std::pair<size_t, size_t>> implications;  // (child, parent)
};

LabelWorld make_label_world(const SyntheticParams& p) {
  Rng rng(p.seed, kLabelWorld);
  LabelWorld w;
  w.num_labels = p.num_labels;
  std::vector<double> scene_weights(p.num_scenes);
  for (double& x : scene_weights) x = 0.5 + rng.uniform();
  w.scene_cdf = cumulative(scene_weights);
  w.popularity = zipf_weights(p.num_labels, 0.8, 1.0, rng);
  w.core.assign(p.num_scenes, std::vector<double>(p.num_labels, 0.0));
  std::vector<size_t> order(p.num_labels);
  std::iota(order.begin(), order.end(), size_t{0});
  for (auto& core : w.core) {
    rng.shuffle(order);
    const size_t k = std::min(p.num_labels, 2 + rng.below(3));
    for (size_t i = 0; i < k; ++i) core[order[i]] = 0.45 + 0.35 * rng.uniform();
  }
  const size_t num_implications = p.num_labels / 6;
  for (size_t i = 0; i < num_implications; ++i) {
    const size_t a = rng.below(p.num_labels), b = rng.below(p.num_labels);
    if (a == b) continue;
    // The more popular label is the parent.
    if (w.popularity[a] >= w.popularity[b])
      w.implications.emplace_back(b, a);
    else
      w.implications.emplace_back(a, b);
  }
  return w;
}

/// Draws one item's labels into y (size num_labels) with background scale c.
void draw_labels(const LabelWorld& w, double c, Rng& rng, uint8_t* y) {
  const size_t scene = rng.categorical(w.scene_cdf);
  const auto& core = w.core[scene];
  size_t count = 0, best = 0;
  double best_p = -1;
  for (size_t l = 0; l < w.num_labels; ++l) {
    const double prob = std::min(0.95, core[l] + c * w.popularity[l]);
    y[l] = rng.uniform() < prob;
    count += y[l];
    if (prob > best_p) best_p = prob, best = l;
  }
  for (const auto& [child, parent] : w.implications) {
    const bool promote = rng.uniform() < 0.85;  // drawn always, to keep the stream aligned
    if (y[child] && promote && !y[parent]) y[parent] = 1, ++count;
  }
  if (count == 0) y[best] = 1;  // as in the cleaned MIRFLICKR, every item has a label
}

double calibrate_background(const LabelWorld& w, const SyntheticParams& p) {
  // Common random numbers: the same pilot stream for every candidate keeps the mean monotone in c.
  constexpr size_t kPilot = 4000;
  std::vector<uint8_t> y(p.num_labels);
  auto mean_for = [&](double c) {
    Rng rng(p.seed, kLabelPilot);
    size_t total = 0;
    for (size_t i = 0; i < kPilot; ++i) {
      draw_labels(w, c, rng, y.data());
      total += static_cast<size_t>(std::count(y.begin(), y.end(), uint8_t{1}));
    }
    return double(total) / kPilot;
  };
  double lo = 0, hi = 1;
  while (mean_for(hi) < p.mean_labels && hi < 1e3) hi *= 2;
  for (int it = 0; it < 30; ++it) {
    const double mid = 0.5 * (lo + hi);
    (mean_for(mid) < p.mean_labels ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// ---------------------------------------------------------------------------------------------
// Tags: each label owns a small vocabulary with Zipf weights; the remaining tags come from a
// label-independent Zipf distribution over the whole vocabulary (noise, as user tags often are).

std::vector<float> draw_tags(const SyntheticParams& p, const std::vector<uint8_t>& labels) {
  constexpr size_t kTagsPerLabel = 10;
  Rng world(p.seed, kTagWorld);
  const std::vector<double> noise_cdf = cumulative(zipf_weights(p.tag_dim, 1.0, 1.0, world));
  std::vector<std::vector<size_t>> vocab(p.num_labels);
  std::vector<double> within(std::min(kTagsPerLabel, p.tag_dim));
  for (size_t j = 0; j < within.size(); ++j) within[j] = 1.0 / std::pow(double(j) + 1.0, 0.8);
  const std::vector<double> within_cdf = cumulative(within);
  for (auto& v : vocab)
    for (size_t j = 0; j < within.size(); ++j) v.push_back(world.below(p.tag_dim));

  const double p_label_tag = 1.0 - (0.1 + 0.8 * p.text_noise);
  Rng rng(p.seed, kTagItems);
  std::vector<float> tags(p.n * p.tag_dim, 0.0f);
  std::vector<size_t> present;
  for (size_t i = 0; i < p.n; ++i) {
    present.clear();
    for (size_t l = 0; l < p.num_labels; ++l)
      if (labels[i * p.num_labels + l]) present.push_back(l);
    const size_t want = std::min(p.tag_dim, 1 + rng.poisson(p.mean_tags - 1.0));
    float* row = &tags[i * p.tag_dim];
    size_t have = 0;
    for (size_t attempt = 0; have < want && attempt < 50 * want; ++attempt) {
      size_t t;
      if (!present.empty() && rng.uniform() < p_label_tag)
        t = vocab[present[rng.below(present.size())]][rng.categorical(within_cdf)];
      else
        t = rng.categorical(noise_cdf);
      if (row[t] == 0.0f) row[t] = 1.0f, ++have;
    }
  }
  return tags;
}

// ---------------------------------------------------------------------------------------------
// Image features: x = relu(W2 tanh(W1 (y ⊙ v) + b1 + 1.5 noise z) + b2 + 0.5 noise e). The hidden
// noise z lives in the same 64-d subspace as the label signal (like lighting or background in a
// CNN's features), so no linear map can project it away; v drops each label with probability
// 0.2 noise (an occluded object: the label is true but not visible); e is per-dimension noise.

void draw_image_features(const std::vector<uint8_t>& labels, size_t n, size_t num_labels,
                         uint64_t seed, const SyntheticImageParams& p, Modality& out) {
  constexpr size_t kHidden = 64;
  Rng world(seed, kImageWorld);
  std::vector<double> w1(kHidden * num_labels), b1(kHidden), w2(p.dim * kHidden), b2(p.dim);
  for (double& x : w1) x = 1.2 * world.normal();
  for (double& x : b1) x = 0.5 * world.normal();
  for (double& x : w2) x = world.normal() / std::sqrt(double(kHidden));
  for (double& x : b2) x = 0.3 * world.normal();

  Rng rng(seed, kImageItems);
  out.kind = ModalityKind::kFeatures;
  out.n = n;
  out.dim = p.dim;
  out.features.assign(n * p.dim, 0.0f);
  std::vector<double> h(kHidden);
  std::vector<uint8_t> visible(num_labels);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* y = &labels[i * num_labels];
    for (size_t l = 0; l < num_labels; ++l) visible[l] = y[l] && rng.uniform() >= 0.2 * p.noise;
    for (size_t k = 0; k < kHidden; ++k) {
      double a = b1[k] + 1.5 * p.noise * rng.normal();
      for (size_t l = 0; l < num_labels; ++l)
        if (visible[l]) a += w1[k * num_labels + l];
      h[k] = std::tanh(a);
    }
    float* row = &out.features[i * p.dim];
    for (size_t d = 0; d < p.dim; ++d) {
      double a = b2[d] + 0.5 * p.noise * rng.normal();
      for (size_t k = 0; k < kHidden; ++k) a += w2[d * kHidden + k] * h[k];
      row[d] = static_cast<float>(std::max(0.0, a));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Pixels: label l is drawn as its own element, shape l % 8 with texture (l / 8) % 3 and a palette
// colour, at a random position and scale, over a noisy gradient background with clutter. The
// (shape, texture, colour) triple is distinct for the first 192 labels.

constexpr std::array<std::array<double, 3>, 8> kPalette = {{{0.90, 0.16, 0.16},
                                                            {0.16, 0.78, 0.24},
                                                            {0.20, 0.31, 0.90},
                                                            {0.94, 0.86, 0.16},
                                                            {0.86, 0.20, 0.86},
                                                            {0.16, 0.86, 0.90},
                                                            {0.98, 0.55, 0.08},
                                                            {0.94, 0.94, 0.94}}};

bool inside_shape(size_t shape, double dx, double dy, double r) {
  const double ax = std::fabs(dx), ay = std::fabs(dy), d2 = dx * dx + dy * dy;
  switch (shape) {
    case 0:
      return d2 <= r * r;  // disk
    case 1:
      return ax <= 0.8 * r && ay <= 0.8 * r;  // square
    case 2:
      return dy >= -r && dy <= 0.8 * r && ax <= 0.55 * (dy + r);  // triangle
    case 3:
      return d2 <= r * r && d2 >= 0.3 * r * r;  // ring
    case 4:
      return (ax <= 0.3 * r && ay <= r) || (ay <= 0.3 * r && ax <= r);  // plus
    case 5:
      return ax + ay <= r;  // diamond
    case 6:
      return ax <= r && ay <= r && int((dy + r) / (0.4 * r)) % 2 == 0;  // bars
    default:
      return ax <= r && ay <= r && std::fabs(ax - ay) <= 0.3 * r;  // X
  }
}

double texture_intensity(size_t texture, size_t x, size_t y, size_t side) {
  const size_t period = std::max<size_t>(2, side / 16);
  switch (texture) {
    case 0:
      return 1.0;  // solid
    case 1:
      return ((x + y) / period) % 2 == 0 ? 1.0 : 0.35;  // diagonal stripes
    default:
      return ((x / period) + (y / period)) % 2 == 0 ? 1.0 : 0.35;  // checker
  }
}

void draw_image_pixels(const std::vector<uint8_t>& labels, size_t n, size_t num_labels,
                       uint64_t seed, const SyntheticImageParams& p, Modality& out) {
  const size_t s = p.size;
  Rng rng(seed, kImageItems);
  out.kind = ModalityKind::kPixels;
  out.n = n;
  out.channels = 3;
  out.height = out.width = s;
  out.pixels.assign(n * 3 * s * s, 0);
  std::vector<double> canvas(3 * s * s);
  std::vector<size_t> present;
  for (size_t i = 0; i < n; ++i) {
    // Background: a dark colour with a linear gradient in a random direction.
    double bg[3];
    for (double& c : bg) c = 0.05 + 0.3 * rng.uniform();
    const double angle = 2 * kPi * rng.uniform(), gx = std::cos(angle), gy = std::sin(angle);
    for (size_t c = 0; c < 3; ++c)
      for (size_t y = 0; y < s; ++y)
        for (size_t x = 0; x < s; ++x)
          canvas[(c * s + y) * s + x] =
              bg[c] + 0.15 * ((double(x) * gx + double(y) * gy) / double(s) - 0.5);
    // Clutter: small rectangles of arbitrary colour, more of them as noise grows.
    const size_t clutter = rng.poisson(3.0 * p.noise);
    for (size_t k = 0; k < clutter; ++k) {
      const size_t w = 1 + rng.below(std::max<size_t>(1, s / 6)),
                   h = 1 + rng.below(std::max<size_t>(1, s / 6));
      const size_t x0 = rng.below(s - w + 1), y0 = rng.below(s - h + 1);
      double col[3];
      for (double& c : col) c = rng.uniform();
      for (size_t c = 0; c < 3; ++c)
        for (size_t y = y0; y < y0 + h; ++y)
          for (size_t x = x0; x < x0 + w; ++x) canvas[(c * s + y) * s + x] = col[c];
    }
    // Label elements, in random order so that none is always on top.
    present.clear();
    for (size_t l = 0; l < num_labels; ++l)
      if (labels[i * num_labels + l]) present.push_back(l);
    rng.shuffle(present);
    for (size_t l : present) {
      const double u_drop = rng.uniform(), u_scale = rng.uniform();
      const double r = double(s) * (0.13 + 0.07 * u_scale);
      const double cx = r + rng.uniform() * (double(s) - 2 * r);
      const double cy = r + rng.uniform() * (double(s) - 2 * r);
      double col[3];
      const auto& base = kPalette[(l * 3 + l / 24) % kPalette.size()];
      for (size_t c = 0; c < 3; ++c) col[c] = base[c] + 0.1 * p.noise * rng.normal();
      if (u_drop < 0.2 * p.noise) continue;  // occluded: the label is true but not visible
      const size_t shape = l % 8, texture = (l / 8) % 3;
      const size_t x0 = size_t(std::max(0.0, std::floor(cx - r))),
                   x1 = std::min(s, size_t(std::ceil(cx + r)) + 1);
      const size_t y0 = size_t(std::max(0.0, std::floor(cy - r))),
                   y1 = std::min(s, size_t(std::ceil(cy + r)) + 1);
      for (size_t y = y0; y < y1; ++y)
        for (size_t x = x0; x < x1; ++x) {
          if (!inside_shape(shape, double(x) + 0.5 - cx, double(y) + 0.5 - cy, r)) continue;
          const double t = texture_intensity(texture, x, y, s);
          for (size_t c = 0; c < 3; ++c) canvas[(c * s + y) * s + x] = col[c] * t;
        }
    }
    uint8_t* dst = &out.pixels[i * 3 * s * s];
    for (size_t k = 0; k < canvas.size(); ++k) {
      const double v = canvas[k] + 0.08 * p.noise * rng.normal();
      dst[k] = static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0));
    }
  }
}

void check_image_params(const SyntheticImageParams& p, const std::string& origin) {
  if (!(p.noise >= 0 && p.noise <= 1))
    throw InputError(origin + ": image noise " + std::to_string(p.noise) + " is outside [0, 1]");
  if (p.kind == SyntheticImageKind::kFeatures && (p.dim == 0 || p.dim > 65536))
    throw InputError(origin + ": image dim " + std::to_string(p.dim) +
                     " is outside [1, 65536]; 512 mimics CNN features");
  if (p.kind == SyntheticImageKind::kPixels && (p.size < 16 || p.size > 512))
    throw InputError(origin + ": image size " + std::to_string(p.size) +
                     " is outside [16, 512]; use 32 or 64");
}

std::string describe(uint64_t seed, const SyntheticImageParams& p) {
  std::ostringstream os;
  os << "synthetic(seed=" << seed << ", kind=" << synthetic_image_kind_name(p.kind);
  if (p.kind == SyntheticImageKind::kFeatures)
    os << ", dim=" << p.dim;
  else
    os << ", size=" << p.size;
  os << ", noise=" << p.noise << ")";
  return os.str();
}

void draw_images(const std::vector<uint8_t>& labels, size_t n, size_t num_labels, uint64_t seed,
                 const SyntheticImageParams& p, Modality& out) {
  out = Modality{};
  if (p.kind == SyntheticImageKind::kFeatures)
    draw_image_features(labels, n, num_labels, seed, p, out);
  else
    draw_image_pixels(labels, n, num_labels, seed, p, out);
  out.synthetic = true;
  out.source = describe(seed, p);
}

}  // namespace

SyntheticImageKind parse_synthetic_image_kind(const std::string& s, const std::string& origin) {
  if (s == "features") return SyntheticImageKind::kFeatures;
  if (s == "pixels") return SyntheticImageKind::kPixels;
  throw InputError(origin + ": unknown image kind '" + s + "'; valid: features, pixels");
}

const char* synthetic_image_kind_name(SyntheticImageKind k) {
  return k == SyntheticImageKind::kFeatures ? "features" : "pixels";
}

Dataset generate_synthetic(const SyntheticParams& p) {
  const std::string origin = "data::synthetic";
  if (p.n == 0) throw InputError(origin + ": n must be positive");
  if (p.num_labels < 2 || p.num_labels > 4096)
    throw InputError(origin + ": num_labels " + std::to_string(p.num_labels) +
                     " is outside [2, 4096]");
  if (p.num_scenes == 0) throw InputError(origin + ": num_scenes must be positive");
  if (!(p.mean_labels >= 1.0 && p.mean_labels <= 0.5 * double(p.num_labels)))
    throw InputError(origin + ": mean_labels " + std::to_string(p.mean_labels) +
                     " must lie in [1, num_labels / 2]");
  if (p.tag_dim == 0) throw InputError(origin + ": tag_dim must be positive");
  if (!(p.mean_tags >= 1.0 && p.mean_tags <= 0.5 * double(p.tag_dim)))
    throw InputError(origin + ": mean_tags " + std::to_string(p.mean_tags) +
                     " must lie in [1, tag_dim / 2]");
  if (!(p.text_noise >= 0 && p.text_noise <= 1))
    throw InputError(origin + ": text_noise " + std::to_string(p.text_noise) +
                     " is outside [0, 1]");
  check_image_params(p.image, origin);

  Dataset d;
  d.name = "synthetic";
  d.n = p.n;
  d.num_labels = p.num_labels;
  const LabelWorld world = make_label_world(p);
  const double c = calibrate_background(world, p);
  d.labels.assign(p.n * p.num_labels, 0);
  Rng rng(p.seed, kLabelItems);
  for (size_t i = 0; i < p.n; ++i) draw_labels(world, c, rng, &d.labels[i * p.num_labels]);

  d.text.kind = ModalityKind::kFeatures;
  d.text.n = p.n;
  d.text.dim = p.tag_dim;
  d.text.features = draw_tags(p, d.labels);
  d.text.synthetic = true;
  std::ostringstream os;
  os << "synthetic(seed=" << p.seed << ", tags=" << p.tag_dim << ", text_noise=" << p.text_noise
     << ")";
  d.text.source = os.str();

  draw_images(d.labels, d.n, d.num_labels, p.seed, p.image, d.image);
  return d;
}

void add_synthetic_images(Dataset& d, uint64_t seed, const SyntheticImageParams& p) {
  const std::string origin = "data::add_synthetic_images: dataset '" + d.name + "'";
  check_image_params(p, origin);
  if (d.n == 0 || d.num_labels == 0 || d.labels.size() != d.n * d.num_labels)
    throw InputError(origin + " has no label matrix to derive images from; declare labels");
  draw_images(d.labels, d.n, d.num_labels, seed, p, d.image);
  d.name += " (synthetic images)";
}

bool drawn_by_synth(const std::string& path, const std::vector<std::string>& variables) {
  const io::MatReader r(path);
  if (!r.has(kSyntheticVariablesName)) return false;
  std::istringstream drawn(r.read_tree(kSyntheticVariablesName).text);
  for (std::string v; drawn >> v;)
    if (std::find(variables.begin(), variables.end(), v) != variables.end()) return true;
  return false;
}

}  // namespace cmh::data
