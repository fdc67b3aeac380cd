// MLSPH's similarity and loss, separate from the training loop so tests can check them on
// hand-made tensors. Includes LibTorch: .cpp files only.
#pragma once

#include <torch/torch.h>

namespace cmh::methods {

/// S_ij = 2 |L_i ∩ L_j| / (|L_i| + |L_j| − |L_i ∩ L_j|): twice the Jaccard index of the label
/// sets, in [0, 2]; 0 when either item has no label (never 0/0). a: [m, L], b: [n, L] → [m, n].
torch::Tensor jaccard2_similarity(const torch::Tensor& a, const torch::Tensor& b);

struct MlsphWeights {
  double alpha, beta, gamma, scale;
};

struct MlsphLossTerms {
  torch::Tensor total;  ///< scale · (α cross + β intra + γ quant), differentiable
  double cross_value = 0, intra_value = 0, quant_value = 0, total_value = 0;  ///< unweighted terms
  /// Running mean over `steps` steps of an epoch.
  void accumulate(const MlsphLossTerms& t, int64_t steps);
};

/// One step's loss (image step; the text step swaps the banks):
/// f [bs, k] outputs of the batch, batch_labels [bs, L], all_labels [n, L],
/// other [n, k] the other modality's bank, same [n, k] this modality's bank (rows of the batch
/// already replaced by f.detach()), codes [bs, k] = B rows of the batch.
MlsphLossTerms mlsph_loss(const torch::Tensor& f, const torch::Tensor& batch_labels, const torch::Tensor& all_labels,
                          const torch::Tensor& other, const torch::Tensor& same, const torch::Tensor& codes,
                          const MlsphWeights& w);

}  // namespace cmh::methods
