// LSSH (baselines/lssh): its lasso solver meets the lasso optimality conditions, its unit-column
// least squares the constrained ones, and the alternating objective never rises with a fixed
// penalty.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "baselines_test_util.h"
#include "baselines/lssh/lssh_solvers.h"
#include "tensor/tensor_data.h"
#include "test_methods.h"

namespace lssh = cmh::baselines::lssh;

TEST_CASE("lssh: the sparse coder's solution meets the lasso KKT conditions", "[baselines]") {
  auto gen = cmh::make_generator(3);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const auto d = torch::randn({12, 30}, gen, opts);  // overcomplete: 30 atoms in 12 dimensions
  const auto z = torch::randn({6, 12}, gen, opts);
  for (const bool relative : {false, true}) {
    INFO("relative penalty: " << relative);
    const auto lambda = lssh::lasso_penalties(d, z, relative ? 0.3 : 0.8, relative);  // [6, 1]
    const auto s = lssh::lasso_fista(d, z, lambda, 20000);
    // 0 ∈ ∂: dᵀ(z − d s) = λ sign(s_j) where s_j ≠ 0, and |·| ≤ λ where s_j = 0.
    const auto g = (z - s.mm(d.t())).mm(d);  // [6, 30]
    int zeros = 0, nonzeros = 0;
    for (int64_t i = 0; i < s.size(0); ++i) {
      const double l = lambda[i][0].item<double>();
      REQUIRE(l > 0.0);
      for (int64_t j = 0; j < s.size(1); ++j) {
        const double sij = s[i][j].item<double>(), gij = g[i][j].item<double>();
        if (sij != 0.0) {
          ++nonzeros;
          CHECK(std::abs(gij - l * (sij > 0 ? 1.0 : -1.0)) < 1e-6);
        } else {
          ++zeros;
          CHECK(std::abs(gij) <= l + 1e-6);
        }
      }
    }
    // Not a trivial solution either way.
    CHECK(zeros > 0);
    CHECK(nonzeros > 0);
    // A few steps from zero already lower every item's objective, and more steps lower it further.
    const auto f_zero = lssh::lasso_objective(d, z, torch::zeros_like(s), lambda);
    const auto f_few = lssh::lasso_objective(d, z, lssh::lasso_fista(d, z, lambda, 5), lambda);
    const auto f_opt = lssh::lasso_objective(d, z, s, lambda);
    CHECK((f_few < f_zero).all().item<bool>());
    CHECK((f_opt <= f_few + 1e-12).all().item<bool>());
  }
  // The relative penalty is ρ times the smallest one that zeroes the code: with ρ = 1 the code is 0.
  const auto zeroed = lssh::lasso_fista(d, z, lssh::lasso_penalties(d, z, 1.0, true), 200);
  CHECK(zeroed.abs().max().item<double>() == 0.0);
}

TEST_CASE("lssh: unit-column least squares stays feasible, never rises, and meets its KKT conditions",
          "[baselines]") {
  auto gen = cmh::make_generator(4);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const auto s = torch::randn({50, 8}, gen, opts);
  const auto x = 3.0 * torch::randn({50, 5}, gen, opts);  // large targets: some columns hit the ball
  auto b = torch::randn({5, 8}, gen, opts);
  b = b / b.norm(2, 0, true);
  auto f = [&](const torch::Tensor& bb) { return (x - s.mm(bb.t())).pow(2).sum().item<double>(); };
  double last = f(b);
  for (int sweep = 0; sweep < 300; ++sweep) {
    b = lssh::unit_ball_least_squares(x, s, b, 1);
    const double now = f(b);
    REQUIRE(now <= last + 1e-9 * std::abs(last));
    last = now;
  }
  const auto norms = b.norm(2, 0);  // [8]
  CHECK((norms <= 1.0 + 1e-12).all().item<bool>());
  // Stationarity of ‖x − s Bᵀ‖² + Σ ν_j (‖b_j‖² − 1): the gradient 2(B E − F) is −2ν_j b_j with
  // ν_j ≥ 0 on the sphere, zero inside.
  const auto grad = b.mm(s.t().mm(s)) - x.t().mm(s);  // [5, 8], half the gradient
  int on_sphere = 0;
  for (int64_t j = 0; j < b.size(1); ++j) {
    const auto gj = grad.select(1, j), bj = b.select(1, j);
    if (norms[j].item<double>() > 1.0 - 1e-9) {
      ++on_sphere;
      const double nu = -gj.dot(bj).item<double>();  // ν_j = −⟨g_j, b_j⟩ for unit b_j
      CHECK(nu >= -1e-6);
      CHECK((gj + nu * bj).norm().item<double>() < 1e-5 * (1.0 + std::abs(nu)));
    } else {
      CHECK(gj.norm().item<double>() < 1e-5);
    }
  }
  CHECK(on_sphere > 0);
}

TEST_CASE("lssh: with a fixed penalty the alternating objective never rises", "[baselines]") {
  const auto& s = cmh::test::small_synthetic();
  std::vector<double> objective;
  const cmh::MethodInfo& info = cmh::test::methods().at("lssh");
  cmh::RunContext ctx;
  ctx.bits = 16;
  ctx.seed = 2;
  ctx.params = cmh::Params("lssh", info.params,
                           {{"penalty", std::string("absolute")}, {"rho", 0.05}, {"max_iter", int64_t{8}},
                            {"atoms", int64_t{64}}});
  ctx.on_epoch = [&](const cmh::EpochLog& log) {
    for (const auto& [name, value] : log.values)
      if (name == "objective") objective.push_back(value);
  };
  auto m = info.create();
  m->fit(s.dataset, s.split.train, ctx);
  REQUIRE(objective.size() == 8);
  for (size_t i = 1; i < objective.size(); ++i) {
    INFO("round " << i + 1 << ": " << objective[i - 1] << " -> " << objective[i]);
    CHECK(objective[i] <= objective[i - 1] * (1.0 + 1e-10));
  }
  CHECK(objective.back() < objective.front());
}
