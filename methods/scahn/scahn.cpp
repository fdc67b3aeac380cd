// SCAHN training, encoding and bit ranking on LibTorch.
#include "methods/scahn/scahn.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "common/error.h"
#include "data/dataset.h"
#include "methods/common/deep_method.h"
#include "methods/common/training.h"
#include "methods/scahn/scahn_loss.h"
#include "methods/scahn/scahn_nets.h"
#include "methods/scahn/scahn_step.h"
#include "param_set.h"

namespace cmh::methods {
namespace {

std::vector<torch::Tensor> five_outputs(const ScahnOutputs& o, int64_t begin, int64_t count) {
  std::vector<torch::Tensor> v;
  for (const auto& h : o.stages) v.push_back(h.narrow(0, begin, count));
  v.push_back(torch::tanh(o.fused.narrow(0, begin, count)));
  return v;
}

}  // namespace

torch::Tensor scahn_augment(const torch::Tensor& x, torch::Generator& gen, const std::string& rule) {
  auto r = torch::rand({x.size(0), 5}, gen, torch::kFloat32).contiguous();
  const float* u = r.data_ptr<float>();
  const bool any_rotation = rule == "all_rotations";
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < x.size(0); ++i) {
    auto p = x[i];
    const float* v = u + 5 * i;
    if (v[0] < 0.8f) {
      if (v[1] < 0.5f) {
        // The reference's RandomApply([Rot90, Rot180, Rot270]) applies all three: 540° = 180°.
        p = any_rotation ? torch::rot90(p, 1 + static_cast<int64_t>(v[2] * 3.0f) % 3, {1, 2}) : torch::flip(p, {1, 2});
      }
      if (v[3] < 0.5f) p = torch::flip(p, {2});
      if (v[4] < 0.5f) p = torch::flip(p, {1});
    }
    out.push_back(p);
  }
  return torch::stack(out);
}

torch::Tensor scahn_erase_text(const torch::Tensor& text, double fraction, torch::Generator& gen) {
  const int64_t n = text.size(0), t = text.size(1);
  const auto erased = static_cast<int64_t>(static_cast<double>(t) * fraction);  // Python's int(): truncation
  if (erased == 0) return text;
  // A uniform random permutation per row (a stable sort of uniform doubles), its first `erased`
  // positions zeroed: np.random.permutation's distribution, drawn from the cell's generator.
  const auto keys = torch::rand({n, t}, gen, torch::kFloat64);
  const auto order = std::get<1>(torch::sort(keys, /*stable=*/true, /*dim=*/1, /*descending=*/false));
  return text.scatter(1, order.narrow(1, 0, erased).to(text.device()), 0.0);
}

ScahnLossTerms scahn_step(const ScahnOutputs& out, const torch::Tensor& b1, const torch::Tensor& b2,
                          const torch::Tensor& labels, const torch::Tensor& other, torch::Tensor& same,
                          const torch::Tensor& codes, const ScahnWeights& w, torch::optim::Optimizer& opt) {
  const int64_t bs = b1.size(0);
  auto out1 = five_outputs(out, 0, bs), out2 = five_outputs(out, bs, bs);
  same.index_put_({b1}, out1.back().detach());
  same.index_put_({b2}, out2.back().detach());
  const auto l1 = labels.index({b1}), l2 = labels.index({b2});
  auto t = scahn_loss(out1, out2, share_label_similarity(l1, labels), share_label_similarity(l2, labels),
                      share_label_similarity(l1, l2), other, same, codes.index({b1}), codes.index({b2}), w);
  training::descend(opt, t.total);
  return t;
}

