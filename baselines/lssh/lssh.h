// Latent Semantic Sparse Hashing: images by sparse coding over a learned dictionary, texts by a
// matrix factorisation, and a linear map R from the image sparse codes onto the text latent space.
// Zhou, Ding and Guo, "Latent Semantic Sparse Hashing for Cross-Modal Similarity Search",
// SIGIR 2014 (constants as in the authors' public MATLAB code: README).
// ../shared/design/METHODS.md § Shallow baselines.
#pragma once

#include <cstdint>
#include <string>

#include "method.h"

namespace cmh::baselines {

struct LsshParams {
  /// ρ: weight of the ℓ1 penalty on the image sparse codes (the paper's λ; the authors' script:
  /// 0.2). With penalty = "relative" it is a share of each item's λ_max (README).
  double rho = 0.2;
  /// "relative": item i's lasso penalty is ρ · ‖Dᵀz_i‖∞, recomputed at every sparse-coding step
  /// (the authors' code: SLEP LeastR with rFlag = 1); "absolute": ρ itself (the paper's formula).
  std::string penalty = "relative";
  /// μ: weight of the text factorisation ‖T − U Y‖² (the authors' script: 0.5).
  double mu = 0.5;
  /// γ: weight of the link ‖Y − R S‖² between text latents and image sparse codes (the paper's γ,
  /// the authors' script's "lambda": 1).
  double gamma = 1.0;
  /// Dictionary atoms, the length of the sparse codes (the authors' code: 512).
  int64_t atoms = 512;
  /// Alternating rounds (the authors' code: 20).
  int64_t max_iter = 20;
  /// Accelerated proximal-gradient (FISTA) steps per sparse-coding call (the authors' code: 30
  /// steps of SLEP's accelerated solver).
  int64_t lasso_iterations = 30;
  /// Sweeps of block-coordinate descent per dictionary update (B, R, U: unit-ball columns).
  int64_t dictionary_sweeps = 5;
  /// "bits": images are projected onto their top-k principal directions (k = bits) before the
  /// dictionary is learned, as the authors' code does; "none": the centred features themselves.
  std::string image_pca = "bits";
  /// At most this many training items learn the model (a seeded sample; the authors' code: 10000).
  int64_t max_train = 10000;
  /// "zero": bits are the signs of the latent codes (the authors' code); "mean": the signs after
  /// subtracting the training latent codes' mean.
  std::string threshold = "zero";
  /// "unified": the retrieval set's codes come from both modalities at once (the latent y that
  /// minimises the text and link terms given the item's text and image sparse code; the authors'
  /// protocol); "hash_function": every item is encoded from the one modality asked for.
  std::string database_codes = "unified";
};

/// The registry entry (name "lssh").
MethodInfo lssh_method_info();

}  // namespace cmh::baselines
