// STMH on LibTorch (double precision). Items are rows: X1 [n, d1] images, X2 [n, d2] texts
// (centred with the training means), G1 [n, k] real image concepts, G2 [n, k] binary text topics
// with h = round(k/2) ones per row, F1 [d1, k], F2 [d2, k] bases, R [k, k], D = diag(d) the
// ℓ2,1 reweighting. Objective (r1 + r2 = 1):
//   r1 Σ_i ‖x1_i − F1 g1_i‖ + r2 Σ_i Σ_{j ∈ G2_i} ‖x2_i − F2_j‖² + λ ‖G2 − G1 R‖²
//   + γ (‖R‖² + ‖G1‖² + ‖F1‖² + ‖F2‖²),
// minimised block by block: F1, F2, R in closed form, G1 row-wise in closed form, G2 row-wise by
// picking the h topics of smallest r2‖x2_i − F2_j‖² − 2λ (G1R)_ij, then d_i = r1 / (2‖e_i‖).
// Codes: a text holds its h nearest topics; an image's concepts g = x F1 (F1ᵀF1 + γ/r1 I)^{-1}
// are mapped by R and its h largest topics are set.
#include "stmh.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "common/error.h"
#include "data/dataset.h"
#include "param_set.h"
#include "tensor/tensor_data.h"

namespace cmh::baselines {
namespace {

const ParamSet<StmhParams>& stmh_params() {
  static const ParamSet<StmhParams> set =
      ParamSet<StmhParams>()
          // 0 or 1 drops one modality from the factorisation
          .add("image_weight", &StmhParams::image_weight, "r1: weight of the image factorisation; text gets 1 - r1",
               above(0) | below(1))
          .add("lambda", &StmhParams::lambda, "weight of the correlation term, squared norm of G_text - G_image R",
               above(0))
          // the regularisers keep the alternating least squares invertible
          .add("gamma", &StmhParams::gamma, "weight of the Frobenius regularisers", above(0))
          .add("max_iter", &StmhParams::max_iter, "at most this many alternating rounds", at_least(1))
          .add("tol", &StmhParams::tol, "stop when the objective changes by less than this (absolute)", at_least(0));
  return set;
}

double sq(const torch::Tensor& t) { return t.pow(2).sum().item<double>(); }

// Squared Euclidean distances [n, k] from the rows of x [n, d] to the columns of f [d, k].
torch::Tensor sq_distances(const torch::Tensor& x, const torch::Tensor& f) {
  return ((x * x).sum(1, true) + (f * f).sum(0, true) - 2.0 * x.mm(f)).clamp_min(0.0);
}

// A 0/1 matrix [n, k] with ones at the `count` largest entries of each row of `score`.
torch::Tensor top_ones(const torch::Tensor& score, int64_t count) {
  const auto idx = std::get<1>(score.topk(count, 1, true, true));
  return torch::zeros_like(score).scatter_(1, idx, 1.0);
}

class Stmh final : public Method {
 public:
  void fit(const data::Dataset& d, const std::vector<int64_t>& train, RunContext& ctx) override {
    p_ = stmh_params().read(ctx.params);
    auto x1 = feature_rows(d.image, train, "stmh", torch::kFloat64);
    auto x2 = feature_rows(d.text, train, "stmh", torch::kFloat64);
    mean_1_ = x1.mean(0, true);
    mean_2_ = x2.mean(0, true);
    x1 = x1 - mean_1_;
    x2 = x2 - mean_2_;
    const int64_t n = x1.size(0), k = ctx.bits;
    ones_ = (k + 1) / 2;  // MATLAB round(k/2)
    const double r1 = p_.image_weight, r2 = 1.0 - r1, lam = p_.lambda, g = p_.gamma;
    const auto opts = x1.options();
    const auto eye = torch::eye(k, opts);
    auto gen = make_generator(ctx.seed);
    auto g1 = torch::randn({n, k}, gen, opts);
    auto g2 = top_ones(torch::rand({n, k}, gen, opts), ones_);  // h random topics per text
    auto dw = torch::ones({n, 1}, opts);                        // diag(D)
    double last = std::numeric_limits<double>::quiet_NaN();
    for (int64_t it = 1; it <= p_.max_iter; ++it) {
      f1_ = torch::linalg_solve(g1.t().mm(dw * g1) + (g / r1) * eye, (x1.t().mm(dw * g1)).t(), true).t();
      f2_ = torch::linalg_solve(g2.t().mm(g2) + (g / r1) * eye, (x2.t().mm(g2)).t(), true).t();
      r_ = torch::linalg_solve(g1.t().mm(g1) + (g / lam) * eye, g1.t().mm(g2), true);
      // G1 row i = left_i (d_i P + Q)^{-1}, P = r1 F1ᵀF1, Q = λRRᵀ + γI: with Q^{-1/2} P Q^{-1/2}
      // = V Λ Vᵀ and T = Q^{-1/2} V, (d_i P + Q)^{-1} = T diag(1 / (d_i Λ + 1)) Tᵀ for every row.
      {
        const auto left = r1 * dw * x1.mm(f1_) + lam * g2.mm(r_.t());
        auto [qe, qv] = torch::linalg_eigh(lam * r_.mm(r_.t()) + g * eye, "L");
        const auto q_half = qv.mm(torch::diag(qe.clamp_min(1e-300).rsqrt())).mm(qv.t());
        auto [pe, pv] = torch::linalg_eigh(q_half.mm(r1 * f1_.t().mm(f1_)).mm(q_half), "L");
        const auto t = q_half.mm(pv);
        g1 = (left.mm(t) / (dw * pe.unsqueeze(0) + 1.0)).mm(t.t());
      }
      g2 = top_ones(2.0 * lam * g1.mm(r_) - r2 * sq_distances(x2, f2_), ones_);
      const auto e = (x1 - g1.mm(f1_.t())).pow(2).sum(1, true).add(std::numeric_limits<double>::epsilon()).sqrt();
      dw = r1 * 0.5 / e;
      const double obj = r1 * e.sum().item<double>() + r2 * (g2 * sq_distances(x2, f2_)).sum().item<double>() +
                         lam * sq(g2 - g1.mm(r_)) + g * (sq(r_) + sq(g1) + sq(f1_) + sq(f2_));
      if (ctx.on_epoch) {
        EpochLog log;
        log.epoch = static_cast<int>(it);
        log.epochs = static_cast<int>(p_.max_iter);
        log.values.emplace_back("objective", obj);
        ctx.on_epoch(log);
      }
      const bool converged = std::abs(last - obj) < p_.tol;  // false while last is NaN
      last = obj;
      if (converged) break;
    }
    image_map_ = torch::linalg_solve(f1_.t().mm(f1_) + (g / r1) * eye, f1_.t(), true).t().mm(r_);  // [d1, k]
  }

