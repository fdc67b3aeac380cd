// DCMH: deep cross-modal hashing. Jiang and Li, "Deep Cross-Modal Hashing", CVPR 2017, 3232–3240.
// ../shared/design/METHODS.md § Common training skeleton and § DCMH; defaults from the paper and
// torchcmh's DCMH.py (the reference code of the MLSPH / SCAHN authors).
#pragma once

#include <string>

#include "method.h"
#include "methods/common/deep_params.h"

namespace cmh::methods {

/// DCMH's own parameters; image_net (auto: cnnf, the paper's), image_size, pretrained, selection
/// and val_fraction come from DeepParams. DCMH has no bn_at_encode row: it always encodes with
/// BatchNorm in eval mode (torchcmh's DCMH calls eval()).
struct DcmhParams : DeepParams {
  int64_t epochs = 500;     ///< torchcmh: 500 (the paper trains about as long)
  int64_t batch_size = 128;
  double gamma = 1.0;       ///< weight of the quantisation term ‖B − f‖²
  double eta = 1.0;         ///< weight of the bit-balance term ‖Fᵀ1‖²
  double lr_start = 0.031622776601683794;  ///< 10^-1.5
  double lr_end = 1e-6;     ///< geometric per-epoch decay from lr_start towards lr_end
  int64_t text_hidden = 8192;  ///< width of the text MLP's hidden layer (paper: 8192)
};

/// The registry entry (name "dcmh").
MethodInfo dcmh_method_info();

}  // namespace cmh::methods
