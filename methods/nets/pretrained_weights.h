// ImageNet weights as their publishers ship them, read into the names of this harness's nets:
// torchvision's `.pth` state dicts (resnet18/34; the zip format of torch.save since 1.6 and the
// legacy one before it) and MatConvNet's `imagenet-vgg-f.mat` (CNN-F), plus the harness's own
// archive (`cmhbench weights import` writes it; TorchScript and torch::save files of the same
// names also load). Every import is validated against the net it is for: names, shapes and, for
// MatConvNet, layer order, strides and padding; anything else is refused with what differs.
// The input normalisation each file expects travels with its weights.
// Includes LibTorch: include from .cpp files only.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace cmh::nets {

class ImageBackbone;

/// How pixels (0..255) become the net's input: x · scale − mean, divided by std.
struct InputNormalization {
  double scale = 1.0 / 255.0;
  torch::Tensor mean;  ///< [3] per channel, or [3, H, W] per pixel (MatConvNet's average image), after scaling
  torch::Tensor std;   ///< [3], or undefined for none
  std::string description = "torchvision's ImageNet mean and std on [0, 1] pixels";
  /// torchvision's: [0, 1] pixels, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
  static InputNormalization imagenet();
  bool is_imagenet() const;
};

/// A publisher's weights in our names.
struct ImportedWeights {
  std::string net;     ///< "resnet18" | "resnet34" | "cnnf"
  std::string format;  ///< what the file was, for notes and messages
  std::map<std::string, torch::Tensor> tensors;
  InputNormalization input;
  /// CNN-F from MatConvNet: each LRN layer's (size, alpha, beta, k) as torch's LocalResponseNorm
  /// names them, from the file (keyed "norm1", "norm2").
  std::map<std::string, std::vector<double>> lrn;
  std::vector<std::string> notes;  ///< what was dropped or converted (the classifier, …)
  std::string sha256;              ///< of the source file
  size_t loaded = 0;               ///< load_backbone_weights: tensors copied into the net (then `tensors` is emptied)
};

/// Reads `path` (format detected from its bytes) for `net` ("auto": from the file's layers).
/// InputError naming the file and what differs when it is not weights of that net.
ImportedWeights import_weights(const std::string& path, const std::string& net = "auto");

/// Writes `w` as a torch::save archive that load_backbone_weights reads (tensors, normalisation
/// and LRN settings, the source's format and SHA-256), atomically.
void save_imported_weights(const ImportedWeights& w, const std::string& out);

/// Loads weights from `path` into `net` (`net_name` as make_image_backbone names it): every
/// parameter and buffer of the net must be found with its shape, or InputError lists what is
/// missing. Returns the import without its tensors (they are in the net now); its normalisation
/// is the one to feed the net with.
ImportedWeights load_backbone_weights(ImageBackbone& net, const std::string& net_name, const std::string& path);

}  // namespace cmh::nets
