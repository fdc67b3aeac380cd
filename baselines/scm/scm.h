// Semantic Correlation Maximization (SCM-seq and SCM-orth): linear projections of both
// modalities that maximise the correlation of their codes with a label similarity.
// Zhang and Li, "Large-Scale Supervised Multimodal Hashing with Semantic Correlation
// Maximization", AAAI 2014. ../shared/design/METHODS.md § Shallow baselines.
#pragma once

#include <string>

#include "method.h"

namespace cmh::baselines {

struct ScmParams {
  /// Ridge added to XᵀX and YᵀY (absolute, un-normalised covariances), as in the authors' code.
  double reg = 1e-6;
  /// Bits beyond min(dx, dy): SCM-orth has no more directions (SCM-seq reaches them only if its
  /// residual stops shrinking). "random" pads with seeded random projections of the whitened
  /// features (named in the run's notes); "refuse" stops the cell.
  std::string beyond_rank = "random";
};

/// Registry entries "scm-seq" (one bit at a time on a residual) and "scm-orth" (k directions at once).
MethodInfo scm_seq_method_info();
MethodInfo scm_orth_method_info();

}  // namespace cmh::baselines
