// KSH-CV on LibTorch (double precision). Per view, zero-mean RBF features k̄(x) [m] over m anchors
// (KSH's kernel map); bit t is h_t(x) = sgn(k̄_x(x)ᵀa_t), g_t(y) = sgn(k̄_y(y)ᵀb_t). Training pairs
// (i, j) are every image i with every text j of the (sampled) training items, S_ij = +1 when they
// share a label, −1 otherwise, with weights w_ij (uniform, summing to one). Boosting, bit t:
//   M = w ∘ S;  r(a, b) = Σ_ij M_ij h(x_i) g(y_j), the weighted agreement (the exponential loss
//   Σ w exp(−α S h g) falls as r rises);
//   spectral start (KSH): sgn relaxed to identity, max aᵀK_xᵀ M K_y b subject to unit mean square
//   of K_x a and K_y b: the top singular pair of the whitened K_xᵀ M K_y;
//   refinement (KSH): L-BFGS on the smooth r̃ = φ(K_x a)ᵀ M φ(K_y b), φ(z) = 2/(1 + e^{−z}) − 1,
//   keeping whichever of start and refinement has the larger discrete r;
//   α_t = ½ ln((1 + r) / (1 − r)); w_ij ← w_ij exp(−α_t S_ij h_t(x_i) g_t(y_j)), renormalised.
#include "kshcv.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "data/dataset.h"
#include "param_set.h"
#include "tensor/tensor_data.h"

namespace cmh::baselines {
namespace {

const ParamSet<KshCvParams>& kshcv_params() {
  static const ParamSet<KshCvParams> set =
      ParamSet<KshCvParams>()
          .add("anchors", &KshCvParams::anchors, "RBF kernel bases per view (random training items)", at_least(1))
          .add("kernel_scale", &KshCvParams::kernel_scale,
               "RBF kernel exp(-d^2 / (kernel_scale * s)), s = mean squared distance from training items to anchors",
               above(0))
          .add("max_train", &KshCvParams::max_train,
               "the cross-view training pairs come from at most this many training items (seeded sample)", at_least(2))
          // the whitening needs a positive ridge: KᵀK of RBF features is often singular
          .add("reg", &KshCvParams::reg, "ridge of the spectral start's whitening, relative to the mean variance",
               above(0))
          .add("refine_iterations", &KshCvParams::refine_iterations,
               "L-BFGS iterations of each bit's smooth refinement (0: spectral start only)", at_least(0));
  return set;
}

// ±1 with 0 → +1, the convention of pack_signs.
torch::Tensor pm1(const torch::Tensor& v) { return torch::where(v >= 0, torch::ones_like(v), -torch::ones_like(v)); }

// Squared Euclidean distances [a, b] between the rows of x [a, d] and z [b, d].
torch::Tensor sq_distances(const torch::Tensor& x, const torch::Tensor& z) {
  const auto xx = (x * x).sum(1, true), zz = (z * z).sum(1, true);
  return (xx + zz.t() - 2.0 * x.mm(z.t())).clamp_min(0.0);
}

// P^{-1/2} [m, m] of P = kᵀk/n + reg · mean(diag) · I.
torch::Tensor inverse_sqrt(const torch::Tensor& k, double reg) {
  auto p = k.t().mm(k) / static_cast<double>(k.size(0));
  const double ridge = reg * std::max(p.diagonal().mean().item<double>(), 1e-300);
  p = p + ridge * torch::eye(p.size(0), p.options());
  auto [e, v] = torch::linalg_eigh(p, "L");
  return v.mm(torch::diag(e.clamp_min(ridge).rsqrt())).mm(v.t());
}

// One view's kernel map: anchors, width and the training features' column means.
struct KernelMap {
  torch::Tensor anchors;  // [m, d]
  torch::Tensor mean;     // [1, m]
  double width = 1;       // kernel_scale · s

