// DCMH similarity and loss.
#include "methods/dcmh/dcmh_loss.h"

#include "methods/common/pairwise_nll.h"

namespace cmh::methods {

torch::Tensor shared_label_similarity(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.matmul(b.transpose(0, 1)) > 0).to(torch::kFloat32);
}

void DcmhLossTerms::accumulate(const DcmhLossTerms& t, int64_t steps) {
  const double w = 1.0 / static_cast<double>(steps);
  log_value += w * t.log_value;
  quant_value += w * t.quant_value;
  balance_value += w * t.balance_value;
  total_value += w * t.total_value;
}

DcmhLossTerms dcmh_loss(const torch::Tensor& f, const torch::Tensor& batch_labels, const torch::Tensor& all_labels,
                        const torch::Tensor& other, const torch::Tensor& same, const torch::Tensor& codes,
                        const torch::Tensor& batch_pos, const DcmhWeights& w) {
  const int64_t n = other.size(0);
  const double norm = static_cast<double>(n) * static_cast<double>(f.size(0));
  const auto s = shared_label_similarity(batch_labels, all_labels);  // [bs, n]
  const auto theta = 0.5 * f.matmul(other.transpose(0, 1));          // [bs, n]
  const auto log_term = pairwise_nll(s, theta, NllReduction::kSum) / norm;
  const auto quant = (codes - f).pow(2).sum() / norm;
  // Bank rows outside the batch, by a mask rather than a subtraction (no cancellation).
  auto outside = torch::ones({n, 1}, same.options());
  outside.index_put_({batch_pos}, 0.0);
  const auto column_sums = f.sum(0) + (same * outside).sum(0);  // [k]
  const auto balance = column_sums.pow(2).sum() / norm;
  DcmhLossTerms t;
  t.total = log_term + w.gamma * quant + w.eta * balance;
  t.log_value = log_term.item<double>();
  t.quant_value = quant.item<double>();
  t.balance_value = balance.item<double>();
  t.total_value = t.total.item<double>();
  return t;
}

}  // namespace cmh::methods
