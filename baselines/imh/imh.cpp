// IMH on LibTorch (double precision). Items are rows: X_g [n, d_g] centred with the training
// means, relaxed codes Y_g [n, k], P = diag(paired) [n, n] the inter-media pairs (item i's image
// with item i's text), u their weight. The objective (the paper's, as its public scripts solve it):
//   Σ_g [ Tr(Y_gᵀ A_g Y_g) + λ Tr(Y_gᵀ L_g Y_g) ] + u ‖P (Y_1 − Y_2)‖²   s.t. Y_1ᵀY_1 = I,
// where A_g = I − X_g (X_gᵀX_g + βI)⁻¹ X_gᵀ is what the ridge fit W_g leaves of Y_g (the
// regression ‖X_g W_g − Y_g‖² + β‖W_g‖² minimised over W_g) and L_g = D_g − S_g the kNN graph
// Laplacian. Y_2 is unconstrained: Y_2 = E Y_1 with E = (A_2 + λL_2 + uP)⁻¹ uP. Then
//   Tr(Y_1ᵀ C Y_1),  C = A_1 + λL_1 + Eᵀ(A_2 + λL_2)E + u (I − E)ᵀ P (I − E),
// so Y_1 = the eigenvectors of the k smallest eigenvalues of C (the paper's F, E, C), and
// hash functions sign(x W_g) with W_g the ridge fit.
#include "imh.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "data/dataset.h"
#include "param_set.h"
#include "tensor/tensor_data.h"

