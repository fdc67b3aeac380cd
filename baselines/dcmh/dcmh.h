// DCMH: deep cross-modal hashing. Jiang and Li, "Deep Cross-Modal Hashing", CVPR 2017, 3232–3240.
// ../shared/design/METHODS.md § Common training skeleton and § DCMH; defaults from the paper and
// torchcmh's DCMH.py (the reference code of the MLSPH / SCAHN authors).
#pragma once

#include <string>

#include "method.h"

namespace cmh::baselines {

struct DcmhParams {
  int64_t epochs = 500;     ///< torchcmh: 500 (the paper trains about as long)
  int64_t batch_size = 128;
  double gamma = 1.0;       ///< weight of the quantisation term ‖B − f‖²
  double eta = 1.0;         ///< weight of the bit-balance term ‖Fᵀ1‖²
  double lr_start = 0.031622776601683794;  ///< 10^-1.5
  double lr_end = 1e-6;     ///< geometric per-epoch decay from lr_start towards lr_end
  /// auto: mlp for feature images, small_cnn for pictures up to 64 px, cnnf (the paper's) otherwise.
  std::string image_net = "auto";
  int64_t image_size = 0;   ///< resize pictures to this size (0: 224 for cnnf and ResNets, stored size otherwise)
  std::string pretrained;   ///< ImageNet weights for the image backbone (TorchScript or torch::save file)
  int64_t text_hidden = 8192;  ///< width of the text MLP's hidden layer (paper: 8192)
  /// final | best_query (the reference: best epoch on the query set — peeks at the test set) |
  /// best_val (best epoch on a validation split carved from the training set).
  std::string selection = "final";
  double val_fraction = 0.1;  ///< best_val: share of the training items held out
};

/// The registry entry (name "dcmh").
MethodInfo dcmh_method_info();

}  // namespace cmh::baselines
