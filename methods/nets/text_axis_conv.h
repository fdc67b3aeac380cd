// A convolution whose kernel spans the whole text axis, (T, 1): [n, C, T, W] → [n, out, 1, W].
// The same sums as Conv2d(C → out, (T, 1)), computed as one matrix product of the [out, C·T]
// weight with the input read as [n, C·T, W] (no im2col, no layout reorder). oneDNN runs such a
// kernel as a generic convolution: the product is 4–5× faster forward and backward on the CPU
// (SCAHN's first shortcut at n = 128, T = 1,386) and 5× for MLSPH's 6 → 4,096 text layer.
// The weight (and bias, when asked) keep Conv2d's names and shapes, so checkpoints and state
// dicts are those of the convolution. The order of summation differs from oneDNN's, so results
// differ from the plain convolution in the last bits (pinned by a test).
// Includes LibTorch: .cpp files only.
#pragma once

#include <torch/torch.h>

namespace cmh::nets {

struct TextAxisConvImpl : torch::nn::Module {
  /// How the parameters start: as Conv2d's reset_parameters draws them (the same draws from the
  /// global generator, in the same order, as the convolution it replaces), or left for the
  /// caller's own initialisation (no draws).
  enum class Init { kConv2dDefault, kByCaller };
  TextAxisConvImpl(int64_t in, int64_t out, int64_t text_dim, bool bias, Init init);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;  // [out, in, T, 1]
  torch::Tensor bias;    // [out], or undefined
};
TORCH_MODULE(TextAxisConv);

}  // namespace cmh::nets
