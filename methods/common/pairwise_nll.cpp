// pairwise_nll as a custom autograd function (see the header for why).
#include "methods/common/pairwise_nll.h"

namespace cmh::methods {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// softplus's defaults in torch::nn::functional.
constexpr double kBeta = 1.0, kThreshold = 20.0;

struct PairwiseNllFunction : torch::autograd::Function<PairwiseNllFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& theta, const torch::Tensor& s, bool mean) {
    ctx->save_for_backward({theta, s});
    ctx->saved_data["mean"] = mean;
    auto terms = torch::softplus(theta, kBeta, kThreshold);
    terms.addcmul_(s, theta, -1.0);  // softplus(θ) − S·θ
    return mean ? terms.mean() : terms.sum();
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& theta = saved[0];
    const auto& s = saved[1];
    // The reduction's gradient, as autograd's own mean/sum backward gives every element: g / numel
    // or g (one division of the scalar, the same rounding as the division of each element).
    auto g = grads[0];
    if (ctx->saved_data["mean"].toBool()) g = g / theta.numel();
    const auto each = g.expand(theta.sizes());
    auto grad_theta = torch::softplus_backward(each, theta, kBeta, kThreshold);
    grad_theta.addcmul_(s, each, -1.0);  // sigmoid(θ)·g − S·g
    return {grad_theta, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor pairwise_nll(const torch::Tensor& s, const torch::Tensor& theta, NllReduction reduction) {
  TORCH_CHECK(s.sizes() == theta.sizes(), "pairwise_nll: S ", s.sizes(), " and theta ", theta.sizes(), " differ in shape");
  TORCH_CHECK(!s.requires_grad(), "pairwise_nll: S is a label similarity and gets no gradient");
  return PairwiseNllFunction::apply(theta, s, reduction == NllReduction::kMean);
}

}  // namespace cmh::methods
