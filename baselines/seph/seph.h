// Semantics-Preserving Hashing (SePH-rnd, SePH-km): training codes whose Hamming affinities match
// the label affinities in the Kullback–Leibler sense, then per bit and per modality a kernel
// logistic regression on RBF features over m anchors (random training items or k-means centres).
// Lin, Ding, Hu and Wang, "Semantics-Preserving Hashing for Cross-View Retrieval", CVPR 2015.
// ../shared/design/METHODS.md § Shallow baselines.
#pragma once

#include <cstdint>
#include <string>

#include "method.h"

namespace cmh::baselines {

struct SephParams {
  /// α: weight of the quantisation term α/(n·k)·‖|H| − 1‖² beside KL(P‖Q) (the authors' code: 0.01).
  double alpha = 0.01;
  /// Steps of the t-SNE-style gradient descent on the training codes (the authors' code: 100).
  int64_t kl_iterations = 100;
  /// Its step size (multiplied by per-entry delta-bar-delta gains) and momentum (t-SNE's 500, 0.5).
  double learning_rate = 500.0;
  double momentum = 0.5;
  /// The affinity P and the codes' Q are n × n: beyond this many training items a seeded sample of
  /// this size learns the codes and the regressions (the paper samples on its larger sets).
  int64_t max_train = 5000;
  /// m: RBF kernel bases per modality (the paper: 500), at most the training items (k-means: half).
  int64_t anchors = 500;
  /// SePH-km: Lloyd iterations of k-means (MATLAB's kmeans MaxIter in the authors' script).
  int64_t kmeans_iterations = 100;
  /// The RBF features are exp(−‖x − z‖² / (kernel_scale · s)), s = the mean squared distance
  /// between training items (the authors' script passes s to its kernel function as "σ²"; that
  /// function is not in the public copy: 1 reproduces the published table, 2 reads s as σ² of
  /// exp(−d²/2σ²) — README).
  double kernel_scale = 1.0;
  /// C: the regressions minimise Σ log(1 + e^{−b·Kw}) + C·wᵀK_mm w (the authors' code: 0.01).
  double klr_reg = 0.01;
  /// L-BFGS iterations of each regression (minFunc's MaxIter in the authors' script).
  int64_t klr_iterations = 500;
  /// "unified": the retrieval set's codes fuse both modalities' predicted bit probabilities
  /// (sign(p_img + p_txt − 1), the paper's protocol); "hash_function": every item is encoded
  /// from the one modality asked for, like every other method here.
  std::string database_codes = "unified";
};

/// Registry entries "seph-rnd" (random anchors) and "seph-km" (k-means anchors).
MethodInfo seph_rnd_method_info();
MethodInfo seph_km_method_info();

}  // namespace cmh::baselines
