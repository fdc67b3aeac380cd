// CVH on LibTorch (double precision). Two views, similarity = the pairing alone (W = I), the case
// SePH's Wikipedia comparison runs. Items are rows: X [n, dx], Y [n, dy], centred with the
// training means; hash functions sign(x A_x), sign(y A_y). The paper's relaxed problem,
//   min Σ_i ‖A_xᵀx_i − A_yᵀy_i‖²  s.t.  A_xᵀ Cxx A_x + A_yᵀ Cyy A_y = I  (Cxx = XᵀX/n …),
// is the generalized eigenproblem M a = λ B a on the stacked a = [a_x; a_y] with
// B = diag(Cxx, Cyy), M = B − C, C = [0, Cxy; Cyx, 0]: the smallest λ = 1 − μ are the largest μ of
// C a = μ B a. Whitened by B^{-1/2} that is the spectrum of [0, K; Kᵀ, 0], K = Cxx^{-½} Cxy Cyy^{-½}
// = U S Vᵀ: μ = +s_i with [u_i; v_i]/√2, 0 with [u_j; 0] and [0; v_j] beyond the rank, −s_i with
// [u_i; −v_i]/√2. We build that eigenbasis from the SVD of K instead of calling a generalized
// eigensolver, so the zero-correlation block (degenerate) has a fixed basis, each half pure.
#include "cvh.h"

#include <torch/torch.h>

#include <cmath>

#include "baselines/common/whitening.h"
#include "common/error.h"
#include "data/dataset.h"
#include "param_set.h"
#include "tensor/tensor_data.h"

