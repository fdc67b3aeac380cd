// LSSH's two inner solvers, apart so that tests can check them: a batched lasso (FISTA) and a
// least-squares fit with unit-ball columns (block-coordinate descent). Includes LibTorch: include
// it only from .cpp files.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace cmh::baselines::lssh {

/// Per-row lasso penalties λ_i for codes of rows z [n, p] over dictionary d [p, m]: ρ·‖dᵀz_i‖∞
/// (relative, SLEP's rFlag = 1: a share of the smallest λ that zeroes the code) or ρ. Returns [n, 1].
torch::Tensor lasso_penalties(const torch::Tensor& d, const torch::Tensor& z, double rho, bool relative);

/// Each row's lasso objective ½‖z_i − d s_i‖² + λ_i ‖s_i‖₁ for codes s [n, m]: returns [n].
torch::Tensor lasso_objective(const torch::Tensor& d, const torch::Tensor& z, const torch::Tensor& s,
                              const torch::Tensor& lambda);

/// `iterations` FISTA steps (Beck & Teboulle 2009, constant step 1/‖d‖²) on every row's lasso
/// min_s ½‖z_i − d s‖² + λ_i ‖s‖₁, from `start` [n, m] (undefined: zeros). z [n, p], d [p, m],
/// lambda [n, 1]. Returns the codes [n, m].
torch::Tensor lasso_fista(const torch::Tensor& d, const torch::Tensor& z, const torch::Tensor& lambda,
                          int64_t iterations, const torch::Tensor& start = {});

/// `sweeps` rounds of block-coordinate descent on min_B ‖x − s Bᵀ‖² subject to ‖b_j‖ ≤ 1 for every
/// column, from b [p, m] (feasible). x [n, p], s [n, m]. Each column step is that column's exact
/// constrained minimiser, so the objective never rises. Returns B [p, m].
torch::Tensor unit_ball_least_squares(const torch::Tensor& x, const torch::Tensor& s, torch::Tensor b,
                                      int64_t sweeps);

}  // namespace cmh::baselines::lssh
