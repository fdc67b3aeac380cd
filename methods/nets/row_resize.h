// Resizing a column of features, [n, 1, m, 1] → [n, 1, T, 1], as a product with a fixed [T, m]
// matrix. The MLSPH and SCAHN text nets upsample their pooled branches back to the text length;
// interpolate() gives the same values, but its backward on CUDA adds with atomics, so two runs
// with the same seed give different codes on a GPU. A matrix product's backward is deterministic.
// Includes LibTorch: .cpp files only.
#pragma once

#include <torch/torch.h>

namespace cmh::nets {

class RowResize {
 public:
  enum class Mode {
    kBilinearAligned,  ///< interpolate(mode bilinear, align_corners true), as MLSPH's reference
    kNearest,          ///< interpolate(mode nearest), as SCAHN's reference
  };
  RowResize() = default;
  RowResize(int64_t from, int64_t to, Mode mode);

  /// column: [n, 1, from, 1] on any device → [n, 1, to, 1] on the same device.
  torch::Tensor operator()(const torch::Tensor& column) const;

  /// The [to, from] interpolation weights (float32, CPU): each row sums to 1.
  const torch::Tensor& weights() const { return weights_; }

 private:
  torch::Tensor weights_;
  mutable torch::Tensor on_device_;  // weights_ on the last input's device and dtype
};

}  // namespace cmh::nets
