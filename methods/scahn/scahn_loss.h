// SCAHN's losses, separate from the training loop so tests can check them on hand-made tensors.
// Includes LibTorch: .cpp files only.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace cmh::methods {

/// S_ij = 1 when items i and j share a label, else 0. a: [m, L], b: [n, L] → [m, n].
torch::Tensor share_label_similarity(const torch::Tensor& a, const torch::Tensor& b);

struct ScahnWeights {
  double alpha_s;  ///< θ scale: k / 32
  double lambda = 1.0, gamma = 0.01, beta = 2.0;
};

struct ScahnLossTerms {
  torch::Tensor total;
  double inter = 0, intra = 0, pair = 0, quant = 0, total_value = 0;  ///< weighted terms
  void accumulate(const ScahnLossTerms& t, int64_t steps);
};

/// One step (image step; the text step swaps the banks). out1, out2: the five outputs
/// {h1, h2, h3, h4, tanh(h)} [bs, k] of the two disjoint batches; s1, s2: [bs, n] similarities of
/// each batch to every training item; s12: [bs, bs] between the batches; other, same: [n, k] banks
/// (same already holds this step's rows); codes1, codes2: B rows of the batches.
ScahnLossTerms scahn_loss(const std::vector<torch::Tensor>& out1, const std::vector<torch::Tensor>& out2,
                          const torch::Tensor& s1, const torch::Tensor& s2, const torch::Tensor& s12,
                          const torch::Tensor& other, const torch::Tensor& same, const torch::Tensor& codes1,
                          const torch::Tensor& codes2, const ScahnWeights& w);

/// Bit ranking from the two attention matrices W_img, W_txt [4, k]: the returned order's first k'
/// bits are the code of k' bits.
/// "intended": by Σ_l (W_img[l, j] + W_txt[l, j]), highest first (METHODS.md);
/// "reference_softmax": the SCAHN repository's get_rank: softmax over the stage axis of each side,
/// summed (so every bit scores 2 up to float32 rounding), sorted ascending, and the LAST k' bits
/// kept; ties, and the rounding that decides the order, resolved as a stable sort would;
/// "reference_lowest": torchcmh's version, a descending sort of the raw sums whose last k' bits,
/// the lowest-scored, are kept.
std::vector<int> scahn_bit_ranking(const torch::Tensor& w_image, const torch::Tensor& w_text, const std::string& rule);

}  // namespace cmh::methods
