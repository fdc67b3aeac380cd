#include "whitening.h"

#include <algorithm>

namespace cmh::baselines {

torch::Tensor inverse_sqrt(const torch::Tensor& c) {
  auto [e, v] = torch::linalg_eigh(c, "L");
  return v.matmul(torch::diag(e.clamp_min(1e-12).rsqrt())).matmul(v.transpose(0, 1));
}

torch::Tensor regularised_covariance(const torch::Tensor& x, double reg) {
  const int64_t n = x.size(0), d = x.size(1);
  auto c = x.transpose(0, 1).matmul(x) / static_cast<double>(n);
  const double ridge = reg * std::max(c.trace().item<double>() / static_cast<double>(d), 1e-12);
  return c + ridge * torch::eye(d, c.options());
}

}  // namespace cmh::baselines