  torch::Tensor raw(const torch::Tensor& x) const { return torch::exp(-sq_distances(x, anchors) / width); }
  torch::Tensor operator()(const torch::Tensor& x) const { return raw(x) - mean; }
};

KernelMap make_kernel_map(const torch::Tensor& x, const torch::Tensor& anchors, double kernel_scale) {
  KernelMap k;
  k.anchors = anchors;
  k.width = kernel_scale * std::max(sq_distances(x, anchors).mean().item<double>(), 1e-300);
  k.mean = k.raw(x).mean(0, true);
  return k;
}

class KshCv final : public Method {
 public:
  void fit(const data::Dataset& d, const std::vector<int64_t>& train, RunContext& ctx) override {
    p_ = kshcv_params().read(ctx.params);
    const int64_t k = ctx.bits;
    auto gen = make_generator(ctx.seed);
    auto x1 = feature_rows(d.image, train, "ksh-cv", torch::kFloat64);  // [n, d1]
    auto x2 = feature_rows(d.text, train, "ksh-cv", torch::kFloat64);   // [n, d2]
    mean_1_ = x1.mean(0, true);
    mean_2_ = x2.mean(0, true);
    x1 = x1 - mean_1_;
    x2 = x2 - mean_2_;
    auto labels = label_rows(d, train).to(torch::kFloat64);
    const int64_t n_all = x1.size(0);

    int64_t m = std::min(p_.anchors, n_all);
    if (m < p_.anchors)
      ctx.notes.push_back("ksh-cv: " + std::to_string(m) + " anchors instead of " + std::to_string(p_.anchors) +
                          " (only " + std::to_string(n_all) + " training items)");
    // The same random items anchor both views.
    const auto anchor_pick = std::get<0>(torch::randperm(n_all, gen, torch::kLong).narrow(0, 0, m).sort());
    kx_ = make_kernel_map(x1, x1.index_select(0, anchor_pick), p_.kernel_scale);
    ky_ = make_kernel_map(x2, x2.index_select(0, anchor_pick), p_.kernel_scale);

    int64_t n = n_all;
    if (n > p_.max_train) {
      const auto pick = std::get<0>(torch::randperm(n, gen, torch::kLong).narrow(0, 0, p_.max_train).sort());
      x1 = x1.index_select(0, pick);
      x2 = x2.index_select(0, pick);
      labels = labels.index_select(0, pick);
      ctx.notes.push_back("ksh-cv: bits learned on the cross-view pairs of a seeded sample of " +
                          std::to_string(p_.max_train) + " of the " + std::to_string(n) +
                          " training items (max_train)");
      n = p_.max_train;
    }
    const auto fx = kx_(x1), fy = ky_(x2);  // [n, m]
    const auto s = pm1(labels.mm(labels.t()) - 0.5);  // [n, n]: +1 when a label is shared
    const auto wx = inverse_sqrt(fx, p_.reg), wy = inverse_sqrt(fy, p_.reg);
    auto w = torch::full({n, n}, 1.0 / static_cast<double>(n * n), fx.options());
    a_ = torch::zeros({m, k}, fx.options());
    b_ = torch::zeros({m, k}, fx.options());
    for (int64_t t = 0; t < k; ++t) {
      const auto weighted = w * s;  // M [n, n]
      // Spectral start: the top singular pair of P_x^{-1/2} K_xᵀ M K_y P_y^{-1/2}.
      const auto c = wx.mm(fx.t().mm(weighted.mm(fy))).mm(wy);
      auto [u, sv, vh] = torch::linalg_svd(c, false, c10::nullopt);
      auto a0 = wx.mm(u.narrow(1, 0, 1)), b0 = wy.mm(vh.narrow(0, 0, 1).t());  // [m, 1]
      a0 = a0 / fx.mm(a0).pow(2).mean().sqrt().clamp_min(1e-300);
      b0 = b0 / fy.mm(b0).pow(2).mean().sqrt().clamp_min(1e-300);
      const double r0 = agreement(fx.mm(a0), fy.mm(b0), weighted);
      const double f0 = surrogate(fx.mm(a0), fy.mm(b0), weighted).item<double>();
      auto a = a0, b = b0;
      double r = r0, f = f0;
      if (p_.refine_iterations > 0) {
        auto [a1, b1, f1] = refine(fx, fy, weighted, a0, b0);
        const double r1 = agreement(fx.mm(a1), fy.mm(b1), weighted);
        f = f1;
        if (r1 > r0) {
          a = a1;
          b = b1;
          r = r1;
        }
      }
      a_.narrow(1, t, 1).copy_(a);
      b_.narrow(1, t, 1).copy_(b);
      const double rc = std::clamp(r, -1.0 + 1e-12, 1.0 - 1e-12);
      const double alpha = 0.5 * std::log((1.0 + rc) / (1.0 - rc));
      const auto hg = pm1(fx.mm(a)).mm(pm1(fy.mm(b)).t());  // [n, n]: h(x_i) g(y_j)
      w = w * torch::exp(-alpha * s * hg);
      w = w / w.sum();
      if (ctx.on_epoch) {
        EpochLog log;
        log.epoch = static_cast<int>(t + 1);
        log.epochs = static_cast<int>(k);
        log.values.emplace_back("agreement", r);
        log.values.emplace_back("agreement_spectral", r0);
        log.values.emplace_back("surrogate", f);
        log.values.emplace_back("surrogate_spectral", f0);
        log.values.emplace_back("alpha", alpha);
        ctx.on_epoch(log);
      }
    }
  }

