// MLSPH similarity and loss.
#include "methods/mlsph/mlsph_loss.h"

namespace cmh::methods {

torch::Tensor jaccard2_similarity(const torch::Tensor& a, const torch::Tensor& b) {
  auto inter = a.matmul(b.transpose(0, 1));                                  // |Li ∩ Lj|
  auto uni = a.sum(1, true) + b.sum(1, true).transpose(0, 1) - inter;        // |Li ∪ Lj|
  return torch::where(uni > 0, 2.0 * inter / uni.clamp_min(1e-12), torch::zeros_like(inter));
}

void MlsphLossTerms::accumulate(const MlsphLossTerms& t, int64_t steps) {
  const double w = 1.0 / static_cast<double>(steps);
  cross_value += w * t.cross_value;
  intra_value += w * t.intra_value;
  quant_value += w * t.quant_value;
  total_value += w * t.total_value;
}

MlsphLossTerms mlsph_loss(const torch::Tensor& f, const torch::Tensor& batch_labels, const torch::Tensor& all_labels,
                          const torch::Tensor& other, const torch::Tensor& same, const torch::Tensor& codes,
                          const MlsphWeights& w) {
  namespace F = torch::nn::functional;
  const double n = static_cast<double>(other.size(0)), bs = static_cast<double>(f.size(0)),
               k = static_cast<double>(f.size(1));
  const auto s = jaccard2_similarity(batch_labels, all_labels);  // [bs, n]
  const auto fn = F::normalize(f, F::NormalizeFuncOptions().dim(1));
  const auto on = F::normalize(other, F::NormalizeFuncOptions().dim(1));
  const auto sn = F::normalize(same, F::NormalizeFuncOptions().dim(1));
  const auto cross = (s - fn.matmul(on.transpose(0, 1))).pow(2).sum() / (n * bs);
  const auto intra = (s - fn.matmul(sn.transpose(0, 1))).pow(2).sum() / (n * bs);
  const auto quant = (codes - f).pow(2).sum() / (bs * k);
  MlsphLossTerms t;
  t.total = w.scale * (w.alpha * cross + w.beta * intra + w.gamma * quant);
  t.cross_value = cross.item<double>();
  t.intra_value = intra.item<double>();
  t.quant_value = quant.item<double>();
  t.total_value = t.total.item<double>();
  return t;
}

}  // namespace cmh::methods
