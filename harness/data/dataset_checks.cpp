// Dataset invariants and summary statistics.
#include "data/dataset_checks.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "common/error.h"
#include "data/pixel_cache.h"

namespace cmh::data {
namespace {

void validate_modality(const Modality& m, size_t n, const std::string& origin, const char* which) {
  const std::string where = origin + ": " + which + " modality (" + m.source + ")";
  if (m.n != n)
    throw InputError(where + " has " + std::to_string(m.n) + " items but the labels have " +
                     std::to_string(n) + "; every modality needs one row per labelled item");
  if (m.kind == ModalityKind::kFeatures) {
    if (m.dim == 0 || m.features.size() != n * m.dim)
      throw InputError(where + " holds " + std::to_string(m.features.size()) +
                       " values, not n × dim = " + std::to_string(n) + " × " +
                       std::to_string(m.dim));
    for (size_t k = 0; k < m.features.size(); ++k)
      if (!std::isfinite(m.features[k]))
        throw InputError(where + " has a non-finite value (" + std::to_string(m.features[k]) +
                         ") at item " + std::to_string(k / m.dim) + ", feature " +
                         std::to_string(k % m.dim) + "; replace NaN/Inf (e.g. with 0) before use");
  } else {
    const size_t per = m.channels * m.height * m.width;
    if (m.pixel_cache && (m.pixel_cache->size() != n || m.pixel_cache->item_bytes() != per))
      throw InputError(where + ": its pixel cache '" + m.pixel_cache->path() + "' holds " +
                       std::to_string(m.pixel_cache->size()) + " items of " + std::to_string(m.pixel_cache->item_bytes()) +
                       " bytes, not " + std::to_string(n) + " of " + std::to_string(per));
    if (per == 0 || pixel_bytes(m) != n * per)
      throw InputError(where + " holds " + std::to_string(pixel_bytes(m)) +
                       " pixels, not n × channels × height × width");
  }
}

std::string modality_shape(const Modality& m) {
  std::ostringstream os;
  if (m.kind == ModalityKind::kFeatures)
    os << m.n << " x " << m.dim;
  else
    os << m.n << " x " << m.channels << " x " << m.height << " x " << m.width;
  return os.str();
}

ModalitySummary summarize_modality(const Modality& m) {
  ModalitySummary s;
  s.kind = m.kind;
  s.shape = modality_shape(m);
  s.synthetic = m.synthetic;
  s.source = m.source;
  if (m.n == 0) return s;
  if (m.kind == ModalityKind::kFeatures) {
    size_t nz = 0;
    for (float v : m.features) nz += v != 0.0f;
    s.nonzero_per_item = double(nz) / double(m.n);
    s.density = m.features.empty() ? 0 : double(nz) / double(m.features.size());
  } else {
    if (m.pixel_cache) {
      s.density = m.pixel_cache->mean();  // counted once, when the cache was made
    } else {
      double sum = 0;
      for (uint8_t v : m.pixels) sum += v;
      s.density = m.pixels.empty() ? 0 : sum / (255.0 * double(m.pixels.size()));
    }
  }
  return s;
}

}  // namespace

void validate_dataset(Dataset& d, const std::string& origin) {
  if (d.n == 0) throw InputError(origin + ": the dataset is empty (0 items)");
  if (d.num_labels == 0 || d.labels.size() != d.n * d.num_labels)
    throw InputError(origin + ": labels hold " + std::to_string(d.labels.size()) +
                     " values, not n × num_labels = " + std::to_string(d.n) + " × " +
                     std::to_string(d.num_labels));
  size_t unlabelled = 0;
  for (size_t i = 0; i < d.n; ++i) {
    bool any = false;
    for (size_t l = 0; l < d.num_labels; ++l) {
      const uint8_t v = d.labels[i * d.num_labels + l];
      if (v > 1)
        throw InputError(origin + ": label value " + std::to_string(v) + " at item " +
                         std::to_string(i) + ", label " + std::to_string(l) +
                         " is not 0/1; labels must be multi-hot");
      any = any || v;
    }
    unlabelled += !any;
  }
  d.unlabelled_items = unlabelled;
  validate_modality(d.image, d.n, origin, "image");
  validate_modality(d.text, d.n, origin, "text");
}

DatasetSummary summarize(const Dataset& d) {
  DatasetSummary s;
  s.n = d.n;
  s.num_labels = d.num_labels;
  s.unlabelled_items = d.unlabelled_items;
  if (d.n > 0 && d.num_labels > 0) {
    size_t total = 0, lo = d.num_labels, hi = 0;
    for (size_t i = 0; i < d.n; ++i) {
      size_t c = 0;
      for (size_t l = 0; l < d.num_labels; ++l) c += d.labels[i * d.num_labels + l];
      total += c;
      lo = std::min(lo, c);
      hi = std::max(hi, c);
    }
    s.labels_per_item_mean = double(total) / double(d.n);
    s.labels_per_item_min = lo;
    s.labels_per_item_max = hi;
    s.label_density = s.labels_per_item_mean / double(d.num_labels);
  }
  s.image = summarize_modality(d.image);
  s.text = summarize_modality(d.text);
  return s;
}

}  // namespace cmh::data