  eval::PackedBits encode_image(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs(kx_(feature_rows(d.image, items, "ksh-cv", torch::kFloat64) - mean_1_).mm(a_));
  }
  eval::PackedBits encode_text(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs(ky_(feature_rows(d.text, items, "ksh-cv", torch::kFloat64) - mean_2_).mm(b_));
  }

 private:
  // Σ_ij M_ij sgn(zx_i) sgn(zy_j): the weighted agreement of one bit's codes.
  static double agreement(const torch::Tensor& zx, const torch::Tensor& zy, const torch::Tensor& weighted) {
    return pm1(zx).t().mm(weighted.mm(pm1(zy))).item<double>();
  }
  // φ(zx)ᵀ M φ(zy), φ(z) = 2/(1 + e^{−z}) − 1 = tanh(z/2): KSH's smooth sign.
  static torch::Tensor surrogate(const torch::Tensor& zx, const torch::Tensor& zy, const torch::Tensor& weighted) {
    return torch::tanh(0.5 * zx).t().mm(weighted.mm(torch::tanh(0.5 * zy))).sum();
  }

  // L-BFGS on −r̃(a, b) from (a0, b0); returns the refined pair and r̃ there.
  std::tuple<torch::Tensor, torch::Tensor, double> refine(const torch::Tensor& fx, const torch::Tensor& fy,
                                                          const torch::Tensor& weighted, const torch::Tensor& a0,
                                                          const torch::Tensor& b0) const {
    torch::AutoGradMode grad_on(true);
    auto a = a0.clone().requires_grad_(true), b = b0.clone().requires_grad_(true);
    torch::optim::LBFGS opt({a, b}, torch::optim::LBFGSOptions(1.0)
                                        .max_iter(p_.refine_iterations)
                                        .max_eval(p_.refine_iterations * 5 / 4 + 1)
                                        .tolerance_grad(1e-9)
                                        .tolerance_change(1e-12)
                                        .history_size(20)
                                        .line_search_fn("strong_wolfe"));
    opt.step([&] {
      opt.zero_grad();
      auto loss = -surrogate(fx.mm(a), fy.mm(b), weighted);
      loss.backward();
      return loss;
    });
    torch::NoGradGuard no_grad;
    const auto a1 = a.detach(), b1 = b.detach();
    return {a1, b1, surrogate(fx.mm(a1), fy.mm(b1), weighted).item<double>()};
  }

  KshCvParams p_;
  torch::Tensor mean_1_, mean_2_;  // [1, d1], [1, d2]
  KernelMap kx_, ky_;
  torch::Tensor a_, b_;  // [m, k] per view
};

}  // namespace

MethodInfo kshcv_method_info() {
  MethodInfo m;
  m.name = "ksh-cv";
  m.display = "KSH-CV";
  m.kind = MethodKind::kShallow;
  m.summary = "RBF kernel hash functions per view, boosted bit by bit on label-similar cross-view pairs";
  m.citation =
      "Zhou, Ding, Guo, Liu & Dong, Kernel-based Supervised Hashing for Cross-View Similarity Search, ICME 2014";
  m.folder = "baselines/kshcv";
  m.params = kshcv_params().table();
  m.create = [] { return std::make_unique<KshCv>(); };
  return m;
}

}  // namespace cmh::baselines
