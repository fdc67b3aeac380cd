// tensor_data.h implementation.
#include "tensor/tensor_data.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cstring>

#include "common/error.h"

namespace cmh {

torch::Tensor feature_rows(const data::Modality& m, const std::vector<int64_t>& items,
                           const std::string& method, torch::Dtype dtype) {
  if (m.kind != data::ModalityKind::kFeatures)
    throw InputError(method + ": needs feature vectors, but the modality '" + m.source +
                     "' holds pixels; declare a feature modality (e.g. XAll, or synthetic "
                     "image = \"features\") for this method");
  auto out = torch::empty({static_cast<int64_t>(items.size()), static_cast<int64_t>(m.dim)}, torch::kFloat32);
  float* dst = out.data_ptr<float>();
  for (size_t k = 0; k < items.size(); ++k) {
    const size_t i = static_cast<size_t>(items[k]);
    if (i >= m.n) throw std::out_of_range("feature_rows: item " + std::to_string(i) + " >= " + std::to_string(m.n));
    std::memcpy(dst + k * m.dim, m.features.data() + i * m.dim, m.dim * sizeof(float));
  }
  return dtype == torch::kFloat32 ? out : out.to(dtype);
}

torch::Tensor label_rows(const data::Dataset& d, const std::vector<int64_t>& items) {
  const int64_t l = static_cast<int64_t>(d.num_labels);
  auto out = torch::empty({static_cast<int64_t>(items.size()), l}, torch::kFloat32);
  float* dst = out.data_ptr<float>();
  for (size_t k = 0; k < items.size(); ++k)
    for (int64_t j = 0; j < l; ++j) dst[k * l + j] = d.labels[static_cast<size_t>(items[k]) * l + j];
  return out;
}

eval::PackedBits pack_signs(const torch::Tensor& real_codes) {
  auto c = real_codes.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  TORCH_CHECK(c.dim() == 2, "pack_signs: codes must be [n, bits]");
  return eval::PackedBits::from_real(c.data_ptr<float>(), static_cast<size_t>(c.size(0)),
                                     static_cast<int>(c.size(1)));
}

torch::Generator make_generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

}  // namespace cmh
