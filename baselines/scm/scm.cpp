// SCM-seq and SCM-orth on LibTorch (double precision, as CCA: covariances of sparse tags are
// ill-conditioned). The generalised eigenproblem of the paper, max wxᵀ Xᵀ S Y wy subject to
// wxᵀ (XᵀX + rI) wx = wyᵀ (YᵀY + rI) wy = 1, is solved as the SVD of the whitened
// cross-matrix (XᵀX + rI)^{-1/2} XᵀSY (YᵀY + rI)^{-1/2}: its singular values are the square
// roots of the eigenvalues the authors' eig(A, B) returns, with the same directions.
#include "scm.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "common/error.h"
#include "data/dataset.h"
#include "param_set.h"
#include "tensor/tensor_data.h"

namespace cmh::baselines {
namespace {

const ParamSet<ScmParams>& scm_params() {
  static const ParamSet<ScmParams> set =
      ParamSet<ScmParams>()
          // a negative ridge can make XᵀX indefinite, and its inverse square root NaN
          .add("reg", &ScmParams::reg, "ridge added to XᵀX and YᵀY (absolute; the authors' code: 1e-6)", at_least(0))
          .add("beyond_rank", &ScmParams::beyond_rank,
               "bits beyond the directions the correlation has: random projections (named in the run's notes) or refuse",
               one_of({"random", "refuse"}));
  return set;
}

// C^{-1/2} of a symmetric positive (semi-)definite matrix, by eigendecomposition.
torch::Tensor inverse_sqrt(const torch::Tensor& c) {
  auto [e, v] = torch::linalg_eigh(c, "L");
  return v.matmul(torch::diag(e.clamp_min(1e-12).rsqrt())).matmul(v.transpose(0, 1));
}

// Label rows scaled to unit length; an unlabelled row stays zero (similar to nothing, as the
// authors' code, which divides it by 1e-8).
torch::Tensor unit_rows(const torch::Tensor& l) {
  const auto norms = l.norm(2, 1, true);
  return torch::where(norms > 0, l / norms.clamp_min(1e-300), torch::zeros_like(l));
}

// Directions with a singular value below this share of the largest carry no semantic correlation
// (e.g. on Wikipedia XᵀL̃ has rank 9, not 10: centred features and one-hot labels).
constexpr double kRankTolerance = 1e-10;

int64_t numerical_rank(const torch::Tensor& s) {
  if (s.numel() == 0) return 0;
  const double top = s[0].item<double>();
  return top > 0 ? (s > top * kRankTolerance).sum().item<int64_t>() : 0;
}

class Scm final : public Method {
 public:
  explicit Scm(bool sequential) : sequential_(sequential), who_(sequential ? "scm-seq" : "scm-orth") {}

  void fit(const data::Dataset& d, const std::vector<int64_t>& train, RunContext& ctx) override {
    const ScmParams p = scm_params().read(ctx.params);
    auto x = feature_rows(d.image, train, who_, torch::kFloat64);  // [n, dx]
    auto y = feature_rows(d.text, train, who_, torch::kFloat64);   // [n, dy]
    mean_x_ = x.mean(0, true);
    mean_y_ = y.mean(0, true);
    x = x - mean_x_;
    y = y - mean_y_;
    const int64_t dx = x.size(1), dy = y.size(1), k = ctx.bits;
    const auto l = unit_rows(label_rows(d, train).to(torch::kFloat64));  // [n, c]
    // k · Xᵀ S Y with S = 2 L̃L̃ᵀ − 1 (n × n, never formed); the ones term vanishes for centred
    // features up to rounding and is kept as the authors' code writes it.
    const auto cxy = static_cast<double>(k) *
                     (2.0 * x.t().mm(l).mm(l.t().mm(y)) - x.sum(0).unsqueeze(1).mm(y.sum(0).unsqueeze(0)));
    const auto eye_x = torch::eye(dx, x.options()), eye_y = torch::eye(dy, y.options());
    wx_half_ = inverse_sqrt(x.t().mm(x) + p.reg * eye_x);
    wy_half_ = inverse_sqrt(y.t().mm(y) + p.reg * eye_y);
    wx_ = torch::zeros({dx, k}, x.options());
    wy_ = torch::zeros({dy, k}, y.options());
    if (sequential_)
      fit_sequential(x, y, cxy, p, ctx);
    else
      fit_directions(cxy, 0, k, p, ctx, "semantic");
  }

  eval::PackedBits encode_image(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs((feature_rows(d.image, items, who_, torch::kFloat64) - mean_x_).matmul(wx_));
  }
  eval::PackedBits encode_text(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs((feature_rows(d.text, items, who_, torch::kFloat64) - mean_y_).matmul(wy_));
  }

