// MLSPH: multi-label semantics preserving deep cross-modal hashing.
// Zou, Wang, Bakker, Wu, Signal Processing: Image Communication 93 (2021) 116131.
// ../shared/design/METHODS.md § Common training skeleton and § MLSPH.
#pragma once

#include <string>

#include "method.h"

namespace cmh::methods {

struct MlsphParams {
  int64_t epochs = 100;
  int64_t batch_size = 128;
  double alpha = 1.0;       ///< weight of the cross-modal term (S vs cos(f, G))
  double beta = 1.4;        ///< weight of the intra-modal term (S vs cos(f, F))
  double gamma = 0.1;       ///< weight of the quantisation term ||B − f||²
  double loss_scale = 10.0; ///< the reference multiplies the whole loss by 10
  double lr_start = 0.031622776601683794;  ///< 10^-1.5
  double lr_end = 1e-6;
  /// auto: mlp for feature images, small_cnn for pictures up to 64 px, resnet34 (the paper's) otherwise.
  std::string image_net = "auto";
  int64_t image_size = 0;   ///< resize pictures to this size (0: 224 for ResNets, stored size otherwise)
  std::string pretrained;   ///< ImageNet weights for the ResNet (TorchScript or torch::save file)
  int64_t text_hidden = 4096;  ///< width of the text net's first convolution (paper: 4096)
  /// BatchNorm when encoding: "eval" (running statistics) or "train" (batch statistics, as the
  /// reference code, which never calls eval()).
  std::string bn_at_encode = "eval";
  /// final | best_query (the reference: best epoch on the query set — peeks at the test set) |
  /// best_val (best epoch on a validation split carved from the training set).
  std::string selection = "final";
  double val_fraction = 0.1;  ///< best_val: share of the training items held out
};

/// The registry entry (name "mlsph").
MethodInfo mlsph_method_info();

}  // namespace cmh::methods
