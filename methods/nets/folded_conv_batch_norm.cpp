// BatchNorm folded into a one-channel 1×K convolution.
#include "methods/nets/folded_conv_batch_norm.h"

#include <stdexcept>
#include <vector>

namespace cmh::nets {

torch::Tensor folded_conv_batch_norm(const torch::Tensor& x, torch::nn::Conv2dImpl& conv,
                                     torch::nn::BatchNorm2dImpl& bn, int64_t pad) {
  const auto& w = conv.weight;  // [C, 1, 1, K]
  const auto& o = bn.options;
  if (x.dim() != 4 || x.size(1) != 1 || w.size(1) != 1 || w.size(2) != 1 || conv.bias.defined() ||
      w.size(0) != o.num_features() || !o.affine() || !o.track_running_stats() || !o.momentum().has_value())
    throw std::invalid_argument(
        "folded_conv_batch_norm: needs x [n, 1, H, W], a bias-free Conv2d(1 → C, (1, K)) and an affine "
        "BatchNorm2d(C) with running statistics and a momentum");
  const int64_t c = w.size(0), k = w.size(3), width = x.size(3) + 2 * pad - k + 1;
  const auto w64 = w.to(torch::kFloat64).view({c, k});
  torch::Tensor mean, var;
  if (bn.is_training()) {
    // The K taps of every output position, in float64 (the variance is a difference of sums).
    const auto padded = torch::constant_pad_nd(x.to(torch::kFloat64), {pad, pad});
    std::vector<torch::Tensor> taps;
    for (int64_t j = 0; j < k; ++j) taps.push_back(padded.narrow(3, j, width).reshape({-1}));
    const auto p = torch::stack(taps, 1);  // [N, K]
    const double count = static_cast<double>(p.size(0));
    const auto tap_mean = p.mean(0);
    const auto tap_cov = p.t().mm(p) / count - torch::outer(tap_mean, tap_mean);
    mean = w64.mv(tap_mean);
    var = (w64.mm(tap_cov) * w64).sum(1);  // biased, as BatchNorm normalises
    torch::NoGradGuard no_grad;
    const double m = *o.momentum();
    bn.running_mean.mul_(1 - m).add_(mean.to(bn.running_mean.dtype()), m);
    bn.running_var.mul_(1 - m).add_(var.to(bn.running_var.dtype()), m * count / (count - 1));  // unbiased
    bn.num_batches_tracked.add_(1);
  } else {
    mean = bn.running_mean.to(torch::kFloat64);
    var = bn.running_var.to(torch::kFloat64);
  }
  const auto scale = bn.weight.to(torch::kFloat64) * (var + o.eps()).rsqrt();
  const auto kernel = (w64 * scale.unsqueeze(1)).to(x.scalar_type()).view_as(w);
  const auto bias = (bn.bias.to(torch::kFloat64) - mean * scale).to(x.scalar_type());
  return torch::conv2d(x, kernel, bias, /*stride=*/1, /*padding=*/torch::IntArrayRef{0, pad});
}

}  // namespace cmh::nets
