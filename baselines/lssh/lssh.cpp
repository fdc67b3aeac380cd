// LSSH on LibTorch (double precision). Items are rows: X [n, p] image features (centred, on their
// top-k principal directions, rows scaled to unit norm, as the authors' code), T [n, d2] text
// features (centred, unit rows), S [n, m] image sparse codes over the dictionary B [p, m],
// Y [n, k] text latents with the text basis U [d2, k], R [k, m] from sparse codes to latents.
// The objective (the paper's, with the authors' code's weights; ½ throughout):
//   ½‖X − S Bᵀ‖² + Σ_i λ_i ‖s_i‖₁ + ½μ ‖T − Y Uᵀ‖² + ½γ ‖Y − S Rᵀ‖²,  ‖b_j‖, ‖u_j‖, ‖r_j‖ ≤ 1,
// minimised in turn over Y (closed form), U (unit-ball least squares), S (a lasso per item over
// the stacked dictionary [B; √γ R]), then B and R (unit-ball least squares). Each step lowers the
// objective (the lasso keeps the better of its warm start and its result per item), so with a
// fixed penalty it never rises; the authors' relative penalty moves λ_i with the dictionary.
// Codes: an image is sparse-coded over B and mapped by R; a text gets the latent minimising
// μ‖t − U y‖² + γ‖y‖²; the retrieval set's items the latent of both (authors' LSSHcoding.m).
#include "lssh.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/error.h"
#include "data/dataset.h"
#include "lssh_solvers.h"
#include "param_set.h"
#include "tensor/tensor_data.h"

namespace cmh::baselines {
namespace lssh {

torch::Tensor lasso_penalties(const torch::Tensor& d, const torch::Tensor& z, double rho, bool relative) {
  if (!relative) return torch::full({z.size(0), 1}, rho, z.options());
  return rho * std::get<0>(z.mm(d).abs().max(1, true));
}

torch::Tensor lasso_objective(const torch::Tensor& d, const torch::Tensor& z, const torch::Tensor& s,
                              const torch::Tensor& lambda) {
  return 0.5 * (z - s.mm(d.t())).pow(2).sum(1) + lambda.flatten() * s.abs().sum(1);
}

torch::Tensor lasso_fista(const torch::Tensor& d, const torch::Tensor& z, const torch::Tensor& lambda,
                          int64_t iterations, const torch::Tensor& start) {
  const int64_t p = d.size(0), m = d.size(1);
  auto x = start.defined() ? start.clone() : torch::zeros({z.size(0), m}, z.options());
  const double lip = torch::linalg_svdvals(d)[0].item<double>();
  if (!(lip > 0.0)) return torch::zeros_like(x);
  const double step = 1.0 / (lip * lip);
  // The gradient (y dᵀ − z) d costs 2·n·p·m; y (dᵀd) − z d costs n·m²: whichever is cheaper.
  const bool via_gram = m < 2 * p;
  const auto gram = via_gram ? d.t().mm(d) : torch::Tensor();
  const auto zd = via_gram ? z.mm(d) : torch::Tensor();
  const auto thresh = lambda * step;  // [n, 1]
  auto y = x.clone();
  double t = 1.0;
  for (int64_t it = 0; it < iterations; ++it) {
    const auto grad = via_gram ? y.mm(gram) - zd : (y.mm(d.t()) - z).mm(d);
    const auto v = y - step * grad;
    auto next = v.sign() * (v.abs() - thresh).clamp_min(0.0);
    const double t_next = 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * t * t));
    y = next + ((t - 1.0) / t_next) * (next - x);
    x = std::move(next);
    t = t_next;
  }
  return x;
}

