// Invariants and summary statistics of a loaded Dataset (used after loading, after synthesis, and
// by `cmhbench data inspect`).
#pragma once

#include <cstddef>
#include <string>

#include "data/dataset.h"

namespace cmh::data {

/// Throws InputError (message starting with `origin`) unless: n > 0; labels hold n × num_labels
/// values in {0, 1}; each modality has n items, a consistent buffer size and, for features,
/// finite values. Counts all-zero label rows into d.unlabelled_items.
void validate_dataset(Dataset& d, const std::string& origin);

/// Per-modality figures for a report.
struct ModalitySummary {
  ModalityKind kind = ModalityKind::kFeatures;
  std::string shape;            ///< "2173 x 128" or "20015 x 3 x 224 x 224"
  double nonzero_per_item = 0;  ///< features: mean count of non-zero entries per item
  double density = 0;           ///< features: non-zero fraction; pixels: mean value / 255
  bool synthetic = false;
  std::string source;
};

struct DatasetSummary {
  size_t n = 0, num_labels = 0, unlabelled_items = 0;
  double labels_per_item_mean = 0;  ///< over all items, unlabelled ones included
  size_t labels_per_item_min = 0, labels_per_item_max = 0;
  double label_density = 0;  ///< labels_per_item_mean / num_labels
  ModalitySummary image, text;
};

DatasetSummary summarize(const Dataset& d);

}  // namespace cmh::data
