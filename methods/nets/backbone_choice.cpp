#include "methods/nets/backbone_choice.h"

#include "common/error.h"
#include "data/dataset.h"
#include "methods/nets/cnnf.h"

namespace cmh::nets {

BackboneChoice choose_image_backbone(const std::string& method, const data::Modality& image,
                                     const std::string& image_net, int64_t image_size,
                                     const std::string& pretrained, const std::string& paper_net,
                                     std::vector<std::string>& notes) {
  const bool pixels = image.kind == data::ModalityKind::kPixels;
  BackboneChoice c;
  c.name = image_net;
  if (c.name == "auto") {
    c.name = auto_image_backbone(pixels, static_cast<int64_t>(image.height));
    if (c.name == "resnet34") c.name = paper_net;  // ImageNet-sized pictures: the paper's net
    notes.push_back(method + ": image_net auto -> " + c.name);
  }
  if (pixels == (c.name == "mlp"))
    throw InputError(method + ": image_net '" + c.name + "' does not fit the dataset's images (" +
                     (pixels ? "pixels" : "feature vectors") + "); use image_net = \"auto\"");
  const bool large = c.name == "cnnf" || c.name.rfind("resnet", 0) == 0;  // ImageNet-sized nets
  if (c.name == "cnnf" && image_size > 0 && image_size < CnnF::kMinSize)
    throw InputError(method + ": image_net cnnf needs image_size >= " + std::to_string(CnnF::kMinSize) +
                     " (0 = 224); got " + std::to_string(image_size));
  c.image_size = image_size > 0 ? image_size : (large ? 224 : 0);
  c.net = c.name == "cnnf" ? make_cnnf() : make_image_backbone(c.name, pixels ? 0 : static_cast<int64_t>(image.dim));
  if (!pretrained.empty()) {
    if (!large)
      throw InputError(method + ": pretrained weights are read for cnnf, resnet18 and resnet34, not image_net '" + c.name +
                       "'; set image_net or pretrained = \"\"");
    const ImportedWeights w = load_backbone_weights(*c.net, c.name, pretrained);
    c.input = w.input;
    std::string extra;
    for (const auto& n : w.notes) extra += "; " + n;
    notes.push_back(method + ": pretrained image weights from " + pretrained + " (" + w.format + ", sha256 " +
                    w.sha256.substr(0, 12) + ", " + std::to_string(w.loaded) + " tensors; input: " +
                    w.input.description + extra + ")");
  } else if (large) {
    notes.push_back(method + ": " + c.name + " trained from scratch (no pretrained weights; the paper uses ImageNet weights)");
  }
  return c;
}

}  // namespace cmh::nets
