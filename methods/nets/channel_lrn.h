// Local response normalisation across channels, as torch::nn::LocalResponseNorm computes it
// (x / (k + alpha/size · Σ x² over `size` neighbouring channels)^beta), written with shifted
// slices instead of avg_pool3d: avg_pool3d's backward on CUDA adds with atomics, so two runs with
// the same seed give different codes on a GPU. Used by CNN-F and the SCAHN heads.
// Includes LibTorch: .cpp files only.
#pragma once

#include <torch/torch.h>

namespace cmh::nets {

struct ChannelLrnImpl : torch::nn::Module {
  ChannelLrnImpl(int64_t size, double alpha, double beta, double k);
  /// x: [n, C, H, W] → the same shape.
  torch::Tensor forward(const torch::Tensor& x);

  int64_t size;
  double alpha, beta, k;
};
TORCH_MODULE(ChannelLrn);

}  // namespace cmh::nets
