// ChannelLrn: the window sum of torch's LocalResponseNorm as `size` shifted slices.
#include "methods/nets/channel_lrn.h"

#include "common/error.h"

namespace cmh::nets {

ChannelLrnImpl::ChannelLrnImpl(int64_t size_, double alpha_, double beta_, double k_)
    : size(size_), alpha(alpha_), beta(beta_), k(k_) {
  if (size < 1) throw InputError("ChannelLrn: size must be >= 1");
}

torch::Tensor ChannelLrnImpl::forward(const torch::Tensor& x) {
  namespace F = torch::nn::functional;
  TORCH_CHECK(x.dim() == 4, "ChannelLrn: expected [n, C, H, W], got ", x.sizes());
  const int64_t channels = x.size(1);
  // The window of channel c is c - size/2 … c + (size-1)/2, zero beyond the ends (torch pads so).
  const auto squares = F::pad(x * x, F::PadFuncOptions({0, 0, 0, 0, size / 2, (size - 1) / 2}));
  auto sum = squares.narrow(1, 0, channels);
  for (int64_t j = 1; j < size; ++j) sum = sum + squares.narrow(1, j, channels);
  return x / (sum / static_cast<double>(size) * alpha + k).pow(beta);
}

}  // namespace cmh::nets
