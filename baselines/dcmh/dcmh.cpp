// DCMH training and encoding on LibTorch.
#include "baselines/dcmh/dcmh.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

#include "baselines/dcmh/dcmh_loss.h"
#include "common/error.h"
#include "common/paths.h"
#include "data/dataset.h"
#include "methods/common/training.h"
#include "methods/nets/backbone_choice.h"
#include "methods/nets/batches.h"
#include "methods/nets/cnnf.h"
#include "methods/nets/image_nets.h"
#include "param_set.h"
#include "tensor/tensor_data.h"

namespace cmh::baselines {
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
    methods::add_image_rows(s, {"cnnf", "resnet18", "resnet34", "small_cnn", "mlp"}, "cnnf");
    s.add("text_hidden", &DcmhParams::text_hidden, "text MLP hidden width (paper: 8192)", at_least(1));
    return methods::add_model_rows(s, false);  // DCMH always encodes with BatchNorm in eval mode
  }();
  return set;
}

// The paper's text network: bag of words T → 8192 → ReLU → k, linear outputs. torchcmh writes
// the two layers as 1-D convolutions over the whole input (the same maps) and draws every
// weight and bias from N(0, 0.01).
struct TextNet : torch::nn::Module {
  TextNet(int64_t text_dim, int64_t hidden_dim, int64_t bits) {
    hidden = register_module("hidden", torch::nn::Linear(text_dim, hidden_dim));
    hash = register_module("hash", torch::nn::Linear(hidden_dim, bits));
    torch::NoGradGuard no_grad;
    for (auto& p : parameters()) p.normal_(0.0, 0.01);
  }
  torch::Tensor forward(const torch::Tensor& x) { return hash(torch::relu(hidden(x))); }  // [n, T] → [n, k]
  torch::nn::Linear hidden{nullptr}, hash{nullptr};
};

// Backbone → Linear(feature_dim → k), linear outputs (the paper's fc8; torchcmh adds no tanh).
struct ImageNet : torch::nn::Module {
  ImageNet(std::shared_ptr<nets::ImageBackbone> b, int64_t bits) {
    backbone = register_module("backbone", b);
    head = register_module("head", torch::nn::Linear(b->feature_dim(), bits));
    torch::NoGradGuard no_grad;
    head->weight.normal_(0.0, 0.01);
    head->bias.zero_();
  }
  torch::Tensor forward(const torch::Tensor& x) { return head(backbone->forward(x)); }
  std::shared_ptr<nets::ImageBackbone> backbone;
  torch::nn::Linear head{nullptr};
};

class Dcmh final : public Method {
 public:
  void fit(const data::Dataset& d, const std::vector<int64_t>& train, RunContext& ctx) override {
    p_ = dcmh_params().read(ctx.params);
    const int64_t n = static_cast<int64_t>(train.size()), k = ctx.bits;
    if (n < p_.batch_size)
      throw InputError("dcmh: " + std::to_string(n) + " training items but batch_size " +
                       std::to_string(p_.batch_size) + "; lower batch_size");
    build_nets(d, k, ctx);
    device_ = training::device_of(ctx);  // everything trains there; random draws stay on the CPU generator
    image_net_->to(device_);
    text_net_->to(device_);
    torch::Generator gen = make_generator(ctx.seed);
    labels_ = label_rows(d, train).to(device_);                // [n, L]
    text_ = feature_rows(d.text, train, "dcmh").to(device_);  // [n, T]
    training::MemoryBanks banks;
    banks.init(n, k, gen);
    banks.to(device_);
    torch::optim::SGD img_opt(image_net_->parameters(), torch::optim::SGDOptions(p_.lr_start));
    torch::optim::SGD txt_opt(text_net_->parameters(), torch::optim::SGDOptions(p_.lr_start));

    const DcmhWeights weights{p_.gamma, p_.eta};
    training::TrainingParts parts{*image_net_, *text_net_, img_opt, txt_opt, banks, gen};
    training::run_epochs("dcmh", p_.epochs, p_.selection, ctx, parts, [&](int64_t e) {
      const double lr = training::geometric_lr(e, p_.epochs, p_.lr_start, p_.lr_end);
      training::set_lr(img_opt, lr);
      training::set_lr(txt_opt, lr);
      image_net_->train();
      text_net_->train();
      const auto [img_terms, txt_terms] = training::alternating_epoch<DcmhLossTerms>(
          parts, n, p_.batch_size, [&](const torch::Tensor& pos) { return image_codes(d, train, pos); },
          [&](const torch::Tensor& pos) { return text_net_->forward(text_.index({pos})); },
          [&](const torch::Tensor& out, const torch::Tensor& pos, const torch::Tensor& other, const torch::Tensor& own) {
            return dcmh_loss(out, labels_.index({pos}), labels_, other, own, banks.B.index({pos}), pos, weights);
          });
      // Linear outputs are unbounded: too large a learning rate feeds f and g into each other
      // through θ until they overflow. Stop before a NaN reaches the banks' checkpoint.
      if (!std::isfinite(img_terms.total_value) || !std::isfinite(txt_terms.total_value))
        throw std::runtime_error("dcmh: the loss is not finite in epoch " + std::to_string(e + 1) + " (lr " +
                                 std::to_string(lr) + "); lower lr_start");
      banks.refresh_codes();
      return training::EpochValues{{"loss_image", img_terms.total_value},     {"loss_text", txt_terms.total_value},
                                   {"image_log", img_terms.log_value},        {"image_quant", img_terms.quant_value},
                                   {"image_balance", img_terms.balance_value}, {"text_log", txt_terms.log_value},
                                   {"text_quant", txt_terms.quant_value},     {"text_balance", txt_terms.balance_value},
                                   {"lr", lr}};
    });
  }

