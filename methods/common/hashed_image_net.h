// The image side of MLSPH and DCMH: an image backbone and one linear hash layer to k outputs
// (SCAHN taps every stage instead: methods/scahn/scahn_nets.h). Includes LibTorch: .cpp files only.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "methods/nets/image_nets.h"

namespace cmh::methods {

/// Backbone → Linear(feature_dim → k), weights N(0, 0.01) and zero bias (both papers' fc8 /
/// hash layer), then tanh when `tanh_outputs` (MLSPH) or linear outputs (DCMH: the paper's Eq. 3
/// has no squashing, nor has torchcmh).
struct HashedImageNetImpl : torch::nn::Module {
  HashedImageNetImpl(std::shared_ptr<nets::ImageBackbone> backbone, int64_t bits, bool tanh_outputs);
  torch::Tensor forward(const torch::Tensor& x);  // [n, k]
  std::shared_ptr<nets::ImageBackbone> backbone;
  torch::nn::Linear head{nullptr};
  bool tanh_outputs;
};
TORCH_MODULE(HashedImageNet);

}  // namespace cmh::methods
