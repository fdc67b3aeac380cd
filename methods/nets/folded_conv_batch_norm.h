// BatchNorm2d (train or eval mode) after a bias-free convolution of a one-channel input with a
// 1×K kernel, computed as one convolution with a bias. The convolution is linear in the K taps
// of each window, so the batch's mean and variance of every output channel follow from the taps'
// mean vector and K×K covariance (a few float64 sums over the small input): mean_c = w_c·μ,
// var_c = w_cᵀ Σ w_c. Folding them into the kernel and a bias gives BatchNorm's output without
// the [n, C, H, W] intermediate, its normalising pass, and BatchNorm's backward over it; gradients
// reach the weights, BatchNorm's γ and β and the input through the statistics as they do through
// BatchNorm. Running statistics are updated as BatchNorm updates them (momentum, unbiased
// variance, num_batches_tracked). SCAHN's first text block (1 → 64 channels, 1×3, over
// [n, 1, T, 6]) spends most of its step on that intermediate. The order of summation differs from
// BatchNorm's, so results differ in the last bits (pinned against the two modules by a test).
// Includes LibTorch: .cpp files only.
#pragma once

#include <torch/torch.h>

namespace cmh::nets {

/// bn(conv(x)) for x [n, 1, H, W], conv a bias-free Conv2d(1 → C, (1, K)) with stride 1 and
/// padding (0, pad), bn a BatchNorm2d(C) with affine weights, running statistics and a momentum.
/// Refuses (std::invalid_argument) modules of another shape.
torch::Tensor folded_conv_batch_norm(const torch::Tensor& x, torch::nn::Conv2dImpl& conv,
                                     torch::nn::BatchNorm2dImpl& bn, int64_t pad);

}  // namespace cmh::nets
