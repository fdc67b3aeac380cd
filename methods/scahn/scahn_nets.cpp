// SCAHN networks.
#include "methods/scahn/scahn_nets.h"

#include "methods/nets/channel_lrn.h"
#include "methods/nets/folded_conv_batch_norm.h"
#include "methods/nets/text_axis_conv.h"

namespace cmh::methods {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

AttentionFusionImpl::AttentionFusionImpl(int64_t bits) {
  weight = register_parameter("weight", torch::empty({4, bits}));
  torch::NoGradGuard no_grad;
  weight.normal_(0.25, 1.0 / static_cast<double>(bits));
}

torch::Tensor AttentionFusionImpl::forward(const std::vector<torch::Tensor>& stages) {
  auto h = stages[0] * weight[0];
  for (size_t l = 1; l < stages.size(); ++l) h = h + stages[l] * weight[static_cast<int64_t>(l)];
  return h;
}

ScahnImageNetImpl::ScahnImageNetImpl(std::shared_ptr<nets::ImageBackbone> b, int64_t bits) {
  backbone = register_module("backbone", b);
  heads = register_module("heads", nn::ModuleList());
  for (int64_t dim : backbone->stage_dims()) {
    auto linear = nn::Linear(dim, bits);
    {
      torch::NoGradGuard no_grad;
      linear->weight.normal_(0.0, 0.01);
      linear->bias.zero_();
    }
    heads->push_back(nn::Sequential(nn::BatchNorm1d(dim), linear, nn::Functional(torch::tanh)));
  }
  fusion = register_module("fusion", AttentionFusion(bits));
}

ScahnOutputs ScahnImageNetImpl::forward(const torch::Tensor& x) {
  ScahnOutputs out;
  const auto taps = backbone->stages(x);
  for (size_t l = 0; l < taps.size(); ++l) out.stages.push_back(heads[l]->as<nn::Sequential>()->forward(taps[l]));
  out.fused = fusion(out.stages);
  return out;
}

namespace {

// Conv(in→out, 1×3, pad (0,1)) → BN → ReLU → Conv(out→out, kernel) → BN, plus the shortcut
// Conv(in→out, kernel) → BN; sum; ReLU. No biases (the reference's). In the first block, whose
// kernel spans the text axis, the shortcut's (T, 1) convolution of the one-channel input is a
// TextAxisConv: 4-5x faster than oneDNN's convolution forward and backward (measured at
// n = 128, T = 1,386, 64 and 16 channels); for the body's C → C one oneDNN is faster (0.78 s
// against 0.94 s at 64 channels), so it stays a Conv2d.
struct ResidualBlockImpl : nn::Module {
  nn::Sequential body{nullptr}, shortcut{nullptr};
  ResidualBlockImpl(int64_t in, int64_t out, std::vector<int64_t> kernel) {
    // The block's own convolution: a (T, 1) kernel on one channel is the matrix product.
    auto full = [&](int64_t from) -> nn::AnyModule {
      if (from == 1 && kernel[1] == 1) return nn::AnyModule(
          nets::TextAxisConv(from, out, kernel[0], false, nets::TextAxisConvImpl::Init::kByCaller));
      return nn::AnyModule(nn::Conv2d(nn::Conv2dOptions(from, out, kernel).bias(false)));
    };
    body = nn::Sequential();
    body->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, {1, 3}).padding({0, 1}).bias(false)));
    body->push_back(nn::BatchNorm2d(out));
    // In place: BatchNorm's backward needs its input, not its output, so the [n, C, T, 6]
    // activation of the first block (272 MB at n = 128) is not copied once more per step.
    body->push_back(nn::ReLU(nn::ReLUOptions().inplace(true)));
    body->push_back(full(out));
    body->push_back(nn::BatchNorm2d(out));
    body = register_module("body", body);
    shortcut = nn::Sequential();
    shortcut->push_back(full(in));
    shortcut->push_back(nn::BatchNorm2d(out));
    shortcut = register_module("shortcut", shortcut);
    fold_first_ = in == 1;
  }
  // On one input channel (the first block) the body's 1×3 convolution and its BatchNorm are one
  // convolution (folded_conv_batch_norm.h): the block's [n, C, T, 6] activation is written once,
  // with no normalising pass and no BatchNorm backward over it. Same modules, same state dict.
  torch::Tensor body_forward(const torch::Tensor& x) {
    if (!fold_first_) return body->forward(x);
    auto h = nets::folded_conv_batch_norm(x, *body[0]->as<nn::Conv2d>(), *body[1]->as<nn::BatchNorm2d>(), 1);
    h.relu_();
    return body[4]->as<nn::BatchNorm2d>()->forward(body[3]->as<nn::Conv2d>()->forward(h));
  }
  bool fold_first_ = false;
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = body_forward(x) + shortcut->forward(x);
    return y.relu_();  // in place on the fresh sum: the add's backward needs neither operand
  }
};
TORCH_MODULE(ResidualBlock);

