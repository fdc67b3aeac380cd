// Inter-Media Hashing: relaxed codes for each modality that are smooth on that modality's kNN
// graph (intra-media consistency), equal for paired items (inter-media consistency) and well fitted
// by a linear function of the features (the hash functions, ridge regression), found in closed form
// by one eigendecomposition; codes are the sign of the linear functions.
// Song, Yang, Yang, Huang and Shen, "Inter-Media Hashing for Large-Scale Retrieval from
// Heterogeneous Data Sources", SIGMOD 2013. ../shared/design/METHODS.md § Shallow baselines;
// baselines/imh/README.md gives the objective, its solution and every choice made here.
#pragma once

#include <cstdint>
#include <string>

#include "method.h"

namespace cmh::baselines {

struct ImhParams {
  /// λ: weight of the intra-media terms Tr(Y_gᵀ L_g Y_g) (graph smoothness) against the
  /// regression residuals (the public scripts: 1).
  double lambda = 1.0;
  /// β: ridge of the linear hash functions W_g = (X_gᵀX_g + βI)⁻¹ X_gᵀ Y_g (the public scripts: 1).
  double beta = 1.0;
  /// u: the diagonal of U, weight of the inter-media term ‖Y_1 − Y_2‖² over paired items; large,
  /// so that paired items get (almost) equal relaxed codes (the public scripts: 10⁴).
  double inter_weight = 1e4;
  /// k of each modality's kNN graph (the fuller public script: 10).
  int64_t knn = 10;
  /// Edge weights of the kNN graph: "heat" exp(−‖x_p − x_q‖² / σ²) on an edge when p is among q's
  /// k nearest or q among p's (the paper); "binary": 1 per kNN edge, then (W + Wᵀ)/2 (the public
  /// scripts' Laplacian_GK).
  std::string graph_weights = "heat";
  /// σ of the heat kernel, as a multiple of the mean distance between kNN pairs of that modality.
  double sigma_scale = 1.0;
  /// The graphs and the eigenproblem are n × n: at most this many training items feed them (a
  /// seeded random subset when there are more).
  int64_t max_train = 3000;
  /// Share of those items whose image and text are linked by the inter-media term; the others
  /// enter only their modality's graph and regression, as IMH's unpaired items (1: all paired).
  double paired_share = 1.0;
  /// "zero": bit = sign of the linear function of the centred features (the training codes'
  /// mean); "median": threshold each bit at its training median (as one public reimplementation).
  std::string threshold = "zero";
};

/// The registry entry (name "imh").
MethodInfo imh_method_info();

}  // namespace cmh::baselines
