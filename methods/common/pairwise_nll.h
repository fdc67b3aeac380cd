// The pairwise negative log-likelihood of DCMH and SCAHN, Σ (log(1 + e^θ) − S·θ) over a [batch, n]
// matrix θ of scaled inner products and its 0/1 similarity S, as one autograd node.
// Written out with tensor operators (softplus(θ) − S * θ, then the reduction), autograd makes five
// passes over the matrix forward and about five backward (the product, the difference, the
// negation, the mean's division, the sum of the two gradients), each with its own [batch, n]
// allocation; the loss is then a large part of a step (SCAHN: 20 such matrices of 64 × 2,500 per
// step). This node makes three passes forward (softplus, the product subtracted in place, the
// reduction) and two backward (softplus's gradient, the product subtracted in place), with the
// same values bit for bit where S is 0/1 (S·θ and S·g are then exact, so no rounding moves).
// Includes LibTorch: .cpp files only.
#pragma once

#include <torch/torch.h>

namespace cmh::methods {

enum class NllReduction { kSum, kMean };

/// sum or mean of softplus(θ) − S ⊙ θ (softplus with β = 1 and threshold 20, as
/// torch::nn::functional::softplus). S must not require a gradient (it gets none).
torch::Tensor pairwise_nll(const torch::Tensor& s, const torch::Tensor& theta, NllReduction reduction);

}  // namespace cmh::methods