  eval::PackedBits encode_image(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return encode(items, [&](const std::vector<int64_t>& part) { return image_forward(d, part); });
  }
  eval::PackedBits encode_text(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return encode(items, [&](const std::vector<int64_t>& part) {
      return text_net_->forward(feature_rows(d.text, part, "dcmh").to(device_));
    });
  }

 private:
  void build_nets(const data::Dataset& d, int64_t k, RunContext& ctx) {
    torch::manual_seed(ctx.seed);  // module initialisers draw from the global generator
    auto choice = nets::choose_image_backbone("dcmh", d.image, p_.image_net, p_.image_size,
                                              resolve_from(p_.pretrained, ctx.experiment_dir), "cnnf",
                                              ctx.notes);
    image_size_ = choice.image_size;
    image_input_ = choice.input;
    image_net_ = std::make_shared<ImageNet>(choice.net, k);
    text_net_ = std::make_shared<TextNet>(static_cast<int64_t>(d.text.dim), p_.text_hidden, k);
  }

  torch::Tensor image_forward(const data::Dataset& d, const std::vector<int64_t>& dataset_items) {
    return image_net_->forward(nets::image_batch(d.image, dataset_items, image_size_, &image_input_).to(device_));
  }
  torch::Tensor image_codes(const data::Dataset& d, const std::vector<int64_t>& train, const torch::Tensor& pos) {
    std::vector<int64_t> items;
    for (int64_t p : nets::to_indices(pos)) items.push_back(train[static_cast<size_t>(p)]);
    return image_forward(d, items);
  }

  // sign(net(x)) with both nets in eval mode, 256 items at a time.
  template <class Forward>
  eval::PackedBits encode(const std::vector<int64_t>& items, Forward&& forward) {
    torch::NoGradGuard no_grad;
    image_net_->eval();
    text_net_->eval();
    std::vector<torch::Tensor> parts;
    nets::for_each_batch(items, 256, [&](const std::vector<int64_t>& part) { parts.push_back(forward(part)); });
    image_net_->train();
    text_net_->train();
    return pack_signs(torch::cat(parts, 0));
  }

  DcmhParams p_;
  std::shared_ptr<ImageNet> image_net_;
  std::shared_ptr<TextNet> text_net_;
  int64_t image_size_ = 0;
  nets::InputNormalization image_input_;  // what the backbone's weights expect
  torch::Tensor labels_, text_;  // [n, L], [n, T] rows of the training items
  torch::Device device_{torch::kCPU};
};

}  // namespace

MethodInfo dcmh_method_info() {
  MethodInfo m;
  m.name = "dcmh";
  m.display = "DCMH";
  m.kind = MethodKind::kDeep;
  m.summary = "deep cross-modal hashing (pairwise likelihood on shared labels, quantisation and bit balance; CNN-F + MLP)";
  m.citation = "Jiang and Li, Deep Cross-Modal Hashing, CVPR 2017";
  m.folder = "baselines/dcmh";
  m.params = dcmh_params().table();
  m.create = [] { return std::make_unique<Dcmh>(); };
  m.uses_device = true;  // networks, banks and batches on ctx.device
  return m;
}

}  // namespace cmh::baselines
