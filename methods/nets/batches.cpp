// Mini-batch conversion.
#include "methods/nets/batches.h"

#include "common/error.h"
#include "data/pixel_cache.h"
#include "tensor/tensor_data.h"

namespace cmh::nets {

torch::Tensor image_batch(const data::Modality& image, const std::vector<int64_t>& items, int64_t size,
                          const InputNormalization* input) {
  if (image.kind == data::ModalityKind::kFeatures) return feature_rows(image, items, "image net");
  const int64_t c = static_cast<int64_t>(image.channels), h = static_cast<int64_t>(image.height),
                w = static_cast<int64_t>(image.width);
  auto raw = torch::empty({static_cast<int64_t>(items.size()), c, h, w}, torch::kUInt8);
  data::read_pixel_items(image, items.data(), items.size(), raw.data_ptr<uint8_t>());
  auto resize = [&](const torch::Tensor& t) {
    if (size <= 0 || (size == t.size(2) && size == t.size(3))) return t;
    return torch::nn::functional::interpolate(
        t, torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{size, size}).mode(torch::kBilinear).align_corners(false));
  };
  if (!input || input->is_imagenet()) {  // the default: as every reference value was measured
    auto x = raw.to(torch::kFloat32).div_(255.0);
    if (c == 3) {
      static const auto mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1});
      static const auto stdev = torch::tensor({0.229f, 0.224f, 0.225f}).view({1, 3, 1, 1});
      x = (x - mean) / stdev;
    }
    return resize(x);
  }
  if (c != 3) throw InputError("image net: weights normalised for 3-channel pictures get " + std::to_string(c) + " channels");
  auto x = raw.to(torch::kFloat32);
  if (input->scale != 1.0) x.mul_(input->scale);
  if (input->mean.defined() && input->mean.dim() == 3) {  // per pixel: subtract at the net's input size
    x = resize(x);
    auto mean = input->mean.unsqueeze(0);
    if (mean.size(2) != x.size(2) || mean.size(3) != x.size(3))
      mean = torch::nn::functional::interpolate(mean, torch::nn::functional::InterpolateFuncOptions()
                                                          .size(std::vector<int64_t>{x.size(2), x.size(3)})
                                                          .mode(torch::kBilinear)
                                                          .align_corners(false));
    x = x - mean;
    if (input->std.defined()) x = x / input->std.view({1, 3, 1, 1});
    return x;
  }
  if (input->mean.defined()) x = x - input->mean.view({1, 3, 1, 1});
  if (input->std.defined()) x = x / input->std.view({1, 3, 1, 1});
  return resize(x);
}

std::vector<int64_t> to_indices(const torch::Tensor& idx) {
  auto c = idx.to(torch::kCPU, torch::kLong).contiguous();  // positions may live on a GPU
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

}  // namespace cmh::nets
