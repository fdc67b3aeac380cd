// Image backbones shared by MLSPH, SCAHN and DCMH: torchvision-style ResNet-18/34 (submodules
// named as torchvision names them, so ImageNet weights load by name), a small CNN for 32–64 px
// synthetic pictures, and an MLP for datasets whose images are feature vectors. Every backbone
// exposes its pooled output and the pooled output of each of its four stages (SCAHN's taps).
// Includes LibTorch: include from .cpp files only.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace cmh::nets {

/// A backbone: images [n, 3, H, W] (or features [n, D]) → pooled features.
class ImageBackbone : public torch::nn::Module {
 public:
  /// Pooled features of each of the four stages, [n, stage_dims()[s]].
  virtual std::vector<torch::Tensor> stages(const torch::Tensor& x) = 0;
  /// Pooled features of the last stage, [n, feature_dim()].
  torch::Tensor forward(const torch::Tensor& x) { return stages(x).back(); }
  virtual std::vector<int64_t> stage_dims() const = 0;
  int64_t feature_dim() const { return stage_dims().back(); }
  /// True when the input is pixels (so batches go through image_batch()).
  virtual bool takes_pixels() const { return true; }

 protected:
  /// Pictures on the CPU in channels-last (NHWC) order: oneDNN's convolutions, batch norm and
  /// pooling run 25–30 % faster per training step in that layout than in NCHW (the small CNN at
  /// 32 px, batches of 16 and 128: tests/bench/compare_step.sh). The layout changes the order of
  /// the sums, not the results' meaning. Other devices keep their own best layout.
  static torch::Tensor cpu_layout(const torch::Tensor& x) {
    return x.is_cpu() && x.dim() == 4 ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
  }
};

/// "resnet18" | "resnet34" | "small_cnn" | "mlp" (input_dim = feature length, mlp only).
std::shared_ptr<ImageBackbone> make_image_backbone(const std::string& name, int64_t input_dim = 0);

/// The backbone a method uses when its image_net parameter is "auto": an MLP for feature
/// vectors, the small CNN for pictures up to 64 px, ResNet-34 (the papers' choice) otherwise.
std::string auto_image_backbone(bool pixels, int64_t height);

}  // namespace cmh::nets
