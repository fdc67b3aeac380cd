// MLSPH training and encoding on LibTorch.
#include "methods/mlsph/mlsph.h"

#include <torch/torch.h>

#include "data/dataset.h"
#include "methods/common/deep_method.h"
#include "methods/common/hashed_image_net.h"
#include "methods/common/training.h"
#include "methods/mlsph/mlsph_loss.h"
#include "methods/mlsph/mlsph_text_net.h"
#include "param_set.h"

namespace cmh::methods {
namespace {

const ParamSet<MlsphParams>& mlsph_params() {
  static const ParamSet<MlsphParams> set = [] {
    ParamSet<MlsphParams> s;
    s.add("epochs", &MlsphParams::epochs, "training epochs (paper: 100)", at_least(1))
        // the similarity terms compare items within a batch: one item has nothing to compare
        .add("batch_size", &MlsphParams::batch_size, "items per step", at_least(2))
        // a negative weight rewards the term it should shrink
        .add("alpha", &MlsphParams::alpha, "weight of S vs cos(f, G) (cross-modal)", at_least(0))
        .add("beta", &MlsphParams::beta, "weight of S vs cos(f, F) (intra-modal)", at_least(0))
        .add("gamma", &MlsphParams::gamma, "weight of the quantisation term", at_least(0))
        .add("loss_scale", &MlsphParams::loss_scale, "factor on the whole loss (reference: 10)", above(0))
        .add("lr_start", &MlsphParams::lr_start, "learning rate at epoch 0 (10^-1.5), linear schedule", above(0))
        .add("lr_end", &MlsphParams::lr_end, "learning rate the linear schedule reaches after the last epoch",
             at_least(0));
    add_image_rows(s, {"resnet34", "resnet18", "small_cnn", "mlp"}, "resnet34");
    s.add("text_hidden", &MlsphParams::text_hidden, "text net width (paper: 4096)", at_least(1));
    return add_model_rows(s, true);
  }();
  return set;
}

// image_net_: backbone → Linear(F → k) → tanh.
class Mlsph final : public CodeNetsMethod<HashedImageNet, MlsphTextNet> {
 public:
  Mlsph() : CodeNetsMethod("mlsph", "resnet34") {}

  void fit(const data::Dataset& d, const std::vector<int64_t>& train, RunContext& ctx) override {
    p_ = mlsph_params().read(ctx.params);
    const int64_t n = static_cast<int64_t>(train.size()), k = ctx.bits;
    require_batch(n, p_.batch_size);
    image_net_ = HashedImageNet(image_backbone(d, p_, ctx), k, /*tanh_outputs=*/true);
    text_net_ = MlsphTextNet(static_cast<int64_t>(d.text.dim), k, p_.text_hidden);
    Training t(*this, d, train, ctx, p_.lr_start);
    const MlsphWeights weights{p_.alpha, p_.beta, p_.gamma, p_.loss_scale};
    training::run_epochs("mlsph", p_.epochs, ctx, t.parts, [&](int64_t e) {
      const double lr = training::linear_lr(e, p_.epochs, p_.lr_start, p_.lr_end);
      const auto [img_terms, txt_terms] = alternating_epoch<MlsphLossTerms>(
          t, d, train, p_.batch_size, lr,
          [&](const torch::Tensor& out, const torch::Tensor& pos, const torch::Tensor& other, const torch::Tensor& own) {
            return mlsph_loss(out, t.labels.index({pos}), t.labels, other, own, t.banks.B.index({pos}), weights);
          });
      t.banks.refresh_codes();
      return training::EpochValues{{"loss_image", img_terms.total_value}, {"loss_text", txt_terms.total_value},
                                   {"image_cross", img_terms.cross_value}, {"image_intra", img_terms.intra_value},
                                   {"image_quant", img_terms.quant_value}, {"text_cross", txt_terms.cross_value},
                                   {"text_intra", txt_terms.intra_value}, {"text_quant", txt_terms.quant_value},
                                   {"lr", lr}};
    });
  }

 private:
  MlsphParams p_;
};

}  // namespace

MethodInfo mlsph_method_info() {
  MethodInfo m;
  m.name = "mlsph";
  m.display = "MLSPH";
  m.kind = MethodKind::kDeep;
  m.summary = "multi-label semantics preserving deep cross-modal hashing (2x Jaccard similarity, memory banks)";
  m.citation = "Zou, Wang, Bakker, Wu, Signal Processing: Image Communication 93, 2021";
  m.folder = "methods/mlsph";
  m.params = mlsph_params().table();
  m.create = [] { return std::make_unique<Mlsph>(); };
  m.uses_device = true;  // networks, banks and batches on ctx.device
  return m;
}

}  // namespace cmh::methods
