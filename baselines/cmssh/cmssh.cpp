// CMSSH on LibTorch (double precision). Boosting (the paper's Algorithm, AdaBoost form): pairs p
// carry weights w_p (uniform at first) and labels s_p = ±1. Bit t:
//   C = Σ_p w_p s_p x_p y_pᵀ (centred features) → a_t, b_t = top left/right singular vectors
//   (the relaxation sign(aᵀx) ≈ aᵀx of max Σ w s ξ η);
//   thresholds θx, θy maximising r_t = Σ_p w_p s_p ξ_t(x_p) η_t(y_p), ξ = sign(aᵀx − θx), η alike;
//   α_t = ½ ln((1 + r_t) / (1 − r_t)); w_p ← w_p exp(−α_t s_p ξ_t η_t), renormalised.
// Codes: ξ_t(x) for images, η_t(y) for texts.
#include "cmssh.h"

#include <torch/torch.h>

#include <cmath>

#include "common/error.h"
#include "data/dataset.h"
#include "param_set.h"
#include "tensor/tensor_data.h"

namespace cmh::baselines {
namespace {

const ParamSet<CmsshParams>& cmssh_params() {
  static const ParamSet<CmsshParams> set =
      ParamSet<CmsshParams>()
          // fewer than two pairs cannot hold a similar and a dissimilar one
          .add("pairs", &CmsshParams::pairs, "training pairs drawn (seeded) from the training items", at_least(2))
          // 0 or 1 leaves one kind of pair empty: the boosting weights cannot contrast them
          .add("positive_share", &CmsshParams::positive_share, "share of similar pairs (sharing a label) among them",
               above(0) | below(1))
          .add("thresholds", &CmsshParams::thresholds,
               "candidate thresholds (quantiles) per projection; 0: fixed at zero", at_least(0));
  return set;
}

// ±1 with 0 → +1, the convention of pack_signs.
torch::Tensor pm1(const torch::Tensor& v) { return torch::where(v >= 0, torch::ones_like(v), -torch::ones_like(v)); }

class Cmssh final : public Method {
 public:
  void fit(const data::Dataset& d, const std::vector<int64_t>& train, RunContext& ctx) override {
    const CmsshParams p = cmssh_params().read(ctx.params);
    auto x = feature_rows(d.image, train, "cmssh", torch::kFloat64);  // [n, dx]
    auto y = feature_rows(d.text, train, "cmssh", torch::kFloat64);   // [n, dy]
    mean_x_ = x.mean(0, true);
    mean_y_ = y.mean(0, true);
    x = x - mean_x_;
    y = y - mean_y_;
    const int64_t n = x.size(0), k = ctx.bits;
    const auto labels = label_rows(d, train).to(torch::kFloat64);
    auto gen = make_generator(ctx.seed);

    // Pairs by rejection: uniform (i, j) candidates in draw order fill the similar and the
    // dissimilar quota.
    const int64_t want_pos = std::max<int64_t>(1, std::llround(p.positive_share * static_cast<double>(p.pairs)));
    const int64_t want_neg = std::max<int64_t>(1, p.pairs - want_pos);
    std::vector<torch::Tensor> pi, pj, nI, nJ;
    int64_t have_pos = 0, have_neg = 0;
    for (int round = 0; (have_pos < want_pos || have_neg < want_neg); ++round) {
      if (round == 1000)
        throw InputError("cmssh: could not draw " + std::to_string(want_pos) + " similar and " +
                         std::to_string(want_neg) + " dissimilar training pairs (found " + std::to_string(have_pos) +
                         " and " + std::to_string(have_neg) + "); change positive_share");
      const auto ci = torch::randint(n, {4 * p.pairs}, gen, torch::kLong);
      const auto cj = torch::randint(n, {4 * p.pairs}, gen, torch::kLong);
      const auto similar = (labels.index_select(0, ci) * labels.index_select(0, cj)).sum(1) > 0;
      const auto pos = similar.nonzero().flatten(), neg = (~similar).nonzero().flatten();
      const int64_t tp = std::min(pos.numel(), want_pos - have_pos), tn = std::min(neg.numel(), want_neg - have_neg);
      pi.push_back(ci.index_select(0, pos.narrow(0, 0, tp)));
      pj.push_back(cj.index_select(0, pos.narrow(0, 0, tp)));
      nI.push_back(ci.index_select(0, neg.narrow(0, 0, tn)));
      nJ.push_back(cj.index_select(0, neg.narrow(0, 0, tn)));
      have_pos += tp;
      have_neg += tn;
    }
    const auto ii = torch::cat({torch::cat(pi), torch::cat(nI)});
    const auto jj = torch::cat({torch::cat(pj), torch::cat(nJ)});
    const auto s = torch::cat({torch::ones({want_pos}, x.options()), -torch::ones({want_neg}, x.options())});
    const auto pair_index = torch::stack({ii, jj});  // [2, P]: (image item, text item)
    auto w = torch::full({want_pos + want_neg}, 1.0 / static_cast<double>(want_pos + want_neg), x.options());

    const int64_t n_thresholds = std::max<int64_t>(p.thresholds, 1);
    const auto levels = (torch::arange(n_thresholds, x.options()) + 0.5) / static_cast<double>(n_thresholds);
    a_ = torch::zeros({x.size(1), k}, x.options());
    b_ = torch::zeros({y.size(1), k}, y.options());
    theta_x_ = torch::zeros({1, k}, x.options());
    theta_y_ = torch::zeros({1, k}, y.options());
    for (int64_t t = 0; t < k; ++t) {
      const auto ws = w * s;
      // C = Σ_p w_p s_p x_i yⱼᵀ = Xᵀ (W Y), W the sparse n × n matrix of the pair weights: no
      // [pairs, d] copy of the features (tags can be 1,386-d).
      const auto wmat = torch::sparse_coo_tensor(pair_index, ws, {n, n}).coalesce();
      auto [u, sv, vh] = torch::linalg_svd(x.t().mm(torch::mm(wmat, y)), false, c10::nullopt);
      auto a = u.narrow(1, 0, 1).clone(), b = vh.narrow(0, 0, 1).t().clone();  // [dx, 1], [dy, 1]
      const auto fx = x.mm(a).flatten(), fy = y.mm(b).flatten();                // [n]
      // Candidate thresholds: quantiles of the projected training items (0 = no search: zero, the
      // threshold of the centred relaxation).
      const auto tx = p.thresholds == 0 ? torch::zeros({1}, x.options())
                                        : torch::quantile(fx, levels, c10::nullopt, false, "linear");
      const auto ty = p.thresholds == 0 ? torch::zeros({1}, y.options())
                                        : torch::quantile(fy, levels, c10::nullopt, false, "linear");
      const auto px = fx.index_select(0, ii);  // [P] projections of the pairs' two sides
      auto py = fy.index_select(0, jj);
      const auto xi = pm1(px.unsqueeze(1) - tx.unsqueeze(0));   // [P, T]
      const auto eta = pm1(py.unsqueeze(1) - ty.unsqueeze(0));  // [P, T]
      const auto r_all = xi.t().mm(ws.unsqueeze(1) * eta);  // [T, T]
      const int64_t best = r_all.abs().flatten().argmax().item<int64_t>();
      const int64_t bx = best / tx.numel(), by = best % tx.numel();
      double r = r_all[bx][by].item<double>();
      double thy = ty[by].item<double>();
      if (r < 0) {  // −η = sign((−b)ᵀy + θy): flip the text side
        b = -b;
        py = -py;
        thy = -thy;
        r = -r;
      }
      const double thx = tx[bx].item<double>();
      a_.narrow(1, t, 1).copy_(a);
      b_.narrow(1, t, 1).copy_(b);
      theta_x_[0][t] = thx;
      theta_y_[0][t] = thy;
      const double rc = std::min(r, 1.0 - 1e-12);
      const double alpha = 0.5 * std::log((1.0 + rc) / (1.0 - rc));
      const auto h = pm1(px - thx) * pm1(py - thy);
      w = w * torch::exp(-alpha * s * h);
      w = w / w.sum();
      if (ctx.on_epoch) {
        EpochLog log;
        log.epoch = static_cast<int>(t + 1);
        log.epochs = static_cast<int>(k);
        log.values.emplace_back("weighted_correlation", r);
        log.values.emplace_back("alpha", alpha);
        ctx.on_epoch(log);
      }
    }
  }

  eval::PackedBits encode_image(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs((feature_rows(d.image, items, "cmssh", torch::kFloat64) - mean_x_).mm(a_) - theta_x_);
  }
  eval::PackedBits encode_text(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs((feature_rows(d.text, items, "cmssh", torch::kFloat64) - mean_y_).mm(b_) - theta_y_);
  }

 private:
  torch::Tensor mean_x_, mean_y_;    // [1, dx], [1, dy]
  torch::Tensor a_, b_;              // projections [dx, k], [dy, k]
  torch::Tensor theta_x_, theta_y_;  // thresholds [1, k]
};

}  // namespace

MethodInfo cmssh_method_info() {
  MethodInfo m;
  m.name = "cmssh";
  m.display = "CMSSH";
  m.kind = MethodKind::kShallow;
  m.summary = "boosted pairs of thresholded projections from weighted cross-covariance SVDs";
  m.citation = "Bronstein, Bronstein, Michel & Paragios, Data Fusion through Cross-modality Metric Learning using "
               "Similarity-Sensitive Hashing, CVPR 2010";
  m.folder = "baselines/cmssh";
  m.params = cmssh_params().table();
  m.create = [] { return std::make_unique<Cmssh>(); };
  return m;
}

}  // namespace cmh::baselines
