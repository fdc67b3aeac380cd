// DCMH's text network (../shared/design/METHODS.md § DCMH); its image side is the shared
// backbone + hash layer (methods/common/hashed_image_net.h) with linear outputs. Includes
// LibTorch: .cpp files only.
#pragma once

#include <torch/torch.h>

namespace cmh::methods {

/// The paper's text network: bag of words T → hidden → ReLU → k, linear outputs. torchcmh writes
/// the two layers as 1-D convolutions over the whole input (the same maps) and draws every weight
/// and bias from N(0, 0.01).
struct DcmhTextNetImpl : torch::nn::Module {
  DcmhTextNetImpl(int64_t text_dim, int64_t hidden_dim, int64_t bits);
  torch::Tensor forward(const torch::Tensor& x);  // [n, T] → [n, k]
  torch::nn::Linear hidden{nullptr}, hash{nullptr};
};
TORCH_MODULE(DcmhTextNet);

}  // namespace cmh::methods
