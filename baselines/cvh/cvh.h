// Cross-View Hashing: one linear hash function per view, learned by the generalized eigenvalue
// problem that minimises the (relaxed) Hamming distance between the two views of each training
// pair subject to decorrelated bits. Kumar and Udupa, "Learning Hash Functions for Cross-View
// Similarity Search", IJCAI 2011. ../shared/design/METHODS.md § Shallow baselines;
// baselines/cvh/README.md derives the two-view, pairing-only case used here.
#pragma once

#include <string>

#include "method.h"

namespace cmh::baselines {

struct CvhParams {
  /// Ridge added to each view's covariance, relative to its mean eigenvalue (trace / dim): the
  /// paper has none, but topic proportions (Wikipedia's 10-d LDA) sum to about one, so their
  /// covariance is near-singular. The same convention and value as baselines/cca.
  double reg = 1e-3;
  /// Bits beyond the directions with non-zero cross-view correlation. "eigen": the next
  /// generalized eigenvectors as the paper's problem orders them (zero-correlation directions,
  /// each zero in one view, so that view's bit is constant, then anti-correlated pairs);
  /// "random": seeded random projections of the whitened features (as baselines/cca);
  /// "refuse": stop the cell. Whichever is used is named in the run's notes.
  std::string beyond_rank = "eigen";
};

/// The registry entry (name "cvh").
MethodInfo cvh_method_info();

}  // namespace cmh::baselines
