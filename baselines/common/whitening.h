// Covariances with a relative ridge and their inverse square roots: the whitening CCA and CVH
// share (the same convention, so the two agree within the correlated directions).
#pragma once

#include <torch/torch.h>

namespace cmh::baselines {

/// XᵀX / n of centred rows x [n, d], plus `reg` × its mean eigenvalue (trace / d) on the diagonal.
torch::Tensor regularised_covariance(const torch::Tensor& x, double reg);
/// C^{-1/2} of a symmetric positive definite matrix, by eigendecomposition.
torch::Tensor inverse_sqrt(const torch::Tensor& c);

}  // namespace cmh::baselines
