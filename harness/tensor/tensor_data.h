// Tensors from a Dataset's plain arrays, and codes from tensors. Includes LibTorch: include it
// only from .cpp files of methods.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "data/dataset.h"
#include "eval/packed.h"

namespace cmh {

/// Rows `items` of a feature modality as a [items, dim] tensor of `dtype` (a copy). A pixel
/// modality is refused with an error naming the method and the fix.
torch::Tensor feature_rows(const data::Modality& m, const std::vector<int64_t>& items,
                           const std::string& method, torch::Dtype dtype = torch::kFloat32);

/// Multi-hot labels of `items` as [items, num_labels] float.
torch::Tensor label_rows(const data::Dataset& d, const std::vector<int64_t>& items);

/// Sign codes from real outputs [n, bits]: value >= 0 → +1 (bit 1), else −1 (bit 0).
eval::PackedBits pack_signs(const torch::Tensor& real_codes);

/// A CPU generator seeded from the cell's seed: every random draw of a method comes from one.
torch::Generator make_generator(uint64_t seed);

}  // namespace cmh
