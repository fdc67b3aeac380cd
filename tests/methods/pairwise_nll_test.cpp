// methods/common/pairwise_nll: the fused node gives the written-out loss's value and gradient bit
// for bit (so swapping it in moved no training run), and refuses what it cannot differentiate.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include "methods/common/pairwise_nll.h"

namespace {

using cmh::methods::NllReduction;
using cmh::methods::pairwise_nll;

// What DCMH and SCAHN wrote before the fused node.
torch::Tensor written_out(const torch::Tensor& s, const torch::Tensor& theta, NllReduction r) {
  const auto terms = torch::nn::functional::softplus(theta) - s * theta;
  return r == NllReduction::kMean ? terms.mean() : terms.sum();
}

// Value and gradient of `upstream · nll(S, θ)` with θ a leaf.
std::pair<torch::Tensor, torch::Tensor> value_and_grad(bool fused, const torch::Tensor& s, const torch::Tensor& theta0,
                                                       NllReduction r, double upstream) {
  auto theta = theta0.clone().requires_grad_(true);
  auto v = fused ? pairwise_nll(s, theta, r) : written_out(s, theta, r);
  (upstream * v).backward();
  return {v.detach(), theta.grad()};
}

}  // namespace

TEST_CASE("pairwise_nll equals the written-out loss bit for bit, value and gradient", "[nll]") {
  torch::manual_seed(3);
  // Inner products of the sizes a step sees, with a tail beyond softplus's threshold (|θ| > 20).
  for (const auto& shape : {std::vector<int64_t>{64, 2500}, std::vector<int64_t>{16, 2500}, std::vector<int64_t>{5, 7}}) {
    auto theta = torch::randn(shape) * 8.0;
    theta.view(-1).narrow(0, 0, 3).copy_(torch::tensor({25.f, -30.f, 20.f}));
    const auto s = (torch::rand(shape) < 0.3).to(torch::kFloat32);
    for (auto r : {NllReduction::kMean, NllReduction::kSum}) {
      for (double upstream : {1.0, 0.5, 3.7e-3}) {
        const auto [v_fused, g_fused] = value_and_grad(true, s, theta, r, upstream);
        const auto [v_ref, g_ref] = value_and_grad(false, s, theta, r, upstream);
        CAPTURE(shape, r == NllReduction::kMean, upstream);
        CHECK(torch::equal(v_fused, v_ref));
        CHECK(torch::equal(g_fused, g_ref));
      }
    }
  }
}

TEST_CASE("pairwise_nll on a hand-computed case", "[nll]") {
  // S = [1, 0], θ = [0, ln 3]: terms ln 2 − 0 and ln 4 − 0; gradient sigmoid(θ) − S = [−½, ¾].
  auto theta = torch::tensor({{0.f, std::log(3.f)}}).requires_grad_(true);
  const auto s = torch::tensor({{1.f, 0.f}});
  auto v = pairwise_nll(s, theta, NllReduction::kSum);
  CHECK(v.item<float>() == Approx(3.0 * std::log(2.0)));
  v.backward();
  CHECK(theta.grad()[0][0].item<float>() == Approx(-0.5));
  CHECK(theta.grad()[0][1].item<float>() == Approx(0.75));
}

TEST_CASE("pairwise_nll refuses mismatched shapes and a similarity that wants a gradient", "[nll]") {
  const auto theta = torch::zeros({2, 3}, torch::requires_grad());
  CHECK_THROWS_WITH(pairwise_nll(torch::zeros({3, 2}), theta, NllReduction::kMean), Catch::Contains("differ in shape"));
  CHECK_THROWS_WITH(pairwise_nll(torch::zeros({2, 3}, torch::requires_grad()), theta, NllReduction::kMean),
                    Catch::Contains("gets no gradient"));
}
