// The step speed-ups of the nets (issue "training steps faster than PyTorch's Python frontend")
// keep the mathematics: the text-axis convolution as a matrix product equals the convolution
// (with and without bias, one column or several), its default initialisation draws what Conv2d
// draws, BatchNorm folded into SCAHN's first 1×3 convolution equals the two modules, MLSPH's
// text net equals the same net built of plain convolutions, and the small CNN working
// channels-last gives what it gives in NCHW order.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "methods/nets/image_nets.h"
#include "methods/mlsph/mlsph_text_net.h"
#include "methods/nets/folded_conv_batch_norm.h"
#include "methods/nets/text_axis_conv.h"

using cmh::nets::TextAxisConv;
using cmh::nets::TextAxisConvImpl;

TEST_CASE("the (T, 1) convolution as a matrix product equals the plain convolution", "[nets]") {
  torch::manual_seed(3);
  for (int64_t in : {1, 3}) {
    for (int64_t width : {1, 6}) {
      for (bool bias : {false, true}) {
        DYNAMIC_SECTION("in " << in << ", width " << width << ", bias " << bias) {
          TextAxisConv fast(in, 5, 37, bias, TextAxisConvImpl::Init::kConv2dDefault);
          auto x = torch::randn({4, in, 37, width}, torch::requires_grad());
          const auto y = fast(x);
          const auto plain = torch::conv2d(x, fast->weight, fast->bias);
          REQUIRE(y.sizes() == plain.sizes());
          CHECK(torch::allclose(y, plain, 1e-4, 1e-5));
          auto g = torch::randn_like(y);
          std::vector<torch::Tensor> wrt{x, fast->weight};
          if (bias) wrt.push_back(fast->bias);
          const auto grads = torch::autograd::grad({y}, wrt, {g});
          const auto plain_grads = torch::autograd::grad({plain}, wrt, {g});
          for (size_t i = 0; i < wrt.size(); ++i) CHECK(torch::allclose(grads[i], plain_grads[i], 1e-4, 1e-5));
        }
      }
    }
  }
}

TEST_CASE("the text-axis convolution starts as Conv2d starts, or draws nothing when the caller initialises", "[nets]") {
  torch::manual_seed(11);
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(6, 8, {37, 1}));
  const auto after_conv = torch::rand({1});
  torch::manual_seed(11);
  TextAxisConv fast(6, 8, 37, true, TextAxisConvImpl::Init::kConv2dDefault);
  const auto after_fast = torch::rand({1});
  CHECK(torch::equal(fast->weight, conv->weight));
  CHECK(torch::equal(fast->bias, conv->bias));
  CHECK(torch::equal(after_fast, after_conv));  // the same number of draws: later draws line up
  torch::manual_seed(11);
  const auto first = torch::rand({1});
  torch::manual_seed(11);
  TextAxisConv by_caller(6, 8, 37, true, TextAxisConvImpl::Init::kByCaller);
  CHECK(torch::equal(torch::rand({1}), first));  // nothing drawn
}