  eval::PackedBits encode_image(const data::Dataset& d, const std::vector<int64_t>& items) override {
    const auto x = feature_rows(d.image, items, "stmh", torch::kFloat64) - mean_1_;
    return pack_signs(2.0 * top_ones(x.mm(image_map_), ones_) - 1.0);
  }
  eval::PackedBits encode_text(const data::Dataset& d, const std::vector<int64_t>& items) override {
    const auto x = feature_rows(d.text, items, "stmh", torch::kFloat64) - mean_2_;
    return pack_signs(2.0 * top_ones(-sq_distances(x, f2_), ones_) - 1.0);
  }

 private:
  StmhParams p_;
  int64_t ones_ = 0;               // h = round(k/2) set bits per code
  torch::Tensor mean_1_, mean_2_;  // [1, d1], [1, d2]
  torch::Tensor f1_, f2_, r_;      // [d1, k], [d2, k], [k, k]
  torch::Tensor image_map_;        // [d1, k]: x ↦ concepts ↦ topic scores
};

}  // namespace

MethodInfo stmh_method_info() {
  MethodInfo m;
  m.name = "stmh";
  m.display = "STMH";
  m.kind = MethodKind::kShallow;
  m.summary = "text topics by multi-assignment clustering, image concepts by l2,1 factorisation, linked by R";
  m.citation = "Wang, Gao, Wang & He, Semantic Topic Multimodal Hashing for Cross-Media Retrieval, IJCAI 2015";
  m.folder = "baselines/stmh";
  m.params = stmh_params().table();
  m.create = [] { return std::make_unique<Stmh>(); };
  return m;
}

}  // namespace cmh::baselines