// The reference's _init_params: Kaiming-normal (fan_out, ReLU) convolution weights, zero biases.
void init_like_reference(nn::Module& net) {
  torch::NoGradGuard no_grad;
  for (auto& m : net.modules(/*include_self=*/false)) {
    torch::Tensor w, b;
    if (auto* c = m->as<nn::Conv2d>()) {
      w = c->weight;
      b = c->bias;
    } else if (auto* t = m->as<nets::TextAxisConv>()) {
      w = t->weight;
    } else {
      continue;
    }
    nn::init::kaiming_normal_(w, 0.0, torch::kFanOut, torch::kReLU);
    if (b.defined()) b.zero_();
  }
}

}  // namespace

ScahnTextNetImpl::ScahnTextNetImpl(int64_t t, int64_t bits, ScahnTextWidths widths) : text_dim(t) {
  scale_convs = register_module("scale_convs", nn::ModuleList());
  // Pool kernels 5p for p in {10, 6, 3, 2, 1}, clamped to the text length (the reference assumes
  // T >= 50).
  for (int64_t p : {10, 6, 3, 2, 1}) {
    pools.push_back(std::min(5 * p, t));
    resize.emplace_back(t / pools.back(), t, nets::RowResize::Mode::kNearest);
    scale_convs->push_back(nn::Conv2d(nn::Conv2dOptions(1, 1, 1)));
  }
  const int64_t c = widths.channels, channels[4] = {c, 2 * c, 4 * c, 8 * c}, out_widths[4] = {6, 4, 2, 1};
  blocks = register_module("blocks", nn::ModuleList());
  blocks->push_back(ResidualBlock(1, channels[0], std::vector<int64_t>{t, 1}));           // [n, c, 1, 6]
  blocks->push_back(ResidualBlock(channels[0], channels[1], std::vector<int64_t>{1, 3}));  // [n, 2c, 1, 4]
  blocks->push_back(ResidualBlock(channels[1], channels[2], std::vector<int64_t>{1, 3}));  // [n, 4c, 1, 2]
  blocks->push_back(ResidualBlock(channels[2], channels[3], std::vector<int64_t>{1, 2}));  // [n, 8c, 1, 1]
  heads = register_module("heads", nn::ModuleList());
  for (int l = 0; l < 4; ++l)
    heads->push_back(nn::Sequential(
        nn::Conv2d(nn::Conv2dOptions(channels[l], widths.head_channels, {1, out_widths[l]}).stride({1, out_widths[l]})),
        nn::ReLU(),
        nets::ChannelLrn(2, 1e-4, 0.75, 1.0),  // LocalResponseNorm(2, 1e-4, 0.75, 1), deterministic on CUDA
        nn::Conv2d(nn::Conv2dOptions(widths.head_channels, bits, 1)), nn::Functional(torch::tanh)));
  init_like_reference(*this);
  fusion = register_module("fusion", AttentionFusion(bits));  // after the convolutions, as the reference
}

ScahnOutputs ScahnTextNetImpl::forward(const torch::Tensor& text) {
  auto x = text.view({text.size(0), 1, text_dim, 1});  // [n, 1, T, 1]
  std::vector<torch::Tensor> views{x};
  for (size_t s = 0; s < pools.size(); ++s) {
    auto y = F::avg_pool2d(x, F::AvgPool2dFuncOptions({pools[s], 1}).stride({pools[s], 1}));
    y = torch::relu(scale_convs[s]->as<nn::Conv2d>()->forward(y));
    views.push_back(resize[s](y));  // interpolate(nearest) with a deterministic backward
  }
  auto h = torch::cat(views, 3);  // [n, 1, T, 6]
  ScahnOutputs out;
  for (size_t l = 0; l < blocks->size(); ++l) {
    h = blocks[l]->as<ResidualBlock>()->forward(h);
    out.stages.push_back(heads[l]->as<nn::Sequential>()->forward(h).flatten(1));
  }
  out.fused = fusion(out.stages);
  return out;
}

}  // namespace cmh::methods
