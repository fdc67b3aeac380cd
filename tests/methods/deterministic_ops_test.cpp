// RowResize and ChannelLrn against the torch ops whose values they must reproduce (their backward
// is deterministic on CUDA, torch's adds with atomics there).
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include "methods/nets/channel_lrn.h"
#include "methods/nets/row_resize.h"

using cmh::nets::RowResize;

namespace {

torch::Tensor reference(const torch::Tensor& column, int64_t to, RowResize::Mode mode) {
  namespace F = torch::nn::functional;
  auto options = F::InterpolateFuncOptions().size(std::vector<int64_t>{to, 1});
  if (mode == RowResize::Mode::kNearest) return F::interpolate(column, options.mode(torch::kNearest));
  return F::interpolate(column, options.mode(torch::kBilinear).align_corners(true));
}

}  // namespace

TEST_CASE("RowResize gives interpolate's values, bilinear (aligned corners) and nearest", "[nets]") {
  torch::manual_seed(3);
  // (pooled length, text length): MIRFLICKR's 1,386-d tags pooled by 50 and 5, a 10-d LDA text
  // pooled whole, identity, and one row.
  const std::vector<std::pair<int64_t, int64_t>> sizes = {{27, 1386}, {277, 1386}, {1, 10}, {10, 10}, {2, 10}, {1, 1}};
  for (auto mode : {RowResize::Mode::kBilinearAligned, RowResize::Mode::kNearest}) {
    for (const auto& [from, to] : sizes) {
      const RowResize resize(from, to, mode);
      const auto column = torch::randn({7, 1, from, 1});
      INFO("mode " << (mode == RowResize::Mode::kNearest ? "nearest" : "bilinear") << ", " << from << " -> " << to);
      const auto ours = resize(column), theirs = reference(column, to, mode);
      REQUIRE(ours.sizes() == theirs.sizes());
      // torch places long bilinear rows in float (an ulp of 276 is 3e-5), RowResize in double.
      CHECK((ours - theirs).abs().max().item<float>() < 2e-4f);
      CHECK(torch::allclose(resize.weights().sum(1), torch::ones({to})));
    }
  }
}

TEST_CASE("RowResize refuses a column of the wrong length", "[nets]") {
  const RowResize resize(5, 10, RowResize::Mode::kNearest);
  CHECK_THROWS_WITH(resize(torch::zeros({2, 1, 4, 1})), Catch::Contains("expected [n, 1, 5, 1]"));
}

TEST_CASE("ChannelLrn gives LocalResponseNorm's values, for the window sizes in use and wider", "[nets]") {
  torch::manual_seed(4);
  const auto x = torch::randn({3, 7, 5, 4}) * 3;
  for (int64_t size : {1, 2, 3, 5}) {
    for (double k : {1.0, 2.0}) {
      INFO("size " << size << ", k " << k);
      cmh::nets::ChannelLrn ours(size, 1e-2, 0.75, k);
      torch::nn::LocalResponseNorm theirs(torch::nn::LocalResponseNormOptions(size).alpha(1e-2).beta(0.75).k(k));
      CHECK((ours(x) - theirs(x)).abs().max().item<float>() < 1e-6f);
    }
  }
}