torch::Tensor unit_ball_least_squares(const torch::Tensor& x, const torch::Tensor& s, torch::Tensor b,
                                      int64_t sweeps) {
  const int64_t p = b.size(0), m = b.size(1);
  // Column j of B minimises E_jj ‖b_j − c_j‖² + const, c_j = b_j + (F_j − B E_j) / E_jj, with
  // E = sᵀs and F = xᵀs: its constrained minimiser is c_j projected onto the unit ball.
  const auto e = s.t().mm(s).contiguous();   // [m, m]
  const auto ft = s.t().mm(x).contiguous();  // [m, p] = Fᵀ
  auto bt = b.t().contiguous();              // [m, p]: column j of B is row j here
  const double* ep = e.data_ptr<double>();
  const double* fp = ft.data_ptr<double>();
  double* bp = bt.data_ptr<double>();
  const double e_max = e.diagonal().max().item<double>();
  std::vector<double> g(static_cast<size_t>(p));
  for (int64_t sweep = 0; sweep < sweeps; ++sweep) {
    for (int64_t j = 0; j < m; ++j) {
      const double ejj = ep[j * m + j];
      if (!(ejj > 1e-12 * e_max)) continue;  // an unused atom: no term depends on it
      std::fill(g.begin(), g.end(), 0.0);
      for (int64_t l = 0; l < m; ++l) {
        const double el = ep[j * m + l];
        if (el == 0.0) continue;
        const double* row = bp + l * p;
        for (int64_t q = 0; q < p; ++q) g[q] += el * row[q];
      }
      double* bj = bp + j * p;
      double norm2 = 0.0;
      for (int64_t q = 0; q < p; ++q) {
        bj[q] += (fp[j * p + q] - g[q]) / ejj;
        norm2 += bj[q] * bj[q];
      }
      if (norm2 > 1.0) {
        const double scale = 1.0 / std::sqrt(norm2);
        for (int64_t q = 0; q < p; ++q) bj[q] *= scale;
      }
    }
  }
  return bt.t().contiguous();
}

}  // namespace lssh

