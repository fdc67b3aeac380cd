// CNN-F image backbone.
#include "methods/nets/cnnf.h"

#include <string>

#include "common/error.h"

namespace cmh::nets {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad));
}

ChannelLrn lrn() { return ChannelLrn(2, 1e-4, 0.75, 2.0); }  // LocalResponseNorm(2, 1e-4, 0.75, 2)

}  // namespace

CnnF::CnnF() {
  conv1_ = register_module("conv1", conv(3, 64, 11, 4, 0));
  norm1_ = register_module("norm1", lrn());
  conv2_ = register_module("conv2", conv(64, 256, 5, 1, 2));
  norm2_ = register_module("norm2", lrn());
  conv3_ = register_module("conv3", conv(256, 256, 3, 1, 1));
  conv4_ = register_module("conv4", conv(256, 256, 3, 1, 1));
  conv5_ = register_module("conv5", conv(256, 256, 3, 1, 1));
  fc6_ = register_module("fc6", conv(256, 4096, 6, 1, 0));
  fc7_ = register_module("fc7", conv(4096, 4096, 1, 1, 0));
  torch::NoGradGuard no_grad;
  for (auto* c : {&conv1_, &conv2_, &conv3_, &conv4_, &conv5_, &fc6_, &fc7_}) {
    nn::init::kaiming_normal_((*c)->weight, 0.0, torch::kFanOut, torch::kReLU);
    (*c)->bias.zero_();
  }
}

std::vector<torch::Tensor> CnnF::stages(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(2) < kMinSize || x.size(3) < kMinSize)
    throw InputError("cnnf: pictures of at least " + std::to_string(kMinSize) + "x" + std::to_string(kMinSize) +
                     " px are needed (got " + (x.dim() == 4 ? std::to_string(x.size(2)) + "x" + std::to_string(x.size(3))
                                                            : std::to_string(x.dim()) + " dimensions") +
                     "); set image_size = 224 or use small_cnn");
  auto y = norm1_(torch::relu(conv1_(x)));
  y = torch::max_pool2d(torch::constant_pad_nd(y, {0, 1, 0, 1}), 3, 2);  // pad right and bottom, as the reference
  y = torch::max_pool2d(norm2_(torch::relu(conv2_(y))), 3, 2);
  std::vector<torch::Tensor> out;
  out.push_back(y.mean({2, 3}));
  y = torch::relu(conv5_(torch::relu(conv4_(torch::relu(conv3_(y))))));
  y = torch::max_pool2d(y, 3, 2);
  out.push_back(y.mean({2, 3}));
  if (y.size(2) != 6 || y.size(3) != 6) y = torch::adaptive_avg_pool2d(y, {6, 6});
  y = torch::relu(fc6_(y));  // [n, 4096, 1, 1]
  out.push_back(y.flatten(1));
  y = torch::relu(fc7_(y));
  out.push_back(y.flatten(1));
  return out;
}

void CnnF::set_local_response_norm(const std::string& which, const std::vector<double>& p) {
  if (p.size() != 4 || (which != "norm1" && which != "norm2"))
    throw InputError("cnnf: LRN settings are (size, alpha, beta, k) for norm1 or norm2");
  ChannelLrn& n = which == "norm1" ? norm1_ : norm2_;
  n->size = static_cast<int64_t>(p[0]);
  n->alpha = p[1];
  n->beta = p[2];
  n->k = p[3];
}

std::shared_ptr<ImageBackbone> make_cnnf() { return std::make_shared<CnnF>(); }

}  // namespace cmh::nets
