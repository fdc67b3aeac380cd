// CCA hashing: canonical correlation analysis between the two modalities' features, the top-k
// directions, then sign. Hotelling, "Relations between two sets of variates", Biometrika 1936;
// as a cross-modal hashing baseline e.g. in Jiang & Li, DCMH, CVPR 2017 (Table 2).
// ../shared/design/METHODS.md § Shallow baselines.
#pragma once

#include <string>

#include "method.h"

namespace cmh::baselines {

struct CcaParams {
  /// Ridge added to both covariances, relative to their mean eigenvalue (trace / dim).
  double reg = 1e-3;
  /// When bits exceed min(dx, dy), CCA has no more directions: "random" pads with seeded random
  /// projections of the whitened features (named in the run's notes), "refuse" stops the cell.
  std::string beyond_rank = "random";
};

/// The registry entry (name "cca").
MethodInfo cca_method_info();

}  // namespace cmh::baselines
