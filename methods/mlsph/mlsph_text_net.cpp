// MLSPH text network.
#include "methods/mlsph/mlsph_text_net.h"

namespace cmh::methods {

namespace nn = torch::nn;

MlsphTextNetImpl::MlsphTextNetImpl(int64_t t, int64_t bits, int64_t hidden, int64_t mid_width) : text_dim(t) {
  branches = register_module("branches", nn::ModuleList());
  // Pool sizes {50, 30, 15, 10, 5}; a pool longer than the text (e.g. 10-d LDA) is clamped to the
  // text length — the reference code assumes T >= 50 and would fail there.
  for (int64_t p : {50, 30, 15, 10, 5}) {
    pools.push_back(std::min(p, t));
    resize.emplace_back(t / pools.back(), t, nets::RowResize::Mode::kBilinearAligned);
    branches->push_back(nn::Conv2d(nn::Conv2dOptions(1, 1, 1)));
  }
  feature = register_module(
      "feature", nets::TextAxisConv(6, hidden, t, true, nets::TextAxisConvImpl::Init::kConv2dDefault));
  bn1 = register_module("bn1", nn::BatchNorm2d(hidden));
  mid = register_module("mid", nn::Conv2d(nn::Conv2dOptions(hidden, mid_width, 1)));
  bn2 = register_module("bn2", nn::BatchNorm2d(mid_width));
  hash = register_module("hash", nn::Conv2d(nn::Conv2dOptions(mid_width, bits, 1)));
}

namespace {

// A 1×1 convolution of [n, C, 1, 1] is the affine map of [n, C]: addmm instead of oneDNN's
// convolution, which reorders its operands on every call (the same sums; Conv2d's parameters).
torch::Tensor pointwise(const nn::Conv2d& conv, const torch::Tensor& x) {
  const int64_t n = x.size(0), out = conv->weight.size(0);
  return torch::addmm(conv->bias, x.reshape({n, -1}), conv->weight.view({out, -1}).t()).view({n, out, 1, 1});
}

}  // namespace

torch::Tensor MlsphTextNetImpl::forward(const torch::Tensor& text) {
  namespace F = torch::nn::functional;
  auto x = text.view({text.size(0), 1, text_dim, 1});  // [n, 1, T, 1]
  std::vector<torch::Tensor> channels{x};
  for (size_t b = 0; b < pools.size(); ++b) {
    auto y = F::avg_pool2d(x, F::AvgPool2dFuncOptions({pools[b], 1}).stride({pools[b], 1}));
    y = torch::relu(branches[b]->as<nn::Conv2d>()->forward(y));
    y = resize[b](y);  // interpolate(bilinear, align_corners) with a deterministic backward
    channels.push_back(y);
  }
  auto h = torch::cat(channels, 1);                 // [n, 6, T, 1]
  h = bn1(torch::relu(feature(h)));                 // [n, 4096, 1, 1]
  h = bn2(torch::relu(pointwise(mid, h)));          // [n, 512, 1, 1]
  return torch::tanh(pointwise(hash, h)).flatten(1);  // [n, k]
}

}  // namespace cmh::methods
