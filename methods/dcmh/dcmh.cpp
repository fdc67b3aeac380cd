// DCMH training and encoding on LibTorch.
#include "methods/dcmh/dcmh.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

#include "data/dataset.h"
#include "methods/common/deep_method.h"
#include "methods/common/hashed_image_net.h"
#include "methods/common/training.h"
#include "methods/dcmh/dcmh_loss.h"
#include "methods/dcmh/dcmh_nets.h"
#include "param_set.h"

namespace cmh::methods {
namespace {

const ParamSet<DcmhParams>& dcmh_params() {
  static const ParamSet<DcmhParams> set = [] {
    ParamSet<DcmhParams> s;
    s.add("epochs", &DcmhParams::epochs, "training epochs (torchcmh: 500)", at_least(1))
        .add("batch_size", &DcmhParams::batch_size, "items per step", at_least(2))
        // a negative weight rewards the term it should shrink
        .add("gamma", &DcmhParams::gamma, "weight of the quantisation term, squared distance of f to B", at_least(0))
        .add("eta", &DcmhParams::eta, "weight of the bit-balance term, squared column sums of F", at_least(0))
        // the schedule is geometric (lr_start · (lr_end / lr_start)^(e / epochs)): both must be > 0
        .add("lr_start", &DcmhParams::lr_start, "learning rate at epoch 0 (10^-1.5)", above(0))
        .add("lr_end", &DcmhParams::lr_end, "the geometric per-epoch decay reaches it after the last epoch",
             above(0));
    add_image_rows(s, {"cnnf", "resnet18", "resnet34", "small_cnn", "mlp"}, "cnnf");
    s.add("text_hidden", &DcmhParams::text_hidden, "text MLP hidden width (paper: 8192)", at_least(1));
    return add_model_rows(s, false);  // DCMH always encodes with BatchNorm in eval mode
  }();
  return set;
}

// image_net_: backbone → Linear(F → k), linear outputs (the paper's fc8).
class Dcmh final : public CodeNetsMethod<HashedImageNet, DcmhTextNet> {
 public:
  Dcmh() : CodeNetsMethod("dcmh", "cnnf") {}

  void fit(const data::Dataset& d, const std::vector<int64_t>& train, RunContext& ctx) override {
    p_ = dcmh_params().read(ctx.params);
    const int64_t n = static_cast<int64_t>(train.size()), k = ctx.bits;
    require_batch(n, p_.batch_size);
    image_net_ = HashedImageNet(image_backbone(d, p_, ctx), k, /*tanh_outputs=*/false);
    text_net_ = DcmhTextNet(static_cast<int64_t>(d.text.dim), p_.text_hidden, k);
    Training t(*this, d, train, ctx, p_.lr_start);
    const DcmhWeights weights{p_.gamma, p_.eta};
    training::run_epochs("dcmh", p_.epochs, ctx, t.parts, [&](int64_t e) {
      const double lr = training::geometric_lr(e, p_.epochs, p_.lr_start, p_.lr_end);
      const auto [img_terms, txt_terms] = alternating_epoch<DcmhLossTerms>(
          t, d, train, p_.batch_size, lr,
          [&](const torch::Tensor& out, const torch::Tensor& pos, const torch::Tensor& other, const torch::Tensor& own) {
            return dcmh_loss(out, t.labels.index({pos}), t.labels, other, own, t.banks.B.index({pos}), pos, weights);
          });
      // Linear outputs are unbounded: too large a learning rate feeds f and g into each other
      // through θ until they overflow. Stop before a NaN reaches the banks' checkpoint.
      if (!std::isfinite(img_terms.total_value) || !std::isfinite(txt_terms.total_value))
        throw std::runtime_error("dcmh: the loss is not finite in epoch " + std::to_string(e + 1) + " (lr " +
                                 std::to_string(lr) + "); lower lr_start");
      t.banks.refresh_codes();
      return training::EpochValues{{"loss_image", img_terms.total_value},     {"loss_text", txt_terms.total_value},
                                   {"image_log", img_terms.log_value},        {"image_quant", img_terms.quant_value},
                                   {"image_balance", img_terms.balance_value}, {"text_log", txt_terms.log_value},
                                   {"text_quant", txt_terms.quant_value},     {"text_balance", txt_terms.balance_value},
                                   {"lr", lr}};
    });
  }

 private:
  DcmhParams p_;  // bn_at_encode is not a DCMH row: it stays "eval", as torchcmh encodes
};

}  // namespace

MethodInfo dcmh_method_info() {
  MethodInfo m;
  m.name = "dcmh";
  m.display = "DCMH";
  m.kind = MethodKind::kDeep;
  m.summary = "deep cross-modal hashing (pairwise likelihood on shared labels, quantisation and bit balance; CNN-F + MLP)";
  m.citation = "Jiang and Li, Deep Cross-Modal Hashing, CVPR 2017";
  m.folder = "methods/dcmh";
  m.params = dcmh_params().table();
  m.create = [] { return std::make_unique<Dcmh>(); };
  m.uses_device = true;  // networks, banks and batches on ctx.device
  return m;
}

}  // namespace cmh::methods
