// The parameters every deep method has (MLSPH, SCAHN, DCMH): the image backbone and its input,
// BatchNorm at encoding, and which epoch's model is kept. Each method's parameter struct derives
// from DeepParams and adds these rows to its ParamSet, so the shared rows are declared once with
// one default, range and help. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "param_set.h"

namespace cmh::methods {

struct DeepParams {
  /// auto: mlp for feature images, small_cnn for pictures up to 64 px, the paper's net otherwise.
  std::string image_net = "auto";
  int64_t image_size = 0;  ///< resize pictures to this size (0: 224 for the large nets, stored size otherwise)
  std::string pretrained;  ///< ImageNet weights for the image backbone (TorchScript or torch::save file)
  /// BatchNorm when encoding: "eval" (running statistics) or "train" (batch statistics, as the
  /// MLSPH/SCAHN reference code, which never calls eval()). A method without the row encodes in eval.
  std::string bn_at_encode = "eval";
  /// final | best_query (the reference: best epoch on the query set — peeks at the test set) |
  /// best_val (best epoch on a validation split carved from the training set).
  std::string selection = "final";
  double val_fraction = 0.1;  ///< best_val: share of the training items held out
};

/// The image rows: image_net ("auto" or one of `backbones`; auto picks `paper_net` for pictures
/// over 64 px), image_size, pretrained.
template <class P>
ParamSet<P>& add_image_rows(ParamSet<P>& set, std::vector<std::string> backbones, const std::string& paper_net) {
  const std::string large = paper_net == "cnnf" ? "cnnf and ResNets" : "ResNets";
  backbones.insert(backbones.begin(), "auto");
  return set
      .add("image_net", &DeepParams::image_net,
           "image backbone (auto: " + paper_net + " > 64 px, small_cnn <= 64 px, mlp for features)", one_of(backbones))
      .add("image_size", &DeepParams::image_size, "resize pictures (0: 224 for " + large + ", else as stored)",
           at_least(0))
      .add("pretrained", &DeepParams::pretrained, "ImageNet weights file for the backbone (\"\": none)",
           existing_file());
}

/// The model rows: bn_at_encode (only where the method lets BatchNorm encode in train mode, as
/// its reference code does), selection, val_fraction.
template <class P>
ParamSet<P>& add_model_rows(ParamSet<P>& set, bool bn_at_encode_row) {
  if (bn_at_encode_row)
    set.add("bn_at_encode", &DeepParams::bn_at_encode, "BatchNorm when encoding: eval, or train as the reference",
            one_of({"eval", "train"}));
  // a held-out share of 0 or 1 leaves no validation or no training items
  return set
      .add("selection", &DeepParams::selection, "which epoch's model is kept", one_of({"final", "best_query", "best_val"}))
      .add("val_fraction", &DeepParams::val_fraction, "best_val: share of training items held out", above(0) | below(1));
}

}  // namespace cmh::methods
