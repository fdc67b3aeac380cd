// Collective Matrix Factorization Hashing: one latent code per item shared by the two
// modalities' factorisations, plus a linear projection from each modality onto it.
// Ding, Guo and Zhou, "Collective Matrix Factorization Hashing for Multimodal Data", CVPR 2014
// (the objective as in the authors' public code, TKDE version).
// ../shared/design/METHODS.md § Shallow baselines.
#pragma once

#include <cstdint>
#include <string>

#include "method.h"

namespace cmh::baselines {

struct CmfhParams {
  /// λ: weight of the image modality; the text modality gets 1 − λ (the paper: 0.5).
  double lambda = 0.5;
  /// μ: weight of the projection terms ‖V − X_t P_t‖² against the factorisation (the paper: 100).
  double mu = 100.0;
  /// γ: weight of the Frobenius regularisers (the paper: 0.01).
  double gamma = 0.01;
  /// At most this many alternating rounds ...
  int64_t max_iter = 100;
  /// ... stopping earlier when the objective falls by less than this share of its value.
  double tol = 1e-4;
  /// "unified": the retrieval set's codes come from both modalities at once (the latent code that
  /// minimises the objective given both features), the paper's protocol; "hash_function": every
  /// item is encoded from the one modality asked for, like every other method here.
  std::string database_codes = "unified";
};

/// The registry entry (name "cmfh").
MethodInfo cmfh_method_info();

}  // namespace cmh::baselines