namespace {

const ParamSet<ScahnParams>& scahn_params() {
  static const ParamSet<ScahnParams> set = [] {
    ParamSet<ScahnParams> s;
    s.add("epochs", &ScahnParams::epochs, "training epochs (reference config: 500)", at_least(1))
        .add("batch_size", &ScahnParams::batch_size, "size of each of the two disjoint batches per step", at_least(2))
        .add("alpha_divisor", &ScahnParams::alpha_divisor, "alpha_s = bits / alpha_divisor scales inner products",
             above(0))
        // a negative weight rewards the term it should shrink
        .add("lambda", &ScahnParams::lambda, "weight of the intra-modal term", at_least(0))
        .add("gamma", &ScahnParams::gamma, "weight of the pairwise term between the two batches", at_least(0))
        .add("beta", &ScahnParams::beta, "weight of the quantisation term", at_least(0))
        .add("lr", &ScahnParams::lr, "initial learning rate of both networks (10^-1.1)", above(0))
        // the schedule is geometric: lr · lr_decay^(e / epochs)
        .add("lr_decay", &ScahnParams::lr_decay, "total decay over the epochs (reference: 10^-6 / 10^-1.5)",
             above(0));
    add_image_rows(s, {"resnet34", "resnet18", "small_cnn", "mlp"}, "resnet34");
    s.add("augment", &ScahnParams::augment,
          "image augmentation: reference (p 0.8: 180-degree turn, h-flip, v-flip, each p 0.5), all_rotations "
          "(90/180/270 instead of 180), none",
          one_of({"reference", "all_rotations", "none"}))
        .add("text_augment", &ScahnParams::text_augment,
             "text augmentation: reference (zero 20% of each training text's positions, RandomErasure(0.2)), none",
             one_of({"reference", "none"}))
        .add("text_channels", &ScahnParams::text_channels,
             "text net residual channels c (blocks c, 2c, 4c, 8c; paper 64)", at_least(1))
        .add("text_head_channels", &ScahnParams::text_head_channels, "text net head channels (paper 256)", at_least(1))
        .add("bit_rank", &ScahnParams::bit_rank, "bits kept by shorter codes",
             one_of({"intended", "reference_softmax", "reference_lowest"}));
    return add_model_rows(s, true);
  }();
  return set;
}

// How far training moved the attention scores that rank the bits: the rank correlation of the
// current scores with their random initialisation. Near 1, the ranking is still the
// initialisation's and ranked bits can be no better than random ones; logged every epoch
// ("attention_rank_corr") so the loss figures show it and the bit-scalable table can say so.
double rank_correlation(const torch::Tensor& a, const torch::Tensor& b) {
  auto centred_ranks = [](const torch::Tensor& v) {
    const auto r = v.argsort().argsort().to(torch::kDouble);
    return r - r.mean();
  };
  const auto x = centred_ranks(a), y = centred_ranks(b);
  return (x * y).sum().item<double>() / std::sqrt((x * x).sum().item<double>() * (y * y).sum().item<double>());
}

class Scahn final : public DeepMethod {
 public:
  Scahn() : DeepMethod("scahn", "resnet34") {}

  void fit(const data::Dataset& d, const std::vector<int64_t>& train, RunContext& ctx) override {
    p_ = scahn_params().read(ctx.params);
    const int64_t n = static_cast<int64_t>(train.size()), k = ctx.bits, bs = p_.batch_size;
    if (n < 2 * bs)
      throw InputError("scahn: " + std::to_string(n) + " training items cannot give two disjoint batches of " +
                       std::to_string(bs) + "; lower batch_size");
    build_nets(d, k, ctx);
    const auto initial_scores = attention_scores();
    Training t(*this, d, train, ctx, p_.lr);
    const ScahnWeights w{static_cast<double>(k) / p_.alpha_divisor, p_.lambda, p_.gamma, p_.beta};
    const bool augment_pixels = p_.augment != "none" && d.image.kind == data::ModalityKind::kPixels;
    const bool erase_text = p_.text_augment == "reference";

    training::run_epochs("scahn", p_.epochs, ctx, t.parts, [&](int64_t e) {
      const double lr = p_.lr * std::pow(p_.lr_decay, static_cast<double>(e) / static_cast<double>(p_.epochs));
      start_epoch(t, lr);
      const int64_t steps = n / bs;
      ScahnLossTerms img_terms, txt_terms;
      for (int side = 0; side < 2; ++side) {  // the image pass, then the text pass
        for (int64_t s = 0; s < steps; ++s) {
          auto perm = torch::randperm(n, t.gen, torch::kLong);
          auto b1 = perm.narrow(0, 0, bs), b2 = perm.narrow(0, bs, bs), both = perm.narrow(0, 0, 2 * bs);
          ScahnOutputs out;
          if (side == 0) {
            auto x = image_input(d, train, both);
            if (augment_pixels) x = scahn_augment(x, t.gen, p_.augment);
            out = image_net_->forward(x.to(t.device));
          } else {
            auto y = t.text.index({both});
            if (erase_text) y = scahn_erase_text(y, 0.2, t.gen);
            out = text_net_->forward(y);
          }
          torch::Tensor& same = side == 0 ? t.banks.F : t.banks.G;
          const torch::Tensor& other = side == 0 ? t.banks.G : t.banks.F;
          const auto terms =
              scahn_step(out, b1, b2, t.labels, other, same, t.banks.B, w, side == 0 ? t.image_opt : t.text_opt);
          (side == 0 ? img_terms : txt_terms).accumulate(terms, steps);
        }
      }
      t.banks.refresh_codes();
      return training::EpochValues{{"loss_image", img_terms.total_value}, {"loss_text", txt_terms.total_value},
                                   {"image_inter", img_terms.inter}, {"image_intra", img_terms.intra},
                                   {"image_pair", img_terms.pair}, {"image_quant", img_terms.quant},
                                   {"text_inter", txt_terms.inter}, {"text_intra", txt_terms.intra},
                                   {"text_pair", txt_terms.pair}, {"text_quant", txt_terms.quant}, {"lr", lr},
                                   {"attention_rank_corr", rank_correlation(initial_scores, attention_scores())}};
    });
    ranking_ = scahn_bit_ranking(image_net_->fusion->weight, text_net_->fusion->weight, p_.bit_rank);
  }

