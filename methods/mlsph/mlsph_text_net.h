// MLSPH's multi-scale text network (../shared/design/METHODS.md § MLSPH): five average-pooling
// branches resized back to the input length, concatenated with the raw input, then a text-wide
// convolution and two 1×1 convolutions to k outputs. Includes LibTorch: .cpp files only.
#pragma once

#include <torch/torch.h>

#include "methods/nets/row_resize.h"
#include "methods/nets/text_axis_conv.h"

namespace cmh::methods {

struct MlsphTextNetImpl : torch::nn::Module {
  /// text_dim T, code length k; hidden widths as in the paper (4096, 512).
  MlsphTextNetImpl(int64_t text_dim, int64_t bits, int64_t hidden = 4096, int64_t mid = 512);
  /// x: [n, T] bag of words → [n, k] in (−1, 1).
  torch::Tensor forward(const torch::Tensor& x);

  int64_t text_dim;
  std::vector<int64_t> pools;  ///< branch pool sizes actually used (see the .cpp)
  std::vector<nets::RowResize> resize;  ///< each branch back to T rows (bilinear, aligned corners)
  torch::nn::ModuleList branches;
  /// The text-wide convolution 6 → hidden, (T, 1), as one matrix product (text_axis_conv.h).
  nets::TextAxisConv feature{nullptr};
  /// 1×1 convolutions on one position: applied as the matrix products they are (see the .cpp).
  torch::nn::Conv2d mid{nullptr}, hash{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
};
TORCH_MODULE(MlsphTextNet);

}  // namespace cmh::methods
