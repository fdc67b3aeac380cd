// CMFH on LibTorch (double precision). Items are rows here: Y = Vᵀ [n, k] is the shared latent
// code, U_t [k, d_t] the modality bases, W_t = P_tᵀ [d_t, k] the projections. The objective (the
// authors' code, CMFH_learn.m, with α_1 = λ, α_2 = 1 − λ):
//   Σ_t α_t (‖X_t − Y U_t‖² + μ ‖Y − X_t W_t‖² + γ (‖U_t‖² + ‖W_t‖²)) + γ ‖Y‖²,
// minimised exactly over U, then Y, then W in turn, so it never rises.
#include "cmfh.h"

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

const ParamSet<CmfhParams>& cmfh_params() {
  static const ParamSet<CmfhParams> set =
      ParamSet<CmfhParams>()
          // 0 or 1 drops one modality from the factorisation
          .add("lambda", &CmfhParams::lambda, "weight of the image factorisation; text gets 1 - lambda",
               above(0) | below(1))
          .add("mu", &CmfhParams::mu, "weight of the projection terms, squared norms of V - X_t P_t", above(0))
          // the regularisers keep the alternating least squares invertible
          .add("gamma", &CmfhParams::gamma, "weight of the Frobenius regularisers", above(0))
          .add("max_iter", &CmfhParams::max_iter, "at most this many alternating rounds", at_least(1))
          .add("tol", &CmfhParams::tol, "stop when the objective falls by less than this share of its value",
               at_least(0))
          .add("database_codes", &CmfhParams::database_codes,
               "unified: the retrieval set is coded from both modalities (the paper's protocol); hash_function: from one",
               one_of({"unified", "hash_function"}));
  return set;
}

double sq(const torch::Tensor& t) { return t.pow(2).sum().item<double>(); }

class Cmfh final : public Method {
 public:
  void fit(const data::Dataset& d, const std::vector<int64_t>& train, RunContext& ctx) override {
    p_ = cmfh_params().read(ctx.params);
    auto x1 = feature_rows(d.image, train, "cmfh", torch::kFloat64);  // [n, d1]
    auto x2 = feature_rows(d.text, train, "cmfh", torch::kFloat64);   // [n, d2]
    mean_1_ = x1.mean(0, true);
    mean_2_ = x2.mean(0, true);
    x1 = x1 - mean_1_;
    x2 = x2 - mean_2_;
    const int64_t n = x1.size(0), d1 = x1.size(1), d2 = x2.size(1), k = ctx.bits;
    const double a1 = p_.lambda, a2 = 1.0 - p_.lambda, mu = p_.mu, g = p_.gamma;
    const auto opts = x1.options();
    // Uniform initial values as the authors' code (rand); U_t are overwritten before first use.
    auto gen = make_generator(ctx.seed);
    auto y = torch::rand({n, k}, gen, opts);
    torch::rand({k, d1}, gen, opts);
    torch::rand({k, d2}, gen, opts);
    w1_ = torch::rand({d1, k}, gen, opts);
    w2_ = torch::rand({d2, k}, gen, opts);
    // W_t = μ (μ X_tᵀX_t + γI)^{-1} X_tᵀ Y: the [d_t, n] operator is fixed.
    const auto proj1 = mu * torch::linalg_solve(mu * x1.t().mm(x1) + g * torch::eye(d1, opts), x1.t(), true);
    const auto proj2 = mu * torch::linalg_solve(mu * x2.t().mm(x2) + g * torch::eye(d2, opts), x2.t(), true);
    const auto eye_k = torch::eye(k, opts);
    double last = std::numeric_limits<double>::infinity();
    for (int64_t it = 1; it <= p_.max_iter; ++it) {
      const auto gram = y.t().mm(y) + g * eye_k;
      u1_ = torch::linalg_solve(gram, y.t().mm(x1), true);  // [k, d1]
      u2_ = torch::linalg_solve(gram, y.t().mm(x2), true);  // [k, d2]
      y = latent(x1, x2);
      w1_ = proj1.mm(y);
      w2_ = proj2.mm(y);
      const double obj = a1 * (sq(x1 - y.mm(u1_)) + mu * sq(y - x1.mm(w1_)) + g * (sq(u1_) + sq(w1_))) +
                         a2 * (sq(x2 - y.mm(u2_)) + mu * sq(y - x2.mm(w2_)) + g * (sq(u2_) + sq(w2_))) + g * sq(y);
      if (ctx.on_epoch) {
        EpochLog log;
        log.epoch = static_cast<int>(it);
        log.epochs = static_cast<int>(p_.max_iter);
        log.values.emplace_back("objective", obj);
        ctx.on_epoch(log);
      }
      const bool converged = last - obj < p_.tol * std::abs(obj);
      last = obj;
      if (converged) break;
    }
    mean_y_ = y.mean(0, true);
    if (p_.database_codes == "unified")
      ctx.notes.push_back(
          "cmfh: database_codes = \"unified\" (the paper's protocol): the retrieval set is coded from both "
          "modalities at once; queries from the one asked for");
  }

