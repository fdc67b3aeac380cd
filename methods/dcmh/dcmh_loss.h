// DCMH's similarity and loss, separate from the training loop so tests can check them on
// hand-made tensors (../shared/design/METHODS.md § DCMH). Includes LibTorch: .cpp files only.
#pragma once

#include <torch/torch.h>

namespace cmh::methods {

/// S_ij = 1 when items i and j share at least one label, else 0 (an unlabelled item is similar
/// to nothing). a: [m, L], b: [n, L] multi-hot → [m, n] float.
torch::Tensor shared_label_similarity(const torch::Tensor& a, const torch::Tensor& b);

struct DcmhWeights {
  double gamma, eta;  ///< quantisation and bit-balance weights (paper: 1, 1)
};

struct DcmhLossTerms {
  torch::Tensor total;  ///< (log + γ quant + η balance) / (n·bs), differentiable
  /// The three sums, each divided by n·bs (so total_value = log + γ quant + η balance).
  double log_value = 0, quant_value = 0, balance_value = 0, total_value = 0;
  /// Running mean over `steps` steps of an epoch.
  void accumulate(const DcmhLossTerms& t, int64_t steps);
};

/// One step's loss (image step; the text step swaps the banks):
///   [ −Σ_{i∈b,j} (S_ij θ_ij − log(1 + e^θ_ij)) + γ Σ_{i∈b} ‖B_i − f_i‖² + η ‖f_bᵀ1 + F_{¬b}ᵀ1‖² ] / (n·bs),
///   θ = ½ f otherᵀ, log(1 + e^θ) written as softplus (no overflow for large θ).
/// f [bs, k] outputs of the batch; batch_labels [bs, L]; all_labels [n, L]; other [n, k] the
/// other modality's bank; same [n, k] this modality's bank (its rows at batch_pos are left out of
/// the balance term: the batch enters through f); codes [bs, k] = B rows of the batch;
/// batch_pos [bs] long, distinct positions of the batch in the training set.
DcmhLossTerms dcmh_loss(const torch::Tensor& f, const torch::Tensor& batch_labels, const torch::Tensor& all_labels,
                        const torch::Tensor& other, const torch::Tensor& same, const torch::Tensor& codes,
                        const torch::Tensor& batch_pos, const DcmhWeights& w);

}  // namespace cmh::methods