  std::vector<int> bit_ranking() const override { return ranking_; }
  std::string bit_ranking_name() const override {
    return p_.bit_rank == "intended" ? "intended attention ranking (sum of both sides' stage weights)"
                                     : "the reference code's ranking '" + p_.bit_rank + "' (known to be wrong)";
  }

 private:
  void build_nets(const data::Dataset& d, int64_t k, RunContext& ctx) {
    image_net_ = ScahnImageNet(image_backbone(d, p_, ctx), k);
    text_net_ = ScahnTextNet(static_cast<int64_t>(d.text.dim), k, ScahnTextWidths{p_.text_channels, p_.text_head_channels});
    const ScahnParams paper;
    if (p_.text_channels != paper.text_channels || p_.text_head_channels != paper.text_head_channels)
      ctx.notes.push_back("scahn: text net narrower than the paper's (residual channels " +
                          std::to_string(p_.text_channels) + "/" + std::to_string(2 * p_.text_channels) + "/" +
                          std::to_string(4 * p_.text_channels) + "/" + std::to_string(8 * p_.text_channels) +
                          ", heads " + std::to_string(p_.text_head_channels) + "; paper 64/128/256/512, 256)");
    if (p_.augment != "reference")
      ctx.notes.push_back("scahn: image augmentation '" + p_.augment + "' (the reference: original, flips, 180 degrees)");
    if (p_.text_augment != "reference")
      ctx.notes.push_back("scahn: no text augmentation (the reference zeroes 20% of each training text's positions)");
    if (p_.bit_rank != "intended")
      ctx.notes.push_back("scahn: bit_rank = " + p_.bit_rank + " reproduces a defect of the reference code");
  }

  // Σ_l (W_img[l, j] + W_txt[l, j]) per bit, the intended ranking's scores, on the CPU.
  torch::Tensor attention_scores() const {
    torch::NoGradGuard no_grad;
    return (image_net_->fusion->weight + text_net_->fusion->weight).sum(0).to(torch::kCPU, torch::kDouble).clone();
  }

  torch::nn::Module& image_module() override { return *image_net_; }
  torch::nn::Module& text_module() override { return *text_net_; }
  torch::Tensor image_codes(const torch::Tensor& images) override { return image_net_->forward(images).fused; }
  torch::Tensor text_codes(const torch::Tensor& texts) override { return text_net_->forward(texts).fused; }

  ScahnParams p_;
  ScahnImageNet image_net_{nullptr};
  ScahnTextNet text_net_{nullptr};
  std::vector<int> ranking_;
};

}  // namespace

MethodInfo scahn_method_info() {
  MethodInfo m;
  m.name = "scahn";
  m.display = "SCAHN";
  m.kind = MethodKind::kDeep;
  m.summary = "self-constraining, attention-based hashing network with bit-scalable codes";
  m.citation = "Wang, Zou, Bakker, Wu, Neurocomputing 400, 2020";
  m.folder = "methods/scahn";
  m.params = scahn_params().table();
  m.create = [] { return std::make_unique<Scahn>(); };
  m.uses_device = true;  // networks, banks and batches on ctx.device
  return m;
}

}  // namespace cmh::methods