  eval::PackedBits encode_image(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs((feature_rows(d.image, items, "cmfh", torch::kFloat64) - mean_1_).matmul(w1_));
  }
  eval::PackedBits encode_text(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs((feature_rows(d.text, items, "cmfh", torch::kFloat64) - mean_2_).matmul(w2_));
  }
  // The paper's retrieval set has both modalities: its code is the latent code of both.
  std::optional<eval::PackedBits> encode_database(const data::Dataset& d, const std::vector<int64_t>& items) override {
    if (p_.database_codes != "unified") return std::nullopt;
    return encode_unified(d, items);
  }

 private:
  // The latent codes minimising the objective for items with both features, given U and W:
  // Y (α1 U1U1ᵀ + α2 U2U2ᵀ + (μ + γ) I) = α1 X1 (U1ᵀ + μ W1) + α2 X2 (U2ᵀ + μ W2).
  torch::Tensor latent(const torch::Tensor& x1, const torch::Tensor& x2) const {
    const double a1 = p_.lambda, a2 = 1.0 - p_.lambda, mu = p_.mu, g = p_.gamma;
    const int64_t k = u1_.size(0);
    const auto m = a1 * u1_.mm(u1_.t()) + a2 * u2_.mm(u2_.t()) + (mu + g) * torch::eye(k, u1_.options());
    const auto rhs = a1 * x1.mm(u1_.t() + mu * w1_) + a2 * x2.mm(u2_.t() + mu * w2_);  // [n, k]
    return torch::linalg_solve(m, rhs.t(), true).t();
  }

  eval::PackedBits encode_unified(const data::Dataset& d, const std::vector<int64_t>& items) const {
    const auto x1 = feature_rows(d.image, items, "cmfh", torch::kFloat64) - mean_1_;
    const auto x2 = feature_rows(d.text, items, "cmfh", torch::kFloat64) - mean_2_;
    return pack_signs(latent(x1, x2) - mean_y_);
  }

  CmfhParams p_;
  torch::Tensor mean_1_, mean_2_, mean_y_;  // [1, d1], [1, d2], [1, k]
  torch::Tensor u1_, u2_;                   // [k, d1], [k, d2]
  torch::Tensor w1_, w2_;                   // [d1, k], [d2, k]
};

}  // namespace

MethodInfo cmfh_method_info() {
  MethodInfo m;
  m.name = "cmfh";
  m.display = "CMFH";
  m.kind = MethodKind::kShallow;
  m.summary = "collective matrix factorisation with a shared latent code and linear projections, sign";
  m.citation = "Ding, Guo & Zhou, Collective Matrix Factorization Hashing for Multimodal Data, CVPR 2014";
  m.folder = "baselines/cmfh";
  m.params = cmfh_params().table();
  m.create = [] { return std::make_unique<Cmfh>(); };
  return m;
}

}  // namespace cmh::baselines