 private:
  // Columns [first, first + count) of wx_/wy_ from the top singular pairs of the whitened
  // `cross`; columns beyond its numerical rank are seeded random projections (or refused).
  void fit_directions(const torch::Tensor& cross, int64_t first, int64_t count, const ScmParams& p,
                      RunContext& ctx, const std::string& kind) {
    auto [u, s, vh] = torch::linalg_svd(wx_half_.mm(cross).mm(wy_half_), false, c10::nullopt);
    const int64_t rank = numerical_rank(s);
    const int64_t real = std::min(count, rank);
    if (real > 0) {
      wx_.narrow(1, first, real).copy_(wx_half_.mm(u.narrow(1, 0, real)));
      wy_.narrow(1, first, real).copy_(wy_half_.mm(vh.narrow(0, 0, real).t()));
    }
    if (count > rank) {
      const int64_t pad = count - rank;
      if (p.beyond_rank == "refuse")
        throw InputError(who_ + ": " + std::to_string(ctx.bits) + " bits requested but the " + kind +
                         " correlation has only " + std::to_string(rank) +
                         " directions; use fewer bits or beyond_rank = \"random\"");
      auto gen = make_generator(ctx.seed);
      const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
      wx_.narrow(1, first + real, pad).copy_(wx_half_.mm(torch::randn({wx_half_.size(0), pad}, gen, opts)));
      wy_.narrow(1, first + real, pad).copy_(wy_half_.mm(torch::randn({wy_half_.size(0), pad}, gen, opts)));
      ctx.notes.push_back(who_ + ": " + std::to_string(pad) + " of " + std::to_string(ctx.bits) +
                          " bits are seeded random projections (the " + kind + " correlation has only " +
                          std::to_string(rank) + " directions)");
    }
    if (ctx.on_epoch && !sequential_) {
      EpochLog log;
      log.epoch = log.epochs = 1;
      // The paper's objective tr(Wxᵀ XᵀSY Wy) over the learned (non-random) directions.
      log.values.emplace_back("objective", s.narrow(0, 0, real).sum().item<double>());
      log.values.emplace_back("directions", static_cast<double>(real));
      ctx.on_epoch(log);
    }
  }

  // One bit at a time: the top direction pair of the residual R_t, then
  // R_{t+1} = R_t − (Xᵀ sign(X wx_t)) (Yᵀ sign(Y wy_t))ᵀ, kept as a dx × dy matrix.
  void fit_sequential(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& cxy,
                      const ScmParams& p, RunContext& ctx) {
    const int64_t k = ctx.bits;
    auto r = cxy.clone();
    double last = std::numeric_limits<double>::infinity();
    int64_t learned = 0;
    for (; learned < k; ++learned) {
      auto [u, s, vh] = torch::linalg_svd(wx_half_.mm(r).mm(wy_half_), false, c10::nullopt);
      const double eig = s[0].item<double>() * s[0].item<double>();
      // The authors' code stops when the top eigenvalue grows ("rarely happens in last bits")
      // and keeps CCA directions for the remaining bits.
      if (eig > last) break;
      last = eig;
      const auto wx = wx_half_.mm(u.narrow(1, 0, 1));          // [dx, 1]
      const auto wy = wy_half_.mm(vh.narrow(0, 0, 1).t());     // [dy, 1]
      wx_.narrow(1, learned, 1).copy_(wx);
      wy_.narrow(1, learned, 1).copy_(wy);
      const auto bx = torch::sign(x.mm(wx)), by = torch::sign(y.mm(wy));  // [n, 1]
      r = r - x.t().mm(bx).mm(y.t().mm(by).t());
      if (ctx.on_epoch) {
        EpochLog log;
        log.epoch = static_cast<int>(learned + 1);
        log.epochs = static_cast<int>(k);
        log.values.emplace_back("eigenvalue", eig);
        log.values.emplace_back("code_agreement", (bx * by).mean().item<double>());
        ctx.on_epoch(log);
      }
    }
    if (learned < k) {
      ctx.notes.push_back(who_ + ": the residual's top eigenvalue grew at bit " + std::to_string(learned + 1) +
                          "; the last " + std::to_string(k - learned) +
                          " bits are CCA directions (the authors' fallback)");
      fit_directions(x.t().mm(y), learned, k - learned, p, ctx, "canonical");
    }
  }

  bool sequential_;
  std::string who_;
  torch::Tensor mean_x_, mean_y_;       // [1, dx], [1, dy]
  torch::Tensor wx_half_, wy_half_;     // [dx, dx], [dy, dy]: (XᵀX + rI)^{-1/2}, (YᵀY + rI)^{-1/2}
  torch::Tensor wx_, wy_;               // [dx, k], [dy, k]
};

MethodInfo scm_info(bool sequential) {
  MethodInfo m;
  m.name = sequential ? "scm-seq" : "scm-orth";
  m.display = sequential ? "SCM-seq" : "SCM-orth";
  m.kind = MethodKind::kShallow;
  m.summary = sequential ? "semantic correlation maximisation, one bit at a time on a residual, sign"
                         : "semantic correlation maximisation, k orthogonal directions at once, sign";
  m.citation =
      "Zhang & Li, Large-Scale Supervised Multimodal Hashing with Semantic Correlation Maximization, AAAI 2014";
  m.folder = "baselines/scm";
  m.params = scm_params().table();
  m.create = [sequential] { return std::make_unique<Scm>(sequential); };
  return m;
}

}  // namespace

MethodInfo scm_seq_method_info() { return scm_info(true); }
MethodInfo scm_orth_method_info() { return scm_info(false); }

}  // namespace cmh::baselines
