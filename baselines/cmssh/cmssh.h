// Cross-Modal Similarity-Sensitive Hashing: boosting over cross-modal pairs; each bit is a pair
// of thresholded projections (one per modality) found from the top singular vectors of the
// boosting-weighted cross-covariance of similar minus dissimilar pairs.
// Bronstein, Bronstein, Michel and Paragios, "Data Fusion through Cross-modality Metric Learning
// using Similarity-Sensitive Hashing", CVPR 2010. ../shared/design/METHODS.md § Shallow baselines.
#pragma once

#include <cstdint>

#include "method.h"

namespace cmh::baselines {

struct CmsshParams {
  /// Training pairs (x_i, y_j) drawn with the cell's seed from the training items; similar
  /// (s = +1: they share a label) and dissimilar (s = −1) pairs in the share below.
  int64_t pairs = 20000;
  double positive_share = 0.5;
  /// Thresholds tried per projection: this many quantiles of the projected training items; the
  /// pair of thresholds with the largest weighted correlation Σ w s ξ η wins. 0: no search, both
  /// thresholds zero (the centred relaxation).
  int64_t thresholds = 32;
};

/// The registry entry (name "cmssh").
MethodInfo cmssh_method_info();

}  // namespace cmh::baselines
