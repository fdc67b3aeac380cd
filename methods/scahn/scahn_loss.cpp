// SCAHN losses and bit ranking.
#include "methods/scahn/scahn_loss.h"

#include <algorithm>
#include <numeric>

#include "common/error.h"
#include "methods/common/pairwise_nll.h"

namespace cmh::methods {

torch::Tensor share_label_similarity(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.matmul(b.transpose(0, 1)) > 0).to(torch::kFloat32);
}

void ScahnLossTerms::accumulate(const ScahnLossTerms& t, int64_t steps) {
  const double w = 1.0 / static_cast<double>(steps);
  inter += w * t.inter;
  intra += w * t.intra;
  pair += w * t.pair;
  quant += w * t.quant;
  total_value += w * t.total_value;
}

namespace {

// NLL(S, θ) = mean(log(1 + e^θ) − S·θ).
torch::Tensor nll(const torch::Tensor& s, const torch::Tensor& theta) {
  return pairwise_nll(s, theta, NllReduction::kMean);
}

}  // namespace

ScahnLossTerms scahn_loss(const std::vector<torch::Tensor>& out1, const std::vector<torch::Tensor>& out2,
                          const torch::Tensor& s1, const torch::Tensor& s2, const torch::Tensor& s12,
                          const torch::Tensor& other, const torch::Tensor& same, const torch::Tensor& codes1,
                          const torch::Tensor& codes2, const ScahnWeights& w) {
  const double a = w.alpha_s, k = static_cast<double>(codes1.size(1));
  // θ = out · bankᵀ / α_s, with the division on the [bs, k] outputs rather than the [bs, n]
  // products: the same θ bit for bit when α_s is a power of two (k / 32 for k = 16, 32, 64, 128),
  // otherwise within a rounding, and two passes over each product fewer (forward and backward).
  const auto scaled = [a](const torch::Tensor& x) { return x / a; };
  torch::Tensor inter = torch::zeros({}), intra = torch::zeros({}), pair = torch::zeros({});
  for (size_t o = 0; o < out1.size(); ++o) {
    inter = inter + 0.5 * (nll(s1, scaled(out1[o]).matmul(other.t())) + nll(s2, scaled(out2[o]).matmul(other.t())));
    intra = intra + 0.5 * (nll(s1, scaled(out1[o]).matmul(same.t())) + nll(s2, scaled(out2[o]).matmul(same.t())));
    pair = pair + nll(s12, scaled(out1[o]).matmul(out2[o].t()));
  }
  const double outputs = static_cast<double>(out1.size());
  inter = inter / outputs;
  intra = w.lambda * intra / outputs;
  pair = w.gamma * pair / outputs;
  const auto& f1 = out1.back();
  const auto& f2 = out2.back();
  const auto quant = w.beta * 0.5 * ((codes1 - f1).pow(2).sum(1).mean() + (codes2 - f2).pow(2).sum(1).mean()) / k;
  ScahnLossTerms t;
  t.total = inter + intra + pair + quant;
  t.inter = inter.item<double>();
  t.intra = intra.item<double>();
  t.pair = pair.item<double>();
  t.quant = quant.item<double>();
  t.total_value = t.total.item<double>();
  return t;
}

std::vector<int> scahn_bit_ranking(const torch::Tensor& w_image, const torch::Tensor& w_text, const std::string& rule) {
  torch::Tensor score;
  if (rule == "intended" || rule == "reference_lowest") {
    score = (w_image + w_text).sum(0);
  } else if (rule == "reference_softmax") {
    // In float32, as the reference: the sums differ from 2 only by rounding.
    const auto wi = w_image.detach().to(torch::kCPU, torch::kFloat32), wt = w_text.detach().to(torch::kCPU, torch::kFloat32);
    score = torch::cat({torch::softmax(wi, 0), torch::softmax(wt, 0)}, 0).sum(0);
  } else {
    throw InputError("scahn: bit_rank '" + rule + "' is not valid; use intended, reference_softmax or reference_lowest");
  }
  auto c = score.detach().to(torch::kCPU, torch::kDouble).contiguous();  // the weights may live on a GPU
  const double* v = c.data_ptr<double>();
  std::vector<int> order(static_cast<size_t>(c.numel()));
  std::iota(order.begin(), order.end(), 0);
  // intended: descending, the first k' kept. The reference's two keep the LAST k' of their sort
  // (reference_softmax ascending, reference_lowest descending), so their order is reversed.
  const bool ascending = rule == "reference_softmax";
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return ascending ? v[x] < v[y] : v[x] > v[y]; });
  if (rule != "intended") std::reverse(order.begin(), order.end());
  return order;
}

}  // namespace cmh::methods