namespace {

const ParamSet<LsshParams>& lssh_params() {
  static const ParamSet<LsshParams> set =
      ParamSet<LsshParams>()
          // rho < 1 with penalty = "relative" is checked when the method starts (it depends on both)
          .add("rho", &LsshParams::rho, "weight of the l1 penalty on the image sparse codes (see penalty)", above(0))
          .add("penalty", &LsshParams::penalty,
               "relative: item i's l1 weight is rho times the largest abs of D'z_i (the authors' code); absolute: rho (the paper's formula)",
               one_of({"relative", "absolute"}))
          .add("mu", &LsshParams::mu, "weight of the text factorisation, squared norm of T - Y U'", above(0))
          .add("gamma", &LsshParams::gamma, "weight of the link, squared norm of Y - S R'", above(0))
          .add("atoms", &LsshParams::atoms, "dictionary atoms (length of the image sparse codes)", at_least(1))
          .add("max_iter", &LsshParams::max_iter, "alternating rounds", at_least(1))
          .add("lasso_iterations", &LsshParams::lasso_iterations, "FISTA steps per sparse-coding call", at_least(1))
          .add("dictionary_sweeps", &LsshParams::dictionary_sweeps,
               "block-coordinate sweeps per unit-column least-squares update (B, R, U)", at_least(1))
          .add("image_pca", &LsshParams::image_pca,
               "bits: images on their top-k principal directions first (the authors' code); none: all dimensions",
               one_of({"bits", "none"}))
          .add("max_train", &LsshParams::max_train, "at most this many training items (seeded sample)", at_least(2))
          .add("threshold", &LsshParams::threshold,
               "zero: signs of the latents (the authors' code); mean: after subtracting the training latents' mean",
               one_of({"zero", "mean"}))
          .add("database_codes", &LsshParams::database_codes,
               "unified: the retrieval set is coded from both modalities (the authors' protocol); hash_function: from one",
               one_of({"unified", "hash_function"}));
  return set;
}

double sq(const torch::Tensor& t) { return t.pow(2).sum().item<double>(); }

// Rows scaled to unit norm (a zero row stays zero), as the authors' preprocessingData.m.
torch::Tensor unit_rows(const torch::Tensor& x) {
  const auto norms = x.norm(2, 1, true);
  return torch::where(norms > 0, x / norms.clamp_min(1e-300), torch::zeros_like(x));
}

// Random columns on the unit sphere [rows, cols].
torch::Tensor random_unit_columns(int64_t rows, int64_t cols, torch::Generator& gen, const torch::TensorOptions& o) {
  const auto w = torch::randn({rows, cols}, gen, o);
  return w / w.norm(2, 0, true).clamp_min(1e-300);
}

class Lssh final : public Method {
 public:
  void fit(const data::Dataset& d, const std::vector<int64_t>& train, RunContext& ctx) override {
    p_ = lssh_params().read(ctx.params);
    const bool relative = p_.penalty == "relative";
    if (relative && !(p_.rho < 1.0))  // a share of each item's largest useful penalty: 1 zeroes every code
      throw InputError("method 'lssh' parameter 'rho' = " + std::to_string(p_.rho) +
                       " must be < 1 with penalty = \"relative\" (a share of each item's largest useful penalty); "
                       "lower rho or set penalty = \"absolute\"");
    const int64_t k = ctx.bits;
    auto gen = make_generator(ctx.seed);
    auto x1 = feature_rows(d.image, train, "lssh", torch::kFloat64);  // [n, d1]
    auto x2 = feature_rows(d.text, train, "lssh", torch::kFloat64);   // [n, d2]
    mean_1_ = x1.mean(0, true);
    mean_2_ = x2.mean(0, true);
    int64_t n = x1.size(0);
    if (n > p_.max_train) {
      const auto pick = std::get<0>(torch::randperm(n, gen, torch::kLong).narrow(0, 0, p_.max_train).sort());
      x1 = x1.index_select(0, pick);
      x2 = x2.index_select(0, pick);
      ctx.notes.push_back("lssh: learned on a seeded sample of " + std::to_string(p_.max_train) + " of the " +
                          std::to_string(n) + " training items (max_train)");
      n = p_.max_train;
    }
    x1 = x1 - mean_1_;
    x2 = x2 - mean_2_;
    const auto opts = x1.options();
    if (p_.image_pca == "bits") {
      // The top min(k, d1) principal directions of the training images (eigs(cov(X'), k)).
      const int64_t keep = std::min<int64_t>(k, x1.size(1));
      auto [evals, evecs] = torch::linalg_eigh(x1.t().mm(x1), "L");
      pca_ = evecs.flip({1}).narrow(1, 0, keep).contiguous();  // [d1, p]
      if (keep < k)
        ctx.notes.push_back("lssh: image_pca = \"bits\" keeps all " + std::to_string(keep) +
                            " image dimensions (fewer than the " + std::to_string(k) + " bits)");
    } else {
      pca_ = torch::eye(x1.size(1), opts);
    }
    const auto x = unit_rows(x1.mm(pca_));  // [n, p]
    const auto t = unit_rows(x2);           // [n, d2]
    const int64_t p = x.size(1), m = p_.atoms;
    const double mu = p_.mu, g = p_.gamma, sg = std::sqrt(g);

    // Random initial bases (the authors' code: randn; here scaled to unit columns, so that the
    // constrained problem starts from a feasible point).
    b_ = random_unit_columns(p, m, gen, opts);
    r_ = random_unit_columns(k, m, gen, opts);
    u_ = random_unit_columns(t.size(1), k, gen, opts);
    auto s = lssh::lasso_fista(b_, x, lssh::lasso_penalties(b_, x, p_.rho, relative), p_.lasso_iterations);
    const auto eye_k = torch::eye(k, opts);
    torch::Tensor y;
    for (int64_t it = 1; it <= p_.max_iter; ++it) {
      // Y minimises ½μ‖T − Y Uᵀ‖² + ½γ‖Y − S Rᵀ‖².
      y = torch::linalg_solve(mu * u_.t().mm(u_) + g * eye_k, (mu * t.mm(u_) + g * s.mm(r_.t())).t(), true).t();
      u_ = lssh::unit_ball_least_squares(t, y, u_, p_.dictionary_sweeps);
      // S: per item, ½‖x − B s‖² + ½γ‖y − R s‖² + λ‖s‖₁ = a lasso over [B; √γ R] and [x, √γ y].
      const auto dict = torch::cat({b_, sg * r_}, 0);  // [p + k, m]
      const auto z = torch::cat({x, sg * y}, 1);      // [n, p + k]
      const auto lambda = lssh::lasso_penalties(dict, z, p_.rho, relative);
      const auto fresh = lssh::lasso_fista(dict, z, lambda, p_.lasso_iterations, s);
      const auto better = lssh::lasso_objective(dict, z, fresh, lambda) <= lssh::lasso_objective(dict, z, s, lambda);
      s = torch::where(better.unsqueeze(1), fresh, s);
      b_ = lssh::unit_ball_least_squares(x, s, b_, p_.dictionary_sweeps);
      r_ = lssh::unit_ball_least_squares(y, s, r_, p_.dictionary_sweeps);
      const double obj = 0.5 * sq(x - s.mm(b_.t())) + (lambda * s.abs()).sum().item<double>() +
                         0.5 * mu * sq(t - y.mm(u_.t())) + 0.5 * g * sq(y - s.mm(r_.t()));
      if (ctx.on_epoch) {
        EpochLog log;
        log.epoch = static_cast<int>(it);
        log.epochs = static_cast<int>(p_.max_iter);
        log.values.emplace_back("objective", obj);
        log.values.emplace_back("sparse_code_zeros", (s == 0).to(torch::kFloat64).mean().item<double>());
        ctx.on_epoch(log);
      }
    }
    // Text latents: y = μ t U (μ UᵀU + γ I)⁻¹; retrieval set: y = (μ t U + γ s Rᵀ)(μ UᵀU + γ I)⁻¹.
    latent_inv_ = torch::linalg_inv(mu * u_.t().mm(u_) + g * eye_k);
    offset_ = p_.threshold == "mean" ? y.mean(0, true) : torch::zeros({1, k}, opts);
    if (p_.database_codes == "unified")
      ctx.notes.push_back(
          "lssh: database_codes = \"unified\" (the authors' protocol): the retrieval set is coded from both "
          "modalities at once; queries from the one asked for");
  }

