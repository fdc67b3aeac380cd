// The text-axis convolution as a matrix product.
#include "methods/nets/text_axis_conv.h"

#include <cmath>

namespace cmh::nets {

TextAxisConvImpl::TextAxisConvImpl(int64_t in, int64_t out, int64_t text_dim, bool with_bias, Init init) {
  weight = register_parameter("weight", torch::empty({out, in, text_dim, 1}));
  if (with_bias) bias = register_parameter("bias", torch::empty({out}));
  if (init == Init::kByCaller) return;
  // Conv2d's reset_parameters: kaiming_uniform (a = √5), then the bias uniform in ±1/√fan_in.
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (with_bias) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in * text_dim));
    torch::NoGradGuard no_grad;
    bias.uniform_(-bound, bound);
  }
}

torch::Tensor TextAxisConvImpl::forward(const torch::Tensor& x) {
  const int64_t n = x.size(0), width = x.size(3), out = weight.size(0);
  const auto w = weight.view({out, -1});
  if (width == 1) {
    // One column per item: a plain [n, C·T] × [C·T, out] product (addmm when there is a bias).
    const auto flat = x.reshape({n, -1});
    const auto y = bias.defined() ? torch::addmm(bias, flat, w.t()) : flat.matmul(w.t());
    return y.view({n, out, 1, 1});
  }
  // out[n, o, w] = Σ_{c,t} W[o, c, t] x[n, c, t, w]: a [out, C·T] × [C·T, W] product per item.
  auto y = torch::matmul(w, x.contiguous().view({n, -1, width}));
  if (bias.defined()) y = y + bias.view({1, out, 1});
  return y.unsqueeze(2);  // [n, out, 1, W]
}

}  // namespace cmh::nets