namespace cmh::baselines {
namespace {

// Singular values of K at or below this count as zero correlation (K's spectrum lies in [0, 1]).
constexpr double kZeroCorrelation = 1e-8;

const ParamSet<CvhParams>& cvh_params() {
  static const ParamSet<CvhParams> set =
      ParamSet<CvhParams>()
          // a negative ridge can make a covariance indefinite
          .add("reg", &CvhParams::reg, "ridge on both covariances, relative to trace/dim", at_least(0))
          .add("beyond_rank", &CvhParams::beyond_rank,
               "bits beyond the correlated directions: eigen (the paper's next eigenvectors, zero correlation, one view "
               "constant), random (seeded random projections, as cca) or refuse; named in the run's notes",
               one_of({"eigen", "random", "refuse"}));
  return set;
}

class Cvh final : public Method {
 public:
  void fit(const data::Dataset& d, const std::vector<int64_t>& train, RunContext& ctx) override {
    const CvhParams p = cvh_params().read(ctx.params);
    auto x = feature_rows(d.image, train, "cvh", torch::kFloat64);  // [n, dx]
    auto y = feature_rows(d.text, train, "cvh", torch::kFloat64);   // [n, dy]
    mean_x_ = x.mean(0, true);
    mean_y_ = y.mean(0, true);
    x = x - mean_x_;
    y = y - mean_y_;
    const int64_t n = x.size(0), dx = x.size(1), dy = y.size(1), k = ctx.bits;
    const auto cxx = regularised_covariance(x, p.reg);
    const auto cyy = regularised_covariance(y, p.reg);
    const auto cxy = x.transpose(0, 1).matmul(y) / static_cast<double>(n);
    const auto wx_half = inverse_sqrt(cxx);  // [dx, dx]
    const auto wy_half = inverse_sqrt(cyy);  // [dy, dy]
    auto [u, s, vh] = torch::linalg_svd(wx_half.matmul(cxy).matmul(wy_half), true, c10::nullopt);
    const auto v = vh.transpose(0, 1);  // u [dx, dx], v [dy, dy], s [min(dx, dy)] descending
    int64_t rank = 0;
    while (rank < s.size(0) && s[rank].item<double>() > kZeroCorrelation) ++rank;
    const int64_t paired = std::min(k, rank);
    const double half = std::sqrt(0.5);

    // Whitened eigenvectors, columns in the paper's order (largest μ first) as far as needed.
    std::vector<torch::Tensor> cx, cy;  // each [d, m]
    std::vector<double> mu;
    cx.push_back(u.narrow(1, 0, paired) * half);
    cy.push_back(v.narrow(1, 0, paired) * half);
    for (int64_t i = 0; i < paired; ++i) mu.push_back(s[i].item<double>());
    const int64_t extra = k - paired;
    if (extra > 0) {
      const std::string head = "cvh: " + std::to_string(extra) + " of " + std::to_string(k) + " bits ";
      const std::string why = "only " + std::to_string(rank) + " directions have non-zero cross-view correlation (dims " +
                              std::to_string(dx) + " and " + std::to_string(dy) + ")";
      if (p.beyond_rank == "refuse")
        throw InputError("cvh: " + std::to_string(k) + " bits requested but " + why +
                         "; use fewer bits or beyond_rank = \"eigen\" or \"random\"");
      if (p.beyond_rank == "random") {
        auto gen = make_generator(ctx.seed);
        const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
        cx.push_back(torch::randn({dx, extra}, gen, opts));
        cy.push_back(torch::randn({dy, extra}, gen, opts));
        ctx.notes.push_back(head + "are seeded random projections of the whitened features (" + why + ")");
      } else {
        if (k > dx + dy)
          throw InputError("cvh: " + std::to_string(k) + " bits requested but the eigenproblem has only " +
                           std::to_string(dx + dy) + " eigenvectors (dims " + std::to_string(dx) + " + " +
                           std::to_string(dy) + "); use fewer bits or beyond_rank = \"random\"");
        // μ = 0: the directions of each view outside the correlated pairs, the other half zero.
        const int64_t zx = std::min(extra, dx - rank);
        const int64_t zy = std::min(extra - zx, dy - rank);
        cx.push_back(u.narrow(1, rank, zx));
        cy.push_back(torch::zeros({dy, zx}, u.options()));
        cx.push_back(torch::zeros({dx, zy}, u.options()));
        cy.push_back(v.narrow(1, rank, zy));
        for (int64_t i = 0; i < zx + zy; ++i) mu.push_back(0.0);
        // μ = −s_i, the weakest anti-correlation first.
        const int64_t neg = extra - zx - zy;
        for (int64_t j = 0; j < neg; ++j) {
          const int64_t i = rank - 1 - j;
          cx.push_back(u.narrow(1, i, 1) * half);
          cy.push_back(v.narrow(1, i, 1) * -half);
          mu.push_back(-s[i].item<double>());
        }
        std::string note = head + "are the paper's next generalized eigenvectors: " + std::to_string(zx + zy) +
                           " of zero cross-view correlation (" + std::to_string(zx) + " image-only, " +
                           std::to_string(zy) + " text-only: the other view's bit is constant)";
        if (neg > 0) note += " and " + std::to_string(neg) + " anti-correlated";
        ctx.notes.push_back(note + " (" + why + ")");
      }
    }
    wx_ = wx_half.matmul(torch::cat(cx, 1));  // [dx, k]
    wy_ = wy_half.matmul(torch::cat(cy, 1));  // [dy, k]

    if (ctx.on_epoch) {
      // From the data, not the spectrum: Tr(AᵀMA) = Σ_i ‖A_xᵀx_i − A_yᵀy_i‖²/n with the ridge
      // covariances, and how far AᵀBA is from I over the eigen bits (random bits are unscaled).
      const int64_t eig_bits = p.beyond_rank == "random" ? paired : k;
      const auto ax = wx_.narrow(1, 0, eig_bits), ay = wy_.narrow(1, 0, eig_bits);
      const auto btb = ax.t().mm(cxx).mm(ax) + ay.t().mm(cyy).mm(ay);
      const double distance = (btb.trace() - 2.0 * ax.t().mm(cxy).mm(ay).trace()).item<double>();
      const double residual =
          eig_bits == 0 ? 0.0 : (btb - torch::eye(eig_bits, btb.options())).abs().max().item<double>();
      EpochLog log;
      log.epoch = log.epochs = 1;
      log.values.emplace_back("relaxed_distance", distance);
      log.values.emplace_back("constraint_residual", residual);
      log.values.emplace_back("mean_correlation",
                              paired == 0 ? 0.0 : s.narrow(0, 0, paired).mean().item<double>());
      ctx.on_epoch(log);
    }
  }

  eval::PackedBits encode_image(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs((feature_rows(d.image, items, "cvh", torch::kFloat64) - mean_x_).matmul(wx_));
  }
  eval::PackedBits encode_text(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs((feature_rows(d.text, items, "cvh", torch::kFloat64) - mean_y_).matmul(wy_));
  }

 private:
  torch::Tensor mean_x_, mean_y_, wx_, wy_;  // [1, dx], [1, dy], [dx, k], [dy, k]
};

}  // namespace

MethodInfo cvh_method_info() {
  MethodInfo m;
  m.name = "cvh";
  m.display = "CVH";
  m.kind = MethodKind::kShallow;
  m.summary = "cross-view hashing: generalized eigenvectors of the paired views (pairing-only similarity), sign";
  m.citation = "Kumar & Udupa, Learning Hash Functions for Cross-View Similarity Search, IJCAI 2011";
  m.folder = "baselines/cvh";
  m.params = cvh_params().table();
  m.create = [] { return std::make_unique<Cvh>(); };
  return m;
}

}  // namespace cmh::baselines
