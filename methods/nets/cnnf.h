// CNN-F ("VGG-F"; Chatfield, Simonyan, Vedaldi, Zisserman, "Return of the devil in the details",
// BMVC 2014), the image network of DCMH (../shared/design/METHODS.md § DCMH), as an ImageBackbone
// for 224×224 pictures. Includes LibTorch: include from .cpp files only.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "methods/nets/channel_lrn.h"
#include "methods/nets/image_nets.h"

namespace cmh::nets {

/// conv1 64@11×11/4 → ReLU → LRN → max-pool 3/2 │ conv2 256@5×5 → ReLU → LRN → max-pool 3/2 │
/// conv3, conv4, conv5 256@3×3 → ReLU │ max-pool 3/2 │ fc6 4096 → ReLU │ fc7 4096 → ReLU.
/// Layout and initialisation follow torchcmh's vgg_f.py (the DCMH reference): LRN(size 2, α 1e-4,
/// β 0.75, k 2); zero padding of one row and column before pool1; fc6/fc7 as convolutions
/// (6×6 and 1×1), so converted MatConvNet / torchcmh weights keep their shapes; Kaiming-normal
/// (fan_out) convolution weights, zero biases; no dropout, no BatchNorm.
/// At 224 px pool5 is 6×6 and fc6 sees it whole. Other sizes (at least kMinSize) are average-
/// pooled to 6×6 before fc6 (torchvision AlexNet's adaptive pool; the identity at 224 px).
/// Submodules carry the paper's layer names (conv1 … conv5, fc6, fc7), so weights load by name
/// with load_backbone_weights (conv1.weight, …, fc7.bias).
class CnnF final : public ImageBackbone {
 public:
  static constexpr int64_t kMinSize = 63;  ///< smallest picture side that survives the three pools
  CnnF();
  /// Pooled features [n, d] of four taps: conv2 (global average after pool2, 256), conv5 (global
  /// average after pool5, 256), fc6 (4096) and fc7 (4096, the backbone's output).
  std::vector<torch::Tensor> stages(const torch::Tensor& x) override;
  std::vector<int64_t> stage_dims() const override { return {256, 256, 4096, 4096}; }
  /// Sets "norm1" or "norm2" to LocalResponseNorm(size, alpha, beta, k) = p (imported weights
  /// bring the LRN they were trained with).
  void set_local_response_norm(const std::string& which, const std::vector<double>& p);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr}, conv4_{nullptr}, conv5_{nullptr};
  torch::nn::Conv2d fc6_{nullptr}, fc7_{nullptr};
  ChannelLrn norm1_{nullptr}, norm2_{nullptr};
};

/// A fresh, randomly initialised CNN-F.
std::shared_ptr<ImageBackbone> make_cnnf();

}  // namespace cmh::nets