  eval::PackedBits encode_image(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs(sparse_codes(d, items).mm(r_.t()) - offset_);
  }
  eval::PackedBits encode_text(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs((p_.mu * text_rows(d, items).mm(u_)).mm(latent_inv_) - offset_);
  }
  std::optional<eval::PackedBits> encode_database(const data::Dataset& d, const std::vector<int64_t>& items) override {
    if (p_.database_codes != "unified") return std::nullopt;
    const auto rhs = p_.mu * text_rows(d, items).mm(u_) + p_.gamma * sparse_codes(d, items).mm(r_.t());
    return pack_signs(rhs.mm(latent_inv_) - offset_);
  }

 private:
  // Images' sparse codes over B alone [items, m], from zero, as the authors' LSSHcoding.m.
  torch::Tensor sparse_codes(const data::Dataset& d, const std::vector<int64_t>& items) const {
    const auto x = unit_rows((feature_rows(d.image, items, "lssh", torch::kFloat64) - mean_1_).mm(pca_));
    return lssh::lasso_fista(b_, x, lssh::lasso_penalties(b_, x, p_.rho, p_.penalty == "relative"),
                             p_.lasso_iterations);
  }
  torch::Tensor text_rows(const data::Dataset& d, const std::vector<int64_t>& items) const {
    return unit_rows(feature_rows(d.text, items, "lssh", torch::kFloat64) - mean_2_);
  }

  LsshParams p_;
  torch::Tensor mean_1_, mean_2_;  // [1, d1], [1, d2]
  torch::Tensor pca_;              // [d1, p]
  torch::Tensor b_, r_, u_;        // [p, m], [k, m], [d2, k]
  torch::Tensor latent_inv_;       // [k, k] (μ UᵀU + γ I)⁻¹
  torch::Tensor offset_;           // [1, k] threshold
};

}  // namespace

MethodInfo lssh_method_info() {
  MethodInfo m;
  m.name = "lssh";
  m.display = "LSSH";
  m.kind = MethodKind::kShallow;
  m.summary = "sparse coding of images, matrix factorisation of texts, a linear map between their latents, sign";
  m.citation = "Zhou, Ding & Guo, Latent Semantic Sparse Hashing for Cross-Modal Similarity Search, SIGIR 2014";
  m.folder = "baselines/lssh";
  m.params = lssh_params().table();
  m.create = [] { return std::make_unique<Lssh>(); };
  return m;
}

}  // namespace cmh::baselines
