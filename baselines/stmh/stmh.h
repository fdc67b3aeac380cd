// Semantic Topic Multimodal Hashing: texts are clustered into k topics (each text holds the k/2
// nearest), images are robustly factorised (ℓ2,1 loss) into k concepts, a linear map R carries
// concepts onto topics, and a bit is 1 when an item holds that topic.
// Wang, Gao, Wang and He, "Semantic Topic Multimodal Hashing for Cross-Media Retrieval",
// IJCAI 2015. ../shared/design/METHODS.md § Shallow baselines; baselines/stmh/README.md says
// which public description pins the algorithm down.
#pragma once

#include <cstdint>

#include "method.h"

namespace cmh::baselines {

struct StmhParams {
  /// r1: weight of the image factorisation; the text clustering gets 1 − r1.
  double image_weight = 0.5;
  /// λ: weight of the correlation term ‖G_text − G_image R‖².
  double lambda = 0.5;
  /// γ: weight of the Frobenius regularisers.
  double gamma = 1e-4;
  /// At most this many alternating rounds, stopping earlier when the objective changes by less
  /// than `tol` (absolute).
  int64_t max_iter = 10;
  double tol = 0.01;
};

/// The registry entry (name "stmh").
MethodInfo stmh_method_info();

}  // namespace cmh::baselines
