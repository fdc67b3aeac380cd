// SCAHN's networks (../shared/design/METHODS.md § SCAHN): per-stage hash heads on an image
// backbone and on a multi-scale residual text net, each side fused by learned attention weights
// W ∈ R^{4×k}. Includes LibTorch: .cpp files only.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "methods/nets/image_nets.h"
#include "methods/nets/row_resize.h"

namespace cmh::methods {

/// Outputs of one side: the four stage codes h1..h4 [n, k] in (−1, 1) and the fused h [n, k]
/// (pre-tanh; the trainer uses tanh(h), codes are sign(h)).
struct ScahnOutputs {
  std::vector<torch::Tensor> stages;
  torch::Tensor fused;
};

/// h = Σ_l W_l ⊙ h_l with W initialised N(0.25, 1/k) (mean 0.25, std 1/k).
struct AttentionFusionImpl : torch::nn::Module {
  explicit AttentionFusionImpl(int64_t bits);
  torch::Tensor forward(const std::vector<torch::Tensor>& stages);
  torch::Tensor weight;  // [4, k]
};
TORCH_MODULE(AttentionFusion);

/// Backbone stages → BatchNorm1d → Linear(→k) N(0, 0.01) → tanh, then attention fusion.
struct ScahnImageNetImpl : torch::nn::Module {
  ScahnImageNetImpl(std::shared_ptr<nets::ImageBackbone> backbone, int64_t bits);
  ScahnOutputs forward(const torch::Tensor& x);
  std::shared_ptr<nets::ImageBackbone> backbone;
  torch::nn::ModuleList heads;
  AttentionFusion fusion{nullptr};
};
TORCH_MODULE(ScahnImageNet);

/// Widths of the text net. The paper's: residual blocks of 64, 128, 256, 512 channels
/// (channels × 1, 2, 4, 8), heads of 256.
struct ScahnTextWidths {
  int64_t channels = 64;
  int64_t head_channels = 256;
};

/// Multi-scale input (five pooled views resized back, stacked on the width axis), four residual
/// blocks, four heads (conv to head_channels → ReLU → LRN → 1×1 conv to k → tanh), attention
/// fusion. Initialised as the reference: every convolution Kaiming-normal (fan_out, ReLU) with
/// zero bias, the residual blocks' convolutions without bias.
struct ScahnTextNetImpl : torch::nn::Module {
  ScahnTextNetImpl(int64_t text_dim, int64_t bits, ScahnTextWidths widths = {});
  ScahnOutputs forward(const torch::Tensor& text);  // text [n, T]
  int64_t text_dim;
  std::vector<int64_t> pools;
  std::vector<nets::RowResize> resize;  ///< each pooled view back to T rows (nearest)
  torch::nn::ModuleList scale_convs, blocks, heads;
  AttentionFusion fusion{nullptr};
};
TORCH_MODULE(ScahnTextNet);

}  // namespace cmh::methods
