// CCA hashing on LibTorch (double precision: covariances of sparse tags are ill-conditioned).
#include "cca.h"

#include <torch/torch.h>

#include "baselines/common/whitening.h"
#include "common/error.h"
#include "data/dataset.h"
#include "param_set.h"
#include "tensor/tensor_data.h"

namespace cmh::baselines {
namespace {

const ParamSet<CcaParams>& cca_params() {
  static const ParamSet<CcaParams> set =
      ParamSet<CcaParams>()
          // a negative ridge can make a covariance indefinite, and C^{-1/2} NaN
          .add("reg", &CcaParams::reg, "ridge on both covariances, relative to trace/dim", at_least(0))
          .add("beyond_rank", &CcaParams::beyond_rank,
               "bits beyond min(dx, dy): random projections (named in the run's notes) or refuse",
               one_of({"random", "refuse"}));
  return set;
}

class Cca final : public Method {
 public:
  void fit(const data::Dataset& d, const std::vector<int64_t>& train, RunContext& ctx) override {
    const CcaParams p = cca_params().read(ctx.params);
    auto x = feature_rows(d.image, train, "cca", torch::kFloat64);
    auto y = feature_rows(d.text, train, "cca", torch::kFloat64);
    mean_x_ = x.mean(0, true);
    mean_y_ = y.mean(0, true);
    x = x - mean_x_;
    y = y - mean_y_;
    const int64_t n = x.size(0), dx = x.size(1), dy = y.size(1);
    const auto wx_half = inverse_sqrt(regularised_covariance(x, p.reg));
    const auto wy_half = inverse_sqrt(regularised_covariance(y, p.reg));
    const auto cxy = x.transpose(0, 1).matmul(y) / static_cast<double>(n);
    auto [u, s, vh] = torch::linalg_svd(wx_half.matmul(cxy).matmul(wy_half), false, c10::nullopt);
    const int64_t rank = std::min(dx, dy);
    const int64_t k = ctx.bits;
    const int64_t canonical = std::min(k, rank);
    auto ux = u.narrow(1, 0, canonical);
    auto uy = vh.transpose(0, 1).narrow(1, 0, canonical);
    if (k > rank) {
      if (p.beyond_rank == "refuse")
        throw InputError("cca: " + std::to_string(k) + " bits requested but the features give only " +
                         std::to_string(rank) + " canonical directions (dims " + std::to_string(dx) + " and " +
                         std::to_string(dy) + "); use fewer bits or beyond_rank = \"random\"");
      auto gen = make_generator(ctx.seed);
      auto opts = torch::TensorOptions().dtype(torch::kFloat64);
      ux = torch::cat({ux, torch::randn({dx, k - rank}, gen, opts)}, 1);
      uy = torch::cat({uy, torch::randn({dy, k - rank}, gen, opts)}, 1);
      ctx.notes.push_back("cca: " + std::to_string(k - rank) + " of " + std::to_string(k) +
                          " bits are seeded random projections (only " + std::to_string(rank) +
                          " canonical directions exist)");
    }
    wx_ = wx_half.matmul(ux);
    wy_ = wy_half.matmul(uy);
    if (ctx.on_epoch) {
      EpochLog log;
      log.epoch = log.epochs = 1;
      log.values.emplace_back("mean_canonical_correlation", s.narrow(0, 0, canonical).mean().item<double>());
      ctx.on_epoch(log);
    }
  }

  eval::PackedBits encode_image(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs((feature_rows(d.image, items, "cca", torch::kFloat64) - mean_x_).matmul(wx_));
  }
  eval::PackedBits encode_text(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs((feature_rows(d.text, items, "cca", torch::kFloat64) - mean_y_).matmul(wy_));
  }

 private:
  torch::Tensor mean_x_, mean_y_, wx_, wy_;  // [1, dx], [1, dy], [dx, k], [dy, k]
};

}  // namespace

MethodInfo cca_method_info() {
  MethodInfo m;
  m.name = "cca";
  m.display = "CCA";
  m.kind = MethodKind::kShallow;
  m.summary = "canonical correlation analysis, top-k directions, sign";
  m.citation = "Hotelling, Biometrika 1936; baseline in Jiang & Li, DCMH, CVPR 2017";
  m.folder = "baselines/cca";
  m.params = cca_params().table();
  m.create = [] { return std::make_unique<Cca>(); };
  return m;
}

}  // namespace cmh::baselines
