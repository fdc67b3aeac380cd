// Kernel-based Supervised Hashing for Cross-View similarity search (KSH-CV): per view, RBF
// features over anchors; bit by bit, a pair of kernel hash functions (image, text) that agree on
// label-similar cross-view pairs and disagree on the others, learned by boosting over pairs
// (exponential loss, AdaBoost re-weighting) with KSH's spectral start and smooth refinement.
// Zhou, Ding, Guo, Liu & Dong, "Kernel-based Supervised Hashing for Cross-View Similarity
// Search", ICME 2014. ../shared/design/METHODS.md § Shallow baselines.
#pragma once

#include <cstdint>
#include <string>

#include "method.h"

namespace cmh::baselines {

struct KshCvParams {
  /// m: RBF kernel bases per view, random training items shared by both views (KSH: 300).
  int64_t anchors = 300;
  /// The RBF features are exp(−‖x − z‖² / (kernel_scale · s)), s = the mean squared distance
  /// between training items and anchors (KSH's code: 2, i.e. exp(−d²/2σ²) with σ² = s).
  double kernel_scale = 2.0;
  /// The cross-view pairs (all n² of them) come from at most this many training items (a seeded
  /// sample; KSH: l = 1000 or 2000 labelled items). Anchors come from all training items.
  int64_t max_train = 2000;
  /// Ridge of the spectral start's whitening, KᵀK/n + reg · (mean diagonal) · I.
  double reg = 1e-3;
  /// L-BFGS iterations of each bit's smooth refinement (0: the spectral start alone; KSH: 500
  /// gradient steps).
  int64_t refine_iterations = 30;
};

/// The registry entry (name "ksh-cv").
MethodInfo kshcv_method_info();

}  // namespace cmh::baselines