TEST_CASE("BatchNorm folded into a one-channel 1x3 convolution equals the convolution and BatchNorm", "[nets]") {
  namespace nn = torch::nn;
  torch::manual_seed(7);
  nn::Conv2d conv(nn::Conv2dOptions(1, 16, {1, 3}).padding({0, 1}).bias(false));
  nn::BatchNorm2d bn(16), folded_bn(16);
  {
    torch::NoGradGuard no_grad;
    bn->weight.uniform_(0.5, 1.5);
    bn->bias.uniform_(-0.5, 0.5);
    folded_bn->weight.copy_(bn->weight);
    folded_bn->bias.copy_(bn->bias);
  }
  // SCAHN's input: sparse tags beside smoothed views of them, 6 columns.
  const auto tags = (torch::rand({8, 1, 50, 6}) < 0.1).to(torch::kFloat32);
  for (int step = 0; step < 3; ++step) {
    INFO("step " << step);
    auto x = (tags + 0.3 * torch::rand_like(tags)).requires_grad_(true);
    const auto plain = bn(conv(x));
    const auto folded = cmh::nets::folded_conv_batch_norm(x, *conv, *folded_bn, 1);
    REQUIRE(folded.sizes() == plain.sizes());
    CHECK(torch::allclose(folded, plain, 1e-4, 1e-5));
    const auto g = torch::randn_like(plain);
    const auto grads = torch::autograd::grad({plain}, {x, conv->weight, bn->weight, bn->bias}, {g});
    const auto fgrads = torch::autograd::grad({folded}, {x, conv->weight, folded_bn->weight, folded_bn->bias}, {g});
    for (size_t i = 0; i < grads.size(); ++i) {
      INFO("gradient " << i);
      CHECK(torch::allclose(fgrads[i], grads[i], 1e-3, 1e-5));
    }
    CHECK(torch::allclose(folded_bn->running_mean, bn->running_mean, 1e-5, 1e-7));
    CHECK(torch::allclose(folded_bn->running_var, bn->running_var, 1e-5, 1e-7));
    CHECK(folded_bn->num_batches_tracked.item<int64_t>() == step + 1);
  }
  bn->eval();
  folded_bn->eval();
  const auto x = torch::rand({4, 1, 50, 6});
  CHECK(torch::allclose(cmh::nets::folded_conv_batch_norm(x, *conv, *folded_bn, 1), bn(conv(x)), 1e-4, 1e-5));
  CHECK(folded_bn->num_batches_tracked.item<int64_t>() == 3);  // eval mode leaves the statistics
  nn::Conv2d wide(nn::Conv2dOptions(2, 16, {1, 3}).padding({0, 1}).bias(false));
  CHECK_THROWS_AS(cmh::nets::folded_conv_batch_norm(torch::rand({4, 2, 50, 6}), *wide, *folded_bn, 1),
                  std::invalid_argument);
}

// MLSPH's text net of the paper as the reference writes it: Conv2d layers throughout.
torch::Tensor reference_text_forward(cmh::methods::MlsphTextNetImpl& net, const torch::Tensor& text) {
  namespace F = torch::nn::functional;
  const int64_t t = net.text_dim;
  auto x = text.view({text.size(0), 1, t, 1});
  std::vector<torch::Tensor> channels{x};
  for (size_t b = 0; b < net.pools.size(); ++b) {
    auto y = F::avg_pool2d(x, F::AvgPool2dFuncOptions({net.pools[b], 1}).stride({net.pools[b], 1}));
    y = torch::relu(net.branches[b]->as<torch::nn::Conv2d>()->forward(y));
    channels.push_back(F::interpolate(
        y, F::InterpolateFuncOptions().size(std::vector<int64_t>{t, 1}).mode(torch::kBilinear).align_corners(true)));
  }
  auto h = torch::cat(channels, 1);
  h = net.bn1(torch::relu(torch::conv2d(h, net.feature->weight, net.feature->bias)));
  h = net.bn2(torch::relu(net.mid(h)));
  return torch::tanh(net.hash(h)).flatten(1);
}

TEST_CASE("MLSPH's text net computes what the same net of plain convolutions computes", "[nets]") {
  torch::manual_seed(5);
  cmh::methods::MlsphTextNet net(300, 16, 64, 32);
  const auto text = (torch::rand({8, 300}) < 0.05).to(torch::kFloat32);
  for (bool training : {true, false}) {
    net->train(training);
    const auto fast = net->forward(text);
    const auto plain = reference_text_forward(*net, text);
    REQUIRE(fast.sizes() == plain.sizes());
    CHECK(torch::allclose(fast, plain, 1e-4, 1e-5));
  }
}

TEST_CASE("the small CNN working channels-last gives what its stages give in NCHW order", "[nets]") {
  torch::manual_seed(9);
  auto net = cmh::nets::make_image_backbone("small_cnn");
  const auto x = torch::randn({4, 3, 32, 32});
  for (bool training : {true, false}) {
    net->train(training);
    const auto fast = net->stages(x);
    // The same stages applied by hand to the NCHW batch (the layout the reference runs in).
    std::vector<torch::Tensor> plain;
    auto y = x;
    const auto children = net->children();
    REQUIRE(children.size() == 4);
    for (size_t s = 0; s < children.size(); ++s) {
      y = children[s]->as<torch::nn::Sequential>()->forward(y);
      REQUIRE(y.is_contiguous());  // NCHW all the way
      plain.push_back(y.mean({2, 3}));
      if (s + 1 < children.size()) y = torch::max_pool2d(y, 2);
    }
    for (size_t s = 0; s < plain.size(); ++s) CHECK(torch::allclose(fast[s], plain[s], 1e-4, 1e-5));
  }
}
