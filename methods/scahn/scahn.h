// SCAHN: self-constraining and attention-based hashing network for bit-scalable cross-modal
// retrieval. Wang, Zou, Bakker, Wu, Neurocomputing 400 (2020) 255–271.
// ../shared/design/METHODS.md § Common training skeleton and § SCAHN.
#pragma once

#include <string>

#include "method.h"
#include "methods/common/deep_params.h"

namespace cmh::methods {

/// SCAHN's own parameters; image_net (auto: resnet34, the paper's), image_size, pretrained,
/// bn_at_encode, selection and val_fraction come from DeepParams.
struct ScahnParams : DeepParams {
  int64_t epochs = 500;
  int64_t batch_size = 64;   ///< each step draws two disjoint batches of this size
  double alpha_divisor = 32; ///< α_s = k / alpha_divisor scales every inner product
  double lambda = 1.0;       ///< intra-modal term
  double gamma = 0.01;       ///< pairwise term between the two batches
  double beta = 2.0;         ///< quantisation term
  double lr = 0.07943282347242814;  ///< 10^-1.1, both networks
  /// The learning rate is multiplied each epoch by lr_decay^(1/epochs) (reference: 10^-6 / 10^-1.5).
  double lr_decay = 3.1622776601683795e-05;
  /// "reference", per picture with probability 0.8: a 180° turn (p 0.5; the reference's
  /// RandomApply of Rot90, Rot180 and Rot270 together), a horizontal flip (p 0.5), a vertical flip
  /// (p 0.5), so the views are original, h-flip, v-flip, 180°; "all_rotations": a turn by 90, 180
  /// or 270° instead of the 180° one (adds transposed views); "none".
  std::string augment = "reference";
  /// "reference": RandomErasure(0.2), zeroing int(0.2 T) random positions of every training text
  /// (torchcmh ignores the config's txt.enable = False); "none".
  std::string text_augment = "reference";
  int64_t text_channels = 64;        ///< residual blocks c, 2c, 4c, 8c (paper 64)
  int64_t text_head_channels = 256;  ///< heads (paper 256)
  /// Which bits a shorter code keeps: "intended" (Σ attention weight, highest first), or one of
  /// the reference code's two broken rankings (see scahn_loss.h).
  std::string bit_rank = "intended";
};

/// The registry entry (name "scahn").
MethodInfo scahn_method_info();

}  // namespace cmh::methods
