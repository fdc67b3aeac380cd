// SCAHN networks.
#include "methods/scahn/scahn_nets.h"

#include "methods/nets/channel_lrn.h"

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
// Conv(in→out, kernel) → BN; sum; ReLU.
struct ResidualBlockImpl : nn::Module {
  nn::Sequential body{nullptr}, shortcut{nullptr};
  ResidualBlockImpl(int64_t in, int64_t out, std::vector<int64_t> kernel) {
    body = register_module("body", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, {1, 3}).padding({0, 1})),
                                                  nn::BatchNorm2d(out), nn::ReLU(),
                                                  nn::Conv2d(nn::Conv2dOptions(out, out, kernel)), nn::BatchNorm2d(out)));
    shortcut = register_module("shortcut", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, kernel)), nn::BatchNorm2d(out)));
  }
  torch::Tensor forward(const torch::Tensor& x) { return torch::relu(body->forward(x) + shortcut->forward(x)); }
};
TORCH_MODULE(ResidualBlock);

}  // namespace

ScahnTextNetImpl::ScahnTextNetImpl(int64_t t, int64_t bits) : text_dim(t) {
  scale_convs = register_module("scale_convs", nn::ModuleList());
  // Pool kernels 5p for p in {10, 6, 3, 2, 1}, clamped to the text length (the reference assumes
  // T >= 50).
  for (int64_t p : {10, 6, 3, 2, 1}) {
    pools.push_back(std::min(5 * p, t));
    resize.emplace_back(t / pools.back(), t, nets::RowResize::Mode::kNearest);
    scale_convs->push_back(nn::Conv2d(nn::Conv2dOptions(1, 1, 1)));
  }
  blocks = register_module("blocks", nn::ModuleList());
  blocks->push_back(ResidualBlock(1, 64, std::vector<int64_t>{t, 1}));     // [n, 64, 1, 6]
  blocks->push_back(ResidualBlock(64, 128, std::vector<int64_t>{1, 3}));   // [n, 128, 1, 4]
  blocks->push_back(ResidualBlock(128, 256, std::vector<int64_t>{1, 3}));  // [n, 256, 1, 2]
  blocks->push_back(ResidualBlock(256, 512, std::vector<int64_t>{1, 2}));  // [n, 512, 1, 1]
  heads = register_module("heads", nn::ModuleList());
  const int64_t channels[4] = {64, 128, 256, 512}, widths[4] = {6, 4, 2, 1};
  for (int l = 0; l < 4; ++l)
    heads->push_back(nn::Sequential(
        nn::Conv2d(nn::Conv2dOptions(channels[l], 256, {1, widths[l]}).stride({1, widths[l]})), nn::ReLU(),
        nets::ChannelLrn(2, 1e-4, 0.75, 1.0),  // LocalResponseNorm(2, 1e-4, 0.75, 1), deterministic on CUDA
        nn::Conv2d(nn::Conv2dOptions(256, bits, 1)), nn::Functional(torch::tanh)));
  fusion = register_module("fusion", AttentionFusion(bits));
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
