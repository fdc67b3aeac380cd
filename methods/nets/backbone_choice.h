// The image backbone a deep method trains, chosen from its image_net / image_size / pretrained
// parameters: one rule for MLSPH, SCAHN and DCMH.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "methods/nets/image_nets.h"
#include "methods/nets/pretrained_weights.h"

namespace cmh::data {
struct Modality;
}

namespace cmh::nets {

struct BackboneChoice {
  std::shared_ptr<ImageBackbone> net;
  std::string name;        ///< the net actually built ("auto" resolved)
  int64_t image_size = 0;  ///< pictures are resized to this side (0: as stored, and for features)
  /// How pixels become the net's input: ImageNet's mean and std, or what `pretrained` weights expect.
  InputNormalization input = InputNormalization::imagenet();
};

/// Resolves image_net = "auto" (an MLP for feature vectors, the small CNN for pictures up to
/// 64 px, else `paper_net`, the method's paper backbone), refuses a net that does not fit the
/// images, sets the picture side (image_size, or 224 for the ImageNet-sized nets cnnf and
/// resnet*), loads `pretrained` weights when given, and records each choice in `notes`, prefixed
/// with the method's name. Errors are InputErrors naming the parameter and the fix.
BackboneChoice choose_image_backbone(const std::string& method, const data::Modality& image,
                                     const std::string& image_net, int64_t image_size,
                                     const std::string& pretrained, const std::string& paper_net,
                                     std::vector<std::string>& notes);

}  // namespace cmh::nets
