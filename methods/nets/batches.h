// Mini-batches from a Dataset: pixels stay uint8 in the dataset and become normalised float only
// per batch (a 3 GB IAll is never copied as float). Includes LibTorch: .cpp files only.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "data/dataset.h"
#include "methods/nets/pretrained_weights.h"

namespace cmh::nets {

/// Images of `items` as the network input: pixels → [n, 3, size, size] float, normalised by
/// `input` (nullptr: ImageNet's mean and std on [0, 1]), resized (bilinear, no crop) when size
/// differs from the stored size (size 0 = keep); feature images → [n, D] float. A per-pixel mean
/// (MatConvNet's average image) is subtracted after resizing, resized itself when its side differs.
torch::Tensor image_batch(const data::Modality& image, const std::vector<int64_t>& items, int64_t size = 0,
                          const InputNormalization* input = nullptr);

/// Rows of a tensor of dataset indices as a std::vector (for image_batch and friends).
std::vector<int64_t> to_indices(const torch::Tensor& idx);

/// Calls fn(batch_items) over `items` in order, `batch` at a time (encoding).
template <class Fn>
void for_each_batch(const std::vector<int64_t>& items, size_t batch, Fn&& fn) {
  for (size_t s = 0; s < items.size(); s += batch) {
    std::vector<int64_t> part(items.begin() + s, items.begin() + std::min(items.size(), s + batch));
    fn(part);
  }
}

}  // namespace cmh::nets