namespace cmh::baselines {
namespace {

const ParamSet<ImhParams>& imh_params() {
  static const ParamSet<ImhParams> set =
      ParamSet<ImhParams>()
          .add("lambda", &ImhParams::lambda, "weight of the intra-media (kNN graph Laplacian) terms", at_least(0))
          // the ridge keeps (XᵀX + βI) invertible
          .add("beta", &ImhParams::beta, "ridge of the linear hash functions fitted to the relaxed codes", above(0))
          .add("inter_weight", &ImhParams::inter_weight,
               "u: weight of the inter-media term, squared differences of paired items' relaxed codes", above(0))
          .add("knn", &ImhParams::knn, "neighbours per item in each modality's graph", at_least(1))
          .add("graph_weights", &ImhParams::graph_weights,
               "heat: exp(-d^2/sigma^2) on kNN edges, either direction (the paper); binary: 1, then (W + W^T)/2 (the "
               "public scripts)",
               one_of({"heat", "binary"}))
          .add("sigma_scale", &ImhParams::sigma_scale, "heat kernel sigma, times the mean kNN distance", above(0))
          .add("max_train", &ImhParams::max_train,
               "at most this many training items feed the n x n graphs and eigenproblem (seeded subset)", at_least(2))
          // no pair at all leaves the two modalities unlinked
          .add("paired_share", &ImhParams::paired_share,
               "share of those items linked as inter-media pairs; the rest are unpaired (1: all)", above(0) | at_most(1))
          .add("threshold", &ImhParams::threshold,
               "zero: sign of the linear function of centred features; median: each bit's training median",
               one_of({"zero", "median"}));
  return set;
}

// L = D − S of the kNN graph of the rows of x [n, d].
torch::Tensor knn_laplacian(const torch::Tensor& x, const ImhParams& p) {
  const int64_t n = x.size(0);
  const auto sq = x.pow(2).sum(1, true);                                      // [n, 1]
  auto dist2 = (sq + sq.t() - 2.0 * x.mm(x.t())).clamp_min(0.0);              // [n, n]
  dist2.diagonal().fill_(std::numeric_limits<double>::infinity());           // never one's own neighbour
  auto [near_d2, near] = dist2.topk(p.knn, 1, /*largest=*/false, /*sorted=*/true);  // [n, k]
  auto s = torch::zeros({n, n}, x.options());
  if (p.graph_weights == "binary") {
    s.scatter_(1, near, 1.0);
    s = (s + s.t()) / 2.0;
  } else {
    const double sigma = p.sigma_scale * near_d2.sqrt().mean().item<double>();
    const auto w = sigma > 0.0 ? (-near_d2 / (sigma * sigma)).exp() : torch::ones_like(near_d2);
    s.scatter_(1, near, w);
    s = torch::maximum(s, s.t());  // an edge when either end is among the other's k nearest
  }
  return torch::diag(s.sum(1)) - s;
}

// I − X (XᵀX + βI)⁻¹ Xᵀ [n, n]: Tr(Yᵀ A Y) is min_W ‖XW − Y‖² + β‖W‖².
torch::Tensor regression_residual(const torch::Tensor& x, double beta) {
  const int64_t n = x.size(0), d = x.size(1);
  const auto gram = x.t().mm(x) + beta * torch::eye(d, x.options());
  return torch::eye(n, x.options()) - x.mm(torch::linalg_solve(gram, x.t(), true));
}

torch::Tensor ridge_fit(const torch::Tensor& x, const torch::Tensor& y, double beta) {
  const auto gram = x.t().mm(x) + beta * torch::eye(x.size(1), x.options());
  return torch::linalg_solve(gram, x.t().mm(y), true);  // [d, k]
}

double trace_form(const torch::Tensor& y, const torch::Tensor& m) { return y.t().mm(m).mm(y).trace().item<double>(); }

class Imh final : public Method {
 public:
  void fit(const data::Dataset& d, const std::vector<int64_t>& train, RunContext& ctx) override {
    p_ = imh_params().read(ctx.params);
    auto gen = make_generator(ctx.seed);
    std::vector<int64_t> items = train;
    if (static_cast<int64_t>(items.size()) > p_.max_train) {
      const auto pick = std::get<0>(torch::randperm(static_cast<int64_t>(items.size()), gen, torch::kLong)
                                        .narrow(0, 0, p_.max_train)
                                        .sort());
      std::vector<int64_t> sub;
      for (int64_t i = 0; i < p_.max_train; ++i) sub.push_back(items[pick[i].item<int64_t>()]);
      items.swap(sub);
      ctx.notes.push_back("imh: the graphs and the eigenproblem use " + std::to_string(p_.max_train) + " of " +
                          std::to_string(train.size()) + " training items (seeded random subset)");
    }
    auto x1 = feature_rows(d.image, items, "imh", torch::kFloat64);  // [n, d1]
    auto x2 = feature_rows(d.text, items, "imh", torch::kFloat64);   // [n, d2]
    const int64_t n = x1.size(0), k = ctx.bits;
    if (p_.knn >= n)
      throw InputError("imh: knn = " + std::to_string(p_.knn) + " needs more than " + std::to_string(p_.knn) +
                       " training items; got " + std::to_string(n));
    if (k > n)
      throw InputError("imh: " + std::to_string(k) + " bits need at least as many training items; got " +
                       std::to_string(n));
    mean_1_ = x1.mean(0, true);
    mean_2_ = x2.mean(0, true);
    x1 = x1 - mean_1_;
    x2 = x2 - mean_2_;
    const auto opts = x1.options();

    // The inter-media pairs: every item, or a seeded share of them.
    auto paired = torch::ones({n}, opts);
    if (p_.paired_share < 1.0) {
      const int64_t np = std::max<int64_t>(1, std::llround(p_.paired_share * static_cast<double>(n)));
      paired = torch::zeros({n}, opts);
      paired.index_fill_(0, torch::randperm(n, gen, torch::kLong).narrow(0, 0, np), 1.0);
      ctx.notes.push_back("imh: " + std::to_string(np) + " of " + std::to_string(n) +
                          " training items are inter-media pairs; the others are treated as unpaired");
    }
    const double u = p_.inter_weight, lambda = p_.lambda;
    const auto eye = torch::eye(n, opts);
    const auto up = torch::diag(u * paired);  // uP

    const auto a1 = regression_residual(x1, p_.beta), a2 = regression_residual(x2, p_.beta);
    const auto l1 = knn_laplacian(x1, p_), l2 = knn_laplacian(x2, p_);
    const auto h2 = a2 + lambda * l2;
    const auto e = torch::linalg_solve(h2 + up, up, true);  // E [n, n]
    const auto r = eye - e;
    auto c = a1 + lambda * l1 + e.t().mm(h2).mm(e) + r.t().mm(up).mm(r);
    c = (c + c.t()) / 2.0;
    auto [eigval, eigvec] = torch::linalg_eigh(c, "L");  // ascending
    const auto y1 = eigvec.narrow(1, 0, k);              // F [n, k], y1ᵀy1 = I
    const auto y2 = e.mm(y1);                            // [n, k]
    w1_ = ridge_fit(x1, y1, p_.beta);
    w2_ = ridge_fit(x2, y2, p_.beta);
    if (p_.threshold == "median") {
      t1_ = std::get<0>(x1.mm(w1_).median(0, true));
      t2_ = std::get<0>(x2.mm(w2_).median(0, true));
    } else {
      t1_ = torch::zeros({1, k}, opts);
      t2_ = torch::zeros({1, k}, opts);
    }

    if (ctx.on_epoch) {
      // The three terms at the solution, from the matrices (their sum is Σ of the k eigenvalues).
      const double regression = trace_form(y1, a1) + trace_form(y2, a2);
      const double intra = lambda * (trace_form(y1, l1) + trace_form(y2, l2));
      const double inter = (paired.unsqueeze(1) * (y1 - y2)).pow(2).sum().item<double>() * u;
      EpochLog log;
      log.epoch = log.epochs = 1;
      log.values.emplace_back("objective", eigval.narrow(0, 0, k).sum().item<double>());
      log.values.emplace_back("regression", regression);
      log.values.emplace_back("intra_media", intra);
      log.values.emplace_back("inter_media", inter);
      ctx.on_epoch(log);
    }
  }

  eval::PackedBits encode_image(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs((feature_rows(d.image, items, "imh", torch::kFloat64) - mean_1_).mm(w1_) - t1_);
  }
  eval::PackedBits encode_text(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs((feature_rows(d.text, items, "imh", torch::kFloat64) - mean_2_).mm(w2_) - t2_);
  }

 private:
  ImhParams p_;
  torch::Tensor mean_1_, mean_2_;  // [1, d1], [1, d2]
  torch::Tensor w1_, w2_;          // [d1, k], [d2, k]
  torch::Tensor t1_, t2_;          // [1, k] thresholds
};

}  // namespace

MethodInfo imh_method_info() {
  MethodInfo m;
  m.name = "imh";
  m.display = "IMH";
  m.kind = MethodKind::kShallow;
  m.summary = "inter-media hashing: kNN-graph smooth, pair-consistent relaxed codes by one eigendecomposition, "
              "ridge-fitted linear hash functions, sign";
  m.citation = "Song, Yang, Yang, Huang & Shen, Inter-Media Hashing for Large-Scale Retrieval from Heterogeneous "
               "Data Sources, SIGMOD 2013";
  m.folder = "baselines/imh";
  m.params = imh_params().table();
  m.create = [] { return std::make_unique<Imh>(); };
  return m;
}

}  // namespace cmh::baselines
