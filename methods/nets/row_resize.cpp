// RowResize: the interpolation weights of torch's upsampling kernels, written as a matrix.
#include "methods/nets/row_resize.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace cmh::nets {

RowResize::RowResize(int64_t from, int64_t to, Mode mode) {
  if (from < 1 || to < 1) throw InputError("RowResize: sizes must be >= 1");
  weights_ = torch::zeros({to, from}, torch::kFloat32);
  auto w = weights_.accessor<float, 2>();
  for (int64_t i = 0; i < to; ++i) {
    if (mode == Mode::kNearest) {
      // torch's legacy nearest: floor(i * from/to), the scale in float as its kernels compute it.
      const float scale = static_cast<float>(from) / static_cast<float>(to);
      w[i][std::min(static_cast<int64_t>(std::floor(static_cast<float>(i) * scale)), from - 1)] = 1.f;
    } else {
      // Aligned corners: the first and last rows land on the first and last inputs. The source
      // position in double: torch's float position is off by up to an ulp of it (3e-5 at 276).
      const double scale = to > 1 ? static_cast<double>(from - 1) / static_cast<double>(to - 1) : 0.0;
      const double src = scale * static_cast<double>(i);
      const int64_t i0 = std::min(static_cast<int64_t>(src), from - 1);
      const int64_t i1 = std::min(i0 + 1, from - 1);
      const double frac = src - static_cast<double>(i0);
      w[i][i0] += static_cast<float>(1.0 - frac);
      w[i][i1] += static_cast<float>(frac);
    }
  }
}

torch::Tensor RowResize::operator()(const torch::Tensor& column) const {
  const int64_t n = column.size(0), from = weights_.size(1), to = weights_.size(0);
  TORCH_CHECK(column.dim() == 4 && column.size(1) == 1 && column.size(2) == from && column.size(3) == 1,
              "RowResize: expected [n, 1, ", from, ", 1], got ", column.sizes());
  if (!on_device_.defined() || on_device_.device() != column.device() || on_device_.dtype() != column.dtype())
    on_device_ = weights_.to(column.device(), column.scalar_type());
  return column.reshape({n, from}).matmul(on_device_.t()).view({n, 1, to, 1});
}

}  // namespace cmh::nets
