// MLSPH: multi-label semantics preserving deep cross-modal hashing.
// Zou, Wang, Bakker, Wu, Signal Processing: Image Communication 93 (2021) 116131.
// ../shared/design/METHODS.md § Common training skeleton and § MLSPH.
#pragma once

#include <string>

#include "method.h"
#include "methods/common/deep_params.h"

namespace cmh::methods {

/// MLSPH's own parameters; image_net (auto: resnet34, the paper's), image_size, pretrained,
/// bn_at_encode, selection and val_fraction come from DeepParams.
struct MlsphParams : DeepParams {
  int64_t epochs = 100;
  int64_t batch_size = 128;
  double alpha = 1.0;       ///< weight of the cross-modal term (S vs cos(f, G))
  double beta = 1.4;        ///< weight of the intra-modal term (S vs cos(f, F))
  double gamma = 0.1;       ///< weight of the quantisation term ||B − f||²
  double loss_scale = 10.0; ///< the reference multiplies the whole loss by 10
  double lr_start = 0.031622776601683794;  ///< 10^-1.5
  double lr_end = 1e-6;
  int64_t text_hidden = 4096;  ///< width of the text net's first convolution (paper: 4096)
};

/// The registry entry (name "mlsph").
MethodInfo mlsph_method_info();

}  // namespace cmh::methods
