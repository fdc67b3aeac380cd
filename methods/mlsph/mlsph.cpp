// MLSPH training and encoding on LibTorch.
#include "methods/mlsph/mlsph.h"

#include <torch/torch.h>

#include "common/error.h"
#include "common/paths.h"
#include "data/dataset.h"
#include "methods/common/training.h"
#include "methods/mlsph/mlsph_loss.h"
#include "methods/nets/backbone_choice.h"
#include "methods/nets/batches.h"
#include "methods/nets/image_nets.h"
#include "methods/nets/mlsph_text_net.h"
#include "param_set.h"
#include "tensor/tensor_data.h"

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

class Mlsph final : public Method {
 public:
  void fit(const data::Dataset& d, const std::vector<int64_t>& train, RunContext& ctx) override {
    p_ = mlsph_params().read(ctx.params);
    const int64_t n = static_cast<int64_t>(train.size()), k = ctx.bits;
    if (n < p_.batch_size)
      throw InputError("mlsph: " + std::to_string(n) + " training items but batch_size " +
                       std::to_string(p_.batch_size) + "; lower batch_size");
    build_nets(d, k, ctx);
    device_ = training::device_of(ctx);  // everything trains there; random draws stay on the CPU generator
    image_net_->to(device_);
    text_net_->to(device_);
    torch::Generator gen = make_generator(ctx.seed);
    labels_ = label_rows(d, train).to(device_);  // [n, L]
    text_ = feature_rows(d.text, train, "mlsph").to(device_);  // [n, T]
    training::MemoryBanks banks;
    banks.init(n, k, gen);
    banks.to(device_);
    torch::optim::SGD img_opt(image_net_->parameters(), torch::optim::SGDOptions(p_.lr_start));
    torch::optim::SGD txt_opt(text_net_->parameters(), torch::optim::SGDOptions(p_.lr_start));

    training::TrainingParts parts{*image_net_, *text_net_, img_opt, txt_opt, banks, gen};
    training::run_epochs("mlsph", p_.epochs, p_.selection, ctx, parts, [&](int64_t e) {
      const double lr = training::linear_lr(e, p_.epochs, p_.lr_start, p_.lr_end);
      training::set_lr(img_opt, lr);
      training::set_lr(txt_opt, lr);
      image_net_->train();
      text_net_->train();
      const auto [img_terms, txt_terms] = training::alternating_epoch<MlsphLossTerms>(
          parts, n, p_.batch_size, [&](const torch::Tensor& pos) { return image_codes(d, train, pos); },
          [&](const torch::Tensor& pos) { return text_net_->forward(text_.index({pos})); },
          [&](const torch::Tensor& out, const torch::Tensor& pos, const torch::Tensor& other, const torch::Tensor& own) {
            return mlsph_loss(out, labels_.index({pos}), labels_, other, own, banks.B.index({pos}), weights());
          });
      banks.refresh_codes();
      return training::EpochValues{{"loss_image", img_terms.total_value}, {"loss_text", txt_terms.total_value},
                                   {"image_cross", img_terms.cross_value}, {"image_intra", img_terms.intra_value},
                                   {"image_quant", img_terms.quant_value}, {"text_cross", txt_terms.cross_value},
                                   {"text_intra", txt_terms.intra_value}, {"text_quant", txt_terms.quant_value},
                                   {"lr", lr}};
    });
  }

  eval::PackedBits encode_image(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return encode(items, [&](const std::vector<int64_t>& part) { return image_forward(d, part); });
  }
  eval::PackedBits encode_text(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return encode(items, [&](const std::vector<int64_t>& part) {
      return text_net_->forward(feature_rows(d.text, part, "mlsph").to(device_));
    });
  }

 private:
  MlsphWeights weights() const { return {p_.alpha, p_.beta, p_.gamma, p_.loss_scale}; }

  void build_nets(const data::Dataset& d, int64_t k, RunContext& ctx) {
    torch::manual_seed(ctx.seed);  // module initialisers draw from the global generator
    auto choice = nets::choose_image_backbone("mlsph", d.image, p_.image_net, p_.image_size,
                                              resolve_from(p_.pretrained, ctx.experiment_dir),
                                              "resnet34", ctx.notes);
    backbone_ = choice.net;
    image_size_ = choice.image_size;
    image_input_ = choice.input;
    auto head = torch::nn::Linear(backbone_->feature_dim(), k);
    {
      torch::NoGradGuard no_grad;
      head->weight.normal_(0.0, 0.01);
      head->bias.zero_();
    }
    image_net_ = std::make_shared<ImageNet>(backbone_, head);
    text_net_ = nets::MlsphTextNet(static_cast<int64_t>(d.text.dim), k, p_.text_hidden);
  }

  // Backbone → Linear(F → k) → tanh.
  struct ImageNet : torch::nn::Module {
    ImageNet(std::shared_ptr<nets::ImageBackbone> b, torch::nn::Linear h) {
      backbone = register_module("backbone", b);
      head = register_module("head", h);
    }
    torch::Tensor forward(const torch::Tensor& x) { return torch::tanh(head(backbone->forward(x))); }
    std::shared_ptr<nets::ImageBackbone> backbone;
    torch::nn::Linear head{nullptr};
  };

  torch::Tensor image_forward(const data::Dataset& d, const std::vector<int64_t>& dataset_items) {
    return image_net_->forward(nets::image_batch(d.image, dataset_items, image_size_, &image_input_).to(device_));
  }
  torch::Tensor image_codes(const data::Dataset& d, const std::vector<int64_t>& train, const torch::Tensor& pos) {
    std::vector<int64_t> items;
    for (int64_t p : nets::to_indices(pos)) items.push_back(train[static_cast<size_t>(p)]);
    return image_forward(d, items);
  }

  template <class Forward>
  eval::PackedBits encode(const std::vector<int64_t>& items, Forward&& forward) {
    torch::NoGradGuard no_grad;
    const bool eval_mode = p_.bn_at_encode == "eval";
    image_net_->train(!eval_mode);
    text_net_->train(!eval_mode);
    std::vector<torch::Tensor> parts;
    nets::for_each_batch(items, 256, [&](const std::vector<int64_t>& part) { parts.push_back(forward(part)); });
    image_net_->train();
    text_net_->train();
    return pack_signs(torch::cat(parts, 0));
  }

  MlsphParams p_;
  std::shared_ptr<nets::ImageBackbone> backbone_;
  std::shared_ptr<ImageNet> image_net_;
  nets::MlsphTextNet text_net_{nullptr};
  int64_t image_size_ = 0;
  nets::InputNormalization image_input_;  // what the backbone's weights expect
  torch::Tensor labels_, text_;
  torch::Device device_{torch::kCPU};
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
